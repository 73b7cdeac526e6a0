variable "name" {
  description = "Name prefix (STACK_PREFIX) of the schedules, their roles and the dead-letter queue."
  type        = string
}

variable "schedules" {
  description = "What runs when: key -> the function's ARN, a cron(...) or rate(...) expression of EventBridge Scheduler, a description and the JSON event each run passes. The schedule and its role are <name>_<key>."
  type = map(object({
    function_arn        = string
    schedule_expression = string
    description         = string
    input               = optional(string, "{}")
  }))

  validation {
    condition     = alltrue([for s in values(var.schedules) : can(regex("^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\))$", s.schedule_expression))])
    error_message = "Each schedule_expression must be cron(...) or rate(N unit), e.g. cron(15 0 * * ? *)."
  }

  validation {
    condition     = alltrue([for s in values(var.schedules) : can(jsondecode(s.input))])
    error_message = "Each input must be valid JSON."
  }
}

variable "timezone" {
  description = "Time zone of a cron expression (the aggregator's days are UTC days)."
  type        = string
  default     = "UTC"
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
