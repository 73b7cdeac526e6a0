# Usage rows, plans, runs and the tenant registry (DynamoDB) and the daily CSV reports (S3).

# The module's DynamoDB tables, one map: each entry's key schema comes from the JSON file the code
# and the tests read (table.json, plans.json, tenants.json), except the runs table's.
locals {
  tables = {
    # the billing ledger: per tenant, model and day; protected unless a demo stack turns it off
    usage = {
      name                     = "${var.name}_token_usage"
      billing_mode             = var.key_schema.billing_mode
      hash_key                 = var.key_schema.hash_key
      range_key                = var.key_schema.range_key
      attributes               = var.key_schema.attributes
      global_secondary_indexes = var.key_schema.global_secondary_indexes
      ttl_attribute            = var.key_schema.ttl_attribute
      point_in_time_recovery   = true
      deletion_protection      = var.deletion_protection
    }
    # tenant plans and their counters (token_profiler.plans): minute rate-limit items expire after a
    # day, period counters 400 days after their month; make destroy removes them with the deployment
    plans = {
      name                     = "${var.name}_tenant_plans"
      billing_mode             = var.plans_schema.billing_mode
      hash_key                 = var.plans_schema.hash_key
      range_key                = var.plans_schema.range_key
      attributes               = var.plans_schema.attributes
      global_secondary_indexes = []
      ttl_attribute            = var.plans_schema.ttl_attribute
      point_in_time_recovery   = true
      deletion_protection      = false
    }
    # manual aggregation runs handed to the scheduled aggregator: one item per run id, kept 30 days;
    # a run's status is worth nothing after the run, so no point-in-time recovery to pay for
    runs = {
      name                     = "${var.name}_aggregation_runs"
      billing_mode             = "PAY_PER_REQUEST"
      hash_key                 = "run_id"
      range_key                = null
      attributes               = [{ name = "run_id", type = "S" }]
      global_secondary_indexes = []
      ttl_attribute            = "ttl"
      point_in_time_recovery   = false
      deletion_protection      = false
    }
    # the tenant registry (token_profiler.tenants): one item per tenant, never deleted, so an id is
    # never reused; protected like the usage table
    tenants = {
      name                     = "${var.name}_tenants"
      billing_mode             = var.tenants_schema.billing_mode
      hash_key                 = var.tenants_schema.hash_key
      range_key                = null
      attributes               = var.tenants_schema.attributes
      global_secondary_indexes = []
      ttl_attribute            = null
      point_in_time_recovery   = true
      deletion_protection      = var.deletion_protection
    }
  }
}

resource "aws_dynamodb_table" "this" {
  # checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key; a CMK adds cost and key-policy upkeep per deployment
  # checkov:skip=CKV_AWS_28:point-in-time recovery is on for every table but the runs table (see local.tables; tests/terraform/test_plan_rules.py checks the plan)
  # checkov:skip=CKV2_AWS_16:every table is on demand (PAY_PER_REQUEST, checked on the plan by tests/terraform/test_plan_rules.py); auto scaling is for provisioned capacity
  for_each = local.tables

  name         = each.value.name
  billing_mode = each.value.billing_mode
  hash_key     = each.value.hash_key
  range_key    = each.value.range_key

  dynamic "attribute" {
    for_each = each.value.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.global_secondary_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  dynamic "point_in_time_recovery" {
    for_each = each.value.point_in_time_recovery ? [true] : []
    content {
      enabled = true
    }
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = each.value.deletion_protection

  tags = var.tags
}

# Each table had a resource of its own before the map.
moved {
  from = aws_dynamodb_table.this
  to   = aws_dynamodb_table.this["usage"]
}

moved {
  from = aws_dynamodb_table.plans
  to   = aws_dynamodb_table.this["plans"]
}

moved {
  from = aws_dynamodb_table.runs
  to   = aws_dynamodb_table.this["runs"]
}

moved {
  from = aws_dynamodb_table.tenants
  to   = aws_dynamodb_table.this["tenants"]
}

module "reports" {
  source = "../bucket"

  name            = var.bucket_name
  noncurrent_days = var.report_version_days
  force_destroy   = var.force_destroy # the reports are billing records: kept unless a demo stack says so

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
  tags                               = var.tags
}
