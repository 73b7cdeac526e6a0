variable "name" {
  description = "Name prefix (STACK_PREFIX); function <key> is deployed as <name>_<key>."
  type        = string
}

variable "layer_zip" {
  description = "Path of the layer zip (domain package and runtime dependencies under python/)."
  type        = string
}

variable "functions" {
  description = "The functions, by key (= folder under functions/ = suffix of the AWS name)."
  type = map(object({
    description = string
    zip         = string
    role_arn    = string
    timeout     = number
    memory_size = number
    environment = map(string)
  }))

  validation {
    condition     = alltrue([for key, function in var.functions : can(regex("^[a-z][a-z0-9_]*$", key))])
    error_message = "functions: keys must be lowercase snake_case (they name folders, Terraform keys and AWS functions)."
  }

  validation {
    condition     = alltrue([for function in values(var.functions) : function.timeout >= 1 && function.timeout <= 900 && function.memory_size >= 128 && function.memory_size <= 10240])
    error_message = "functions: timeout must be 1-900 s and memory_size 128-10240 MB."
  }
}

variable "runtime" {
  description = "Lambda runtime of every function and of the layer."
  type        = string
  default     = "python3.12"
}

variable "subnet_ids" {
  description = "Subnets the functions run in."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups attached to the functions."
  type        = list(string)
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (a value CloudWatch accepts)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
