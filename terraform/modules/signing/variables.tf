variable "name" {
  description = "Name prefix (STACK_PREFIX); the secret is <name>/usage-signing-key."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted keyring can be restored (0 deletes it at once, so the stack can be redeployed under the same name)."
  type        = number
  default     = 0

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or 7-30 (Secrets Manager's limits)."
  }
}

variable "tags" {
  description = "Tags merged into the secret."
  type        = map(string)
  default     = {}
}
