variable "name" {
  description = "Name prefix (STACK_PREFIX); the schedule and its role are <name>_cost_tracking."
  type        = string
}

variable "schedule_expression" {
  description = "When the aggregator runs: a cron(...) or rate(...) expression of EventBridge Scheduler."
  type        = string
  default     = "cron(15 0 * * ? *)"

  validation {
    condition     = can(regex("^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(N unit), e.g. cron(15 0 * * ? *)."
  }
}

variable "timezone" {
  description = "Time zone of a cron expression (the aggregator's days are UTC days)."
  type        = string
  default     = "UTC"
}

variable "function_arn" {
  description = "ARN of the function the schedule invokes."
  type        = string
}

variable "input" {
  description = "JSON event passed to the function on each run."
  type        = string
  default     = "{}"

  validation {
    condition     = can(jsondecode(var.input))
    error_message = "input must be valid JSON."
  }
}

variable "tags" {
  description = "Tags merged into the role."
  type        = map(string)
  default     = {}
}

variable "retry_attempts" {
  description = "Retries of a failed run before it goes to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 185
    error_message = "retry_attempts must be 0-185 (EventBridge Scheduler's range)."
  }
}
