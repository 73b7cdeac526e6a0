# EventBridge Scheduler runs the aggregator through its own role, which may invoke only that function.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}_cost_tracking_schedule"
  description        = "Lets the ${var.name} schedule invoke the aggregator"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# Runs that still fail after the retries land here, so a missed day is visible (an alarm watches it).
resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}_cost_tracking_dlq"
  message_retention_seconds = 1209600 # 14 days, SQS's longest: time to notice and rerun the day
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "InvokeAggregator"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.function_arn, "${var.function_arn}:*"]
  }

  statement {
    sid       = "DeadLetterFailedRuns"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}_cost_tracking_schedule"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_scheduler_schedule" "this" {
  # checkov:skip=CKV_AWS_297:the schedule holds only an empty JSON input; the AWS-owned key suffices
  name        = "${var.name}_cost_tracking"
  description = "Aggregates yesterday's usage lines of ${var.name}"

  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.function_arn
    role_arn = aws_iam_role.this.arn
    input    = var.input

    # A rerun gives the same rows (idempotent aggregation), so retrying is safe.
    retry_policy {
      maximum_retry_attempts       = var.retry_attempts
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }
}
