variable "name" {
  description = "Name prefix (STACK_PREFIX); the API is <name>_bedrock_api_gw and its stage <name>_prod."
  type        = string
}

variable "routes" {
  description = "POST routes by key: path part, target function and the query-string parameters the route requires."
  type = map(object({
    path                 = string
    function_name        = string
    invoke_arn           = string
    required_querystring = list(string)
  }))

  validation {
    condition     = alltrue([for route in values(var.routes) : can(regex("^[A-Za-z0-9_-]+$", route.path))])
    error_message = "routes: path must be one path part of letters, digits, '_' or '-' (no slashes)."
  }
}

variable "user_pool_arn" {
  description = "ARN of the Cognito user pool whose id tokens the authorizer accepts."
  type        = string
}

variable "auth_header" {
  description = "Request header that carries the Cognito id token."
  type        = string
  default     = "Auth"
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on the stage (API_THROTTLING_RATE)."
  type        = number

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed on the stage (API_BURST_RATE)."
  type        = number

  validation {
    condition     = var.throttling_burst_limit > 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a positive whole number."
  }
}

variable "cors_allow_origin" {
  description = "Origin allowed by CORS (the web console's URL, or * while there is none)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the access-log group, in days."
  type        = number
}

variable "manage_account_settings" {
  description = "Set the region-wide API Gateway CloudWatch role (one per account and region). Off: the account's existing role is used."
  type        = bool
  default     = false
}

variable "emulator_account_reset_unsupported" {
  description = "Emulator only: moto cannot reset the API Gateway account setting (a destroy would retry forever), so the reset on destroy is skipped there. Never set on AWS."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
