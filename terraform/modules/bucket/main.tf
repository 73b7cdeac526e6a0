# A private bucket: all public access blocked, owner-enforced objects, encrypted at rest (SSE-KMS
# with the AWS-managed key and bucket keys, or SSE-S3 for a bucket CloudFront reads), TLS-only
# policy, versioning with expiry of old versions.

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:access logging would need a second log bucket per deployment; CloudTrail data events cover audits
  # checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery choice left to the operator
  # checkov:skip=CKV2_AWS_62:nothing consumes object-created events
  # checkov:skip=CKV_AWS_145:encrypted with SSE-KMS under the AWS-managed key (no per-deployment CMK to pay for and rotate)
  bucket              = var.name
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock_enabled ? true : null

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = var.sse_algorithm
    }
    bucket_key_enabled = var.sse_algorithm == "aws:kms" ? true : null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-and-abort-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Records kept for a fixed time (the usage archive): current objects expire too.
  dynamic "rule" {
    for_each = var.expiration_days > 0 ? [var.expiration_days] : []
    content {
      id     = "expire-current-objects"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Object Lock (governance mode): no version is deleted or overwritten before it is this old.
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock_enabled ? 1 : 0

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.expiration_days > 0 ? var.expiration_days : 365
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.emulator_policy_conditions_ignored ? [] : ["DenyInsecureTransport"]
    content {
      sid       = statement.value
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }

  source_policy_documents = length(var.policy_statements) == 0 ? [] : [jsonencode({
    Version   = "2012-10-17"
    Statement = var.policy_statements
  })]
}

resource "aws_s3_bucket_policy" "this" {
  # Without the TLS-only deny (emulator) a bucket may have no statement left to put.
  count = var.emulator_policy_conditions_ignored && length(var.policy_statements) == 0 ? 0 : 1

  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # The public-access block must be in place first, or a broad statement could slip through.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
