variable "name" {
  description = "Name prefix (STACK_PREFIX); the table is <name>_token_usage."
  type        = string
}

variable "bucket_name" {
  description = "Name of the reports bucket (globally unique)."
  type        = string
}

variable "key_schema" {
  description = "The table's key schema, decoded from functions/token_profiler/table.json (shared with the code and tests)."
  type = object({
    hash_key   = string
    range_key  = string
    attributes = list(object({ name = string, type = string }))
    global_secondary_indexes = list(object({
      name            = string
      hash_key        = string
      range_key       = string
      projection_type = string
    }))
    ttl_attribute = string
    billing_mode  = string
  })

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.key_schema.billing_mode) && alltrue([for attribute in var.key_schema.attributes : contains(["S", "N", "B"], attribute.type)])
    error_message = "key_schema.billing_mode must be PAY_PER_REQUEST or PROVISIONED and every attribute type S, N or B."
  }
}

variable "plans_schema" {
  description = "The tenant plans table's key schema, decoded from functions/token_profiler/plans.json (shared with the code and tests)."
  type = object({
    hash_key      = string
    range_key     = string
    attributes    = list(object({ name = string, type = string }))
    ttl_attribute = string
    billing_mode  = string
  })
}

variable "tenants_schema" {
  description = "The tenant registry's key schema, decoded from functions/token_profiler/tenants.json (shared with the code and tests)."
  type = object({
    hash_key     = string
    attributes   = list(object({ name = string, type = string }))
    billing_mode = string
  })
}

variable "report_version_days" {
  description = "Days an overwritten report (noncurrent version) is kept."
  type        = number
  default     = 30
}

variable "emulator_policy_conditions_ignored" {
  description = "Emulator only: moto ignores bucket-policy conditions, so the TLS-only deny (a '*' principal with an aws:SecureTransport condition) would deny every request; it is left out. Never set on AWS."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Deletion protection of the usage table (DELETION_PROTECTION); turn off and apply before destroy."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let destroy delete the reports bucket with its billing records (FORCE_DESTROY; demo and test stacks)."
  type        = bool
  default     = false
}
