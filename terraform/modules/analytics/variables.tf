variable "name" {
  description = "Name prefix (STACK_PREFIX): database and workgroup are <name>_usage."
  type        = string
}

variable "archive_bucket" {
  description = "Bucket of the usage archive."
  type        = string
}

variable "archive_prefix" {
  description = "Key prefix of the archived objects (followed by YYYY/MM/DD/HH/)."
  type        = string
}

variable "first_day" {
  description = "First hour partition projection considers, as yyyy/MM/dd/HH."
  type        = string
  default     = "2025/01/01/00"

  validation {
    condition     = can(regex("^[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}$", var.first_day))
    error_message = "first_day must be yyyy/MM/dd/HH."
  }
}

variable "results_bucket_name" {
  description = "Name of the bucket holding Athena's query results (globally unique)."
  type        = string
}

variable "results_days" {
  description = "Days a query result is kept (the aggregator reads it once, right away)."
  type        = number
  default     = 7
}

variable "bytes_scanned_cutoff" {
  description = "ATHENA_BYTES_SCANNED_CUTOFF: a query scanning more bytes than this is cancelled (at least 10 MB)."
  type        = number
  default     = 200000000000

  validation {
    condition     = var.bytes_scanned_cutoff >= 10485760
    error_message = "bytes_scanned_cutoff must be at least 10485760 (10 MB), Athena's minimum."
  }
}

variable "emulator_policy_conditions_ignored" {
  description = "Emulator only: moto ignores bucket-policy conditions, so conditioned deny statements are left out. Never set on AWS."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}

variable "focus_bucket" {
  description = "Bucket of the FOCUS export (the reports bucket)."
  type        = string
}

variable "focus_prefix" {
  description = "Key prefix of the FOCUS export (followed by billing_period=YYYY-MM/)."
  type        = string
  default     = "focus/"
}

variable "focus_columns" {
  description = "Columns of the FOCUS export in file order, with their Athena types (from focus_export.json)."
  type        = list(object({ name = string, type = string }))
}

variable "focus_first_month" {
  description = "First billing period partition projection considers, as yyyy-MM."
  type        = string
  default     = "2025-01"

  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}$", var.focus_first_month))
    error_message = "focus_first_month must be yyyy-MM."
  }
}
