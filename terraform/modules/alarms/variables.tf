variable "name" {
  description = "Name prefix (STACK_PREFIX); the topic is <name>_alarms, each alarm <name>_<key>."
  type        = string
}

variable "alarms" {
  description = "The alarms, by key: which metric, how it is summed, and when it is in alarm."
  type = map(object({
    description         = string
    namespace           = string
    metric_name         = string
    dimensions          = map(string)
    statistic           = string
    period              = number
    evaluation_periods  = number
    threshold           = number
    comparison_operator = string
    treat_missing_data  = string
  }))

  validation {
    condition = alltrue([for alarm in values(var.alarms) : contains(
      ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"],
      alarm.comparison_operator
    ) && contains(["breaching", "notBreaching", "ignore", "missing"], alarm.treat_missing_data)])
    error_message = "each alarm needs a CloudWatch comparison_operator and treat_missing_data value."
  }
}

variable "emails" {
  description = "Addresses subscribed to the alarm topic (ALARM_EMAILS); each must confirm the subscription."
  type        = list(string)
  default     = []
}

variable "dashboard_widgets" {
  description = "Widgets of the deployment's CloudWatch dashboard (CloudWatch's dashboard-body widget objects)."
  type        = any
  default     = []
}

variable "tags" {
  description = "Tags merged into the topic and the alarms."
  type        = map(string)
  default     = {}
}
