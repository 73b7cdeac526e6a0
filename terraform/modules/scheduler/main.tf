# EventBridge Scheduler: one schedule per entry of var.schedules, each through its own role, which
# may invoke only that schedule's function. Runs that fail after their retries share one
# dead-letter queue (an alarm watches it; a message's attributes name the schedule).

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
  for_each = var.schedules

  name               = "${var.name}_${each.key}_schedule"
  description        = "Lets the ${var.name} ${each.key} schedule invoke its function"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# Runs that still fail after the retries land here, so a missed run is visible (an alarm watches
# it). The name predates the second schedule and is kept: renaming would replace the queue.
resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}_cost_tracking_dlq"
  message_retention_seconds = 1209600 # 14 days, SQS's longest: time to notice and rerun
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  for_each = var.schedules

  statement {
    sid       = "InvokeScheduledFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [each.value.function_arn, "${each.value.function_arn}:*"]
  }

  statement {
    sid       = "DeadLetterFailedRuns"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.schedules

  name   = "${var.name}_${each.key}_schedule"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}

resource "aws_scheduler_schedule" "this" {
  # checkov:skip=CKV_AWS_297:the schedules hold only small JSON inputs; the AWS-owned key suffices
  for_each = var.schedules

  name        = "${var.name}_${each.key}"
  description = "${each.value.description} (${var.name})"

  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = var.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = each.value.function_arn
    role_arn = aws_iam_role.this[each.key].arn
    input    = each.value.input

    # Each scheduled function is idempotent (same rows, same files), so retrying is safe.
    retry_policy {
      maximum_retry_attempts       = var.retry_attempts
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }
}

# The single schedule of earlier versions is the cost_tracking entry now.
moved {
  from = aws_iam_role.this
  to   = aws_iam_role.this["cost_tracking"]
}

moved {
  from = aws_iam_role_policy.this
  to   = aws_iam_role_policy.this["cost_tracking"]
}

moved {
  from = aws_scheduler_schedule.this
  to   = aws_scheduler_schedule.this["cost_tracking"]
}
