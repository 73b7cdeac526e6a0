variable "name" {
  description = "Name prefix (STACK_PREFIX); a schedule is <name>_<key>, its role <name>_<key>_schedule."
  type        = string
}

variable "schedules" {
  description = "One schedule per key (<name>_<key>): what it does, when (cron(...) or rate(...) of EventBridge Scheduler), the function it invokes and the JSON event it passes."
  type = map(object({
    description         = string
    schedule_expression = string
    function_arn        = string
    input               = optional(string, "{}")
  }))

  validation {
    condition     = alltrue([for s in values(var.schedules) : can(regex("^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\))$", s.schedule_expression))])
    error_message = "schedules: schedule_expression must be cron(...) or rate(N unit), e.g. cron(15 0 * * ? *)."
  }

  validation {
    condition     = alltrue([for s in values(var.schedules) : can(jsondecode(s.input))])
    error_message = "schedules: input must be valid JSON."
  }
}

variable "timezone" {
  description = "Time zone of the cron expressions (the aggregator's days and the statements' months are UTC)."
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
