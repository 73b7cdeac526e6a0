variable "name" {
  description = "Name prefix of every network resource (the deployment's STACK_PREFIX)."
  type        = string
}

variable "region" {
  description = "AWS region; the service names of the VPC endpoints are built from it."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; two /24 subnets are carved from its first addresses."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 23
    error_message = "vpc_cidr must be an IPv4 CIDR block of /23 or larger (two /24 subnets are carved from it)."
  }
}

variable "availability_zones" {
  description = "The two availability zones of the isolated subnets; empty picks the first two that need no opt-in and that every interface endpoint serves."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 2
    error_message = "availability_zones must be empty or name exactly two zones."
  }
}

variable "interface_endpoints" {
  description = "Service suffixes of the interface VPC endpoints (e.g. bedrock-runtime, logs); each is billed per hour and AZ."
  type        = list(string)
}

variable "gateway_endpoints" {
  description = "Services reached through a (free) gateway endpoint: s3 and dynamodb (scripts/endpoints.py)."
  type        = list(string)
  default     = ["dynamodb", "s3"]

  validation {
    condition     = alltrue([for service in var.gateway_endpoints : contains(["s3", "dynamodb"], service)])
    error_message = "gateway_endpoints: only s3 and dynamodb have gateway endpoints."
  }
}

variable "emulator_rule_descriptions_dropped" {
  description = "Emulator only: moto drops the description of security-group rules that reference a group or prefix list, so they are left empty there. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_unlisted_endpoint_services" {
  description = "Emulator only: interface endpoint services moto does not list (cognito-idp), so they are not looked up and narrow no zones. Always empty on AWS, where every endpoint is looked up."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged into every resource of the module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
