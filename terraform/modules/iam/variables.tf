variable "name" {
  description = "Name prefix (STACK_PREFIX); role and policy of function <key> are both named <name>_<key>."
  type        = string
}

variable "functions" {
  description = "One entry per Lambda function: its log group ARN and the statements its code needs (nothing else is granted)."
  type = map(object({
    log_group_arn = string
    statements = list(object({
      sid       = string
      actions   = list(string)
      resources = list(string)
      # e.g. s3:ListBucket narrowed to one key prefix with s3:prefix
      conditions = optional(list(object({
        test     = string
        variable = string
        values   = list(string)
      })), [])
    }))
  }))

  validation {
    condition = alltrue(flatten([
      for function in values(var.functions) : [
        for statement in function.statements : [
          for action in statement.actions : action != "*" && !endswith(action, ":*")
        ]
      ]
    ]))
    error_message = "functions: an action may not be a wildcard (\"*\" or \"service:*\"): list exactly what the code calls."
  }

  validation {
    condition = alltrue(flatten([
      for function in values(var.functions) : [for statement in function.statements : !contains(statement.resources, "*")]
    ]))
    error_message = "functions: a resource may not be \"*\": scope each statement to ARNs."
  }
}

variable "subnet_arns" {
  description = "ARNs of the subnets the functions run in (their network interfaces are created there)."
  type        = list(string)
}

variable "security_group_arns" {
  description = "ARNs of the security groups attached to the functions' network interfaces."
  type        = list(string)
}

variable "tags" {
  description = "Tags merged into every role."
  type        = map(string)
  default     = {}
}
