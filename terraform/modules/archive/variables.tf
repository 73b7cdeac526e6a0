variable "name" {
  description = "Name prefix (STACK_PREFIX): the stream is <name>_usage_archive."
  type        = string
}

variable "bucket_name" {
  description = "Name of the archive bucket (globally unique)."
  type        = string
}

variable "log_group_name" {
  description = "Log group of the invoke function, whose usage lines are archived."
  type        = string
}

variable "filter_pattern" {
  description = "Subscription filter pattern selecting the usage lines (the marker as a quoted term)."
  type        = string
}

variable "prefix" {
  description = "Key prefix of the archived objects; Firehose appends the UTC arrival hour as YYYY/MM/DD/HH/."
  type        = string
  default     = "usage/"

  validation {
    condition     = can(regex("^[a-z0-9_-]+/$", var.prefix))
    error_message = "prefix must be one lowercase path segment ending in '/', e.g. usage/."
  }
}

variable "error_prefix" {
  description = "Key prefix of records Firehose could not process."
  type        = string
  default     = "errors/"
}

variable "retention_days" {
  description = "ARCHIVE_RETENTION_DAYS: days an archived object is kept (billing records: years); 0 keeps them forever."
  type        = number

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number, 0 or more."
  }
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "FORCE_DESTROY: let destroy delete the archive with its usage lines (demo and test stacks only)."
  type        = bool
  default     = false
}

variable "object_lock_enabled" {
  description = "ARCHIVE_OBJECT_LOCK: create the bucket with Object Lock (governance mode for retention_days); make destroy then leaves it behind."
  type        = bool
  default     = false
}

variable "buffering_mb" {
  description = "Firehose buffer size in MB before an object is written."
  type        = number
  default     = 128

  validation {
    condition     = var.buffering_mb >= 1 && var.buffering_mb <= 128
    error_message = "buffering_mb must be 1-128."
  }
}

variable "buffering_seconds" {
  description = "Longest time Firehose buffers before it writes an object (the archive's lag)."
  type        = number
  default     = 300

  validation {
    condition     = var.buffering_seconds >= 0 && var.buffering_seconds <= 900
    error_message = "buffering_seconds must be 0-900."
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

variable "processor_arn" {
  description = "ARN of the Lambda function that verifies every usage line before Firehose archives it."
  type        = string
}
