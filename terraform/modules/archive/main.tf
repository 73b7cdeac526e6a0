# The usage archive: the invoke function's usage lines, and nothing else, copied by a CloudWatch
# Logs subscription filter into a Firehose stream, which runs every record through the verifying
# processor and writes gzip objects to a versioned S3 bucket under usage/YYYY/MM/DD/HH/ (UTC hour
# of arrival). Two roles: CloudWatch Logs may only put records into this stream; Firehose may only
# invoke the processor and write into this bucket's prefixes. The bucket's policy lets no one else
# put an object, so everything under the prefix passed the processor: the trust boundary.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  logs_arn   = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account_id}"

  # One processor: the verifying Lambda (functions/archive_verify, token_profiler.ledger.ingest).
  # It unpacks the gzip CloudWatch Logs envelope itself and answers each record with one usage
  # line per line (the lines that verified) or a refusal record, so Firehose's own decompression
  # and message extraction are not configured: their order relative to a Lambda processor then
  # never matters. Buffer 0.25 MB: a gzip envelope grows about 8x when unpacked, and the answer
  # (base64 in JSON) must stay under Lambda's 6 MB synchronous payload. The interval (60 s) and the
  # retries (3) are Firehose's defaults, left unset: the provider drops default values when it
  # reads the stream back, so setting them would show a change on every plan.
  processors = {
    Lambda = {
      LambdaArn       = var.processor_arn
      BufferSizeInMBs = "0.25"
    }
  }
}

module "bucket" {
  source = "../bucket"

  name                = var.bucket_name
  expiration_days     = var.retention_days
  noncurrent_days     = var.noncurrent_days
  object_lock_enabled = var.object_lock_enabled
  # the ledger of record: destroy empties it only where FORCE_DESTROY says so (demo and test stacks)
  force_destroy = var.force_destroy && !var.object_lock_enabled

  # Only the Firehose role writes objects; nobody else, whatever their IAM policy allows.
  policy_statements = var.emulator_policy_conditions_ignored ? [] : [{
    Sid       = "OnlyFirehoseWrites"
    Effect    = "Deny"
    Principal = "*"
    Action    = ["s3:PutObject"]
    Resource  = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}/*"
    Condition = { ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.firehose.arn } }
  }]

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
  tags                               = var.tags
}

# ---- Firehose → S3 ---------------------------------------------------------------------------

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${var.name}_usage_archive_firehose"
  description        = "Lets the ${var.name} usage archive stream write into its bucket"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "firehose" {
  # What Firehose's S3 destination calls: multipart uploads of objects under the two prefixes.
  statement {
    sid       = "WriteArchiveObjects"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${module.bucket.arn}/${var.prefix}*", "${module.bucket.arn}/${var.error_prefix}*"]
  }

  # The verifying processor (Firehose checks its configuration, then invokes it synchronously).
  statement {
    sid       = "InvokeVerifyingProcessor"
    actions   = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]
    resources = [var.processor_arn, "${var.processor_arn}:*"]
  }

  statement {
    sid       = "LocateArchiveBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [module.bucket.arn]
  }
}

resource "aws_iam_role_policy" "firehose" {
  name   = "${var.name}_usage_archive_firehose"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  # checkov:skip=CKV_AWS_241:encrypted with an AWS-owned key; the bucket encrypts at rest with SSE-KMS (no per-deployment CMK to pay for and rotate)
  name        = "${var.name}_usage_archive"
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = module.bucket.arn
    prefix              = var.prefix
    error_output_prefix = "${var.error_prefix}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    buffering_size      = var.buffering_mb
    buffering_interval  = var.buffering_seconds
    compression_format  = "GZIP"

    dynamic "processing_configuration" {
      for_each = [local.processors]
      content {
        enabled = true

        dynamic "processors" {
          for_each = processing_configuration.value
          content {
            type = processors.key

            dynamic "parameters" {
              for_each = processors.value
              content {
                parameter_name  = parameters.key
                parameter_value = parameters.value
              }
            }
          }
        }
      }
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.firehose]
}

# ---- CloudWatch Logs → Firehose --------------------------------------------------------------

data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:SourceArn"
      values   = ["${local.logs_arn}:*"]
    }
  }
}

resource "aws_iam_role" "logs" {
  name               = "${var.name}_usage_archive_logs"
  description        = "Lets CloudWatch Logs put the ${var.name} usage lines into the archive stream"
  assume_role_policy = data.aws_iam_policy_document.logs_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "PutUsageLines"
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [aws_kinesis_firehose_delivery_stream.this.arn]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "${var.name}_usage_archive_logs"
  role   = aws_iam_role.logs.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  name            = "${var.name}_usage_archive"
  log_group_name  = var.log_group_name
  filter_pattern  = var.filter_pattern
  destination_arn = aws_kinesis_firehose_delivery_stream.this.arn
  role_arn        = aws_iam_role.logs.arn
  distribution    = "ByLogStream"

  depends_on = [aws_iam_role_policy.logs]
}
