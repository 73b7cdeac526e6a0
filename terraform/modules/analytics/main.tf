# Athena over the usage archive: a Glue table whose partitions are projected from the key layout
# (usage/YYYY/MM/DD/HH/, no crawler, no partition to add), and a workgroup that keeps its results
# in a bucket of its own and stops any query scanning more than its cutoff.

locals {
  # The table's one column is the whole line: \u0001 never occurs raw in a JSON line, so the line
  # is never split, and the query parses it (the same SQL text DuckDB runs).
  table_parameters = {
    EXTERNAL                        = "TRUE"
    "projection.enabled"            = "true"
    "projection.hour.type"          = "date"
    "projection.hour.format"        = "yyyy/MM/dd/HH"
    "projection.hour.range"         = "${var.first_day},NOW"
    "projection.hour.interval"      = "1"
    "projection.hour.interval.unit" = "HOURS"
    "storage.location.template"     = "s3://${var.archive_bucket}/${var.archive_prefix}$${hour}/"
  }
}

module "results" {
  source = "../bucket"

  name            = var.results_bucket_name
  expiration_days = var.results_days
  noncurrent_days = 1

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
  tags                               = var.tags
}

resource "aws_glue_catalog_database" "this" {
  name        = "${var.name}_usage"
  description = "Usage ledger of ${var.name}"
}

resource "aws_glue_catalog_table" "this" {
  name          = "usage_lines"
  database_name = aws_glue_catalog_database.this.name
  description   = "Archived usage lines, one JSON line per row, partitioned by UTC arrival hour"
  table_type    = "EXTERNAL_TABLE"
  parameters    = local.table_parameters

  partition_keys {
    name = "hour"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.archive_bucket}/${var.archive_prefix}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
      parameters            = { "field.delim" = "\u0001" }
    }

    columns {
      name = "line"
      type = "string"
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = "${var.name}_usage"
  description   = "Aggregation queries of ${var.name} over the usage archive"
  force_destroy = true

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${module.results.id}/results/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  tags = var.tags
}

# The FOCUS 1.2 export (docs/focus.md): gzip JSON Lines in the reports bucket, one object per
# billing period under focus/billing_period=YYYY-MM/. Partitions are projected from that layout;
# the columns and their types come from functions/token_profiler/focus_export.json.
resource "aws_glue_catalog_table" "focus" {
  name          = "focus_charges"
  database_name = aws_glue_catalog_database.this.name
  description   = "FOCUS 1.2 charges of the tenants, one row per tenant, model, day and token kind"
  table_type    = "EXTERNAL_TABLE"
  parameters = {
    EXTERNAL                                  = "TRUE"
    classification                            = "json"
    "projection.enabled"                      = "true"
    "projection.billing_period.type"          = "date"
    "projection.billing_period.format"        = "yyyy-MM"
    "projection.billing_period.range"         = "${var.focus_first_month},NOW"
    "projection.billing_period.interval"      = "1"
    "projection.billing_period.interval.unit" = "MONTHS"
    "storage.location.template"               = "s3://${var.focus_bucket}/${var.focus_prefix}billing_period=$${billing_period}/"
  }

  partition_keys {
    name = "billing_period"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.focus_bucket}/${var.focus_prefix}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hive.hcatalog.data.JsonSerDe"
      # FOCUS date/times are UTC ISO 8601 with seconds and a Z
      parameters = { "timestamp.formats" = "yyyy-MM-dd'T'HH:mm:ss'Z'" }
    }

    dynamic "columns" {
      for_each = var.focus_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
