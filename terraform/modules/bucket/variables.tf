variable "name" {
  description = "Bucket name (globally unique, lowercase, 3-63 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens."
  }
}

variable "noncurrent_days" {
  description = "Days a noncurrent (overwritten or deleted) object version is kept before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_days >= 1
    error_message = "noncurrent_days must be at least 1."
  }
}

variable "sse_algorithm" {
  description = "Default encryption: aws:kms (AWS-managed aws/s3 key, bucket keys) or AES256 (SSE-S3). A bucket that CloudFront reads through OAC must use AES256: the aws/s3 key policy cannot grant CloudFront kms:Decrypt."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "expiration_days" {
  description = "Days after which current objects expire (a record kept for a fixed time); 0 keeps them forever."
  type        = number
  default     = 0

  validation {
    condition     = var.expiration_days >= 0 && floor(var.expiration_days) == var.expiration_days
    error_message = "expiration_days must be a whole number, 0 or more."
  }
}

variable "object_lock_enabled" {
  description = "Create the bucket with S3 Object Lock (governance mode, retention = expiration_days or 365): set only at creation."
  type        = bool
  default     = false
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (what make destroy promises)."
  type        = bool
  default     = true
}

variable "policy_statements" {
  description = "Extra bucket-policy statements (JSON-decoded IAM statements) added to the TLS-only deny."
  type        = any
  default     = []
}

variable "emulator_policy_conditions_ignored" {
  description = "Emulator only: moto ignores bucket-policy conditions, so the TLS-only deny (a '*' principal with an aws:SecureTransport condition) would deny every request; it is left out. Never set on AWS."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into the bucket (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
