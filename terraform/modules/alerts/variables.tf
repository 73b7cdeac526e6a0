variable "name" {
  description = "Name prefix (STACK_PREFIX); the topic is <name>_budget_alerts."
  type        = string
}

variable "emails" {
  description = "Addresses subscribed to the alerts (configs.json ALERT_EMAILS)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "emails must be e-mail addresses."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
