# Usage rows (DynamoDB) and daily CSV reports (S3).

resource "aws_dynamodb_table" "this" {
  # checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key; a CMK adds cost and key-policy upkeep per deployment
  name         = "${var.name}_token_usage"
  billing_mode = var.key_schema.billing_mode
  hash_key     = var.key_schema.hash_key
  range_key    = var.key_schema.range_key

  dynamic "attribute" {
    for_each = var.key_schema.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.key_schema.global_secondary_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
    }
  }

  ttl {
    attribute_name = var.key_schema.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  # The table is the billing ledger: protected unless a demo stack turns it off.
  deletion_protection_enabled = var.deletion_protection

  tags = var.tags
}

module "reports" {
  source = "../bucket"

  name            = var.bucket_name
  noncurrent_days = var.report_version_days
  force_destroy   = var.force_destroy # the reports are billing records: kept unless a demo stack says so

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
  tags                               = var.tags
}

# Tenant plans and their counters (token_profiler.plans): key schema from plans.json.
resource "aws_dynamodb_table" "plans" {
  # checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key; a CMK adds cost and key-policy upkeep per deployment
  name         = "${var.name}_tenant_plans"
  billing_mode = var.plans_schema.billing_mode
  hash_key     = var.plans_schema.hash_key
  range_key    = var.plans_schema.range_key

  dynamic "attribute" {
    for_each = var.plans_schema.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  # minute rate-limit items expire after a day, period counters 400 days after their month
  ttl {
    attribute_name = var.plans_schema.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = false # make destroy removes the whole deployment

  tags = var.tags
}

# Manual aggregation runs handed to the scheduled aggregator: one item per run id, kept 30 days.
resource "aws_dynamodb_table" "runs" {
  # checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key; a CMK adds cost and key-policy upkeep per deployment
  # checkov:skip=CKV_AWS_28:a run's status is worth nothing after the run; no point-in-time recovery to pay for
  name         = "${var.name}_aggregation_runs"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "run_id"

  attribute {
    name = "run_id"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}

# The tenant registry (token_profiler.tenants): one item per tenant, never deleted, so an id is
# never reused. Key schema from tenants.json.
resource "aws_dynamodb_table" "tenants" {
  # checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key; a CMK adds cost and key-policy upkeep per deployment
  name         = "${var.name}_tenants"
  billing_mode = var.tenants_schema.billing_mode
  hash_key     = var.tenants_schema.hash_key

  dynamic "attribute" {
    for_each = var.tenants_schema.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  # like the usage table: the registry is what keeps tenant ids unique over time
  deletion_protection_enabled = var.deletion_protection

  tags = var.tags
}
