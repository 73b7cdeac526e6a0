variable "name" {
  description = "Name prefix (STACK_PREFIX); the pool is <name>_user_pool."
  type        = string
}

variable "admin_group" {
  description = "Name of the Cognito group whose members may aggregate and read every tenant's usage."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,128}$", var.admin_group))
    error_message = "admin_group must be 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "tenant_attribute" {
  description = "Add the optional custom:tenant_id attribute (tenant id when set; else the user name is the tenant)."
  type        = bool
  default     = true
}

variable "password_minimum_length" {
  description = "Minimum password length."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be 8-99."
  }
}

variable "id_token_validity_minutes" {
  description = "Lifetime of id and access tokens, in minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.id_token_validity_minutes >= 5 && var.id_token_validity_minutes <= 1440
    error_message = "id_token_validity_minutes must be 5-1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650
    error_message = "refresh_token_validity_days must be 1-3650."
  }
}

variable "tags" {
  description = "Tags merged into the user pool."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Deletion protection of the user pool (DELETION_PROTECTION); turn off and apply before destroy."
  type        = bool
  default     = true
}

variable "admin_mfa" {
  description = "Offer TOTP MFA (mfa_configuration OPTIONAL) so admins can enrol (ADMIN_MFA)."
  type        = bool
  default     = true
}
