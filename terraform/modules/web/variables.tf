variable "name" {
  description = "Name prefix (STACK_PREFIX) of the web resources."
  type        = string
}

variable "bucket_name" {
  description = "Name of the bucket that holds the console's files (globally unique)."
  type        = string
}

variable "site_dir" {
  description = "Folder of the console's static files (web/); every file is uploaded with its content type."
  type        = string
}

variable "models_json" {
  description = "Path of the generated models.json (build/web/models.json), served beside index.html."
  type        = string
}

variable "app_config" {
  description = "Values of window.APP_CONFIG written to config.js (region, userPoolId, clientId, apiUrl, cognitoEndpoint, adminGroup)."
  type        = map(string)

  validation {
    condition     = alltrue([for key in ["region", "userPoolId", "clientId", "apiUrl", "cognitoEndpoint", "adminGroup"] : contains(keys(var.app_config), key)])
    error_message = "app_config must hold region, userPoolId, clientId, apiUrl, cognitoEndpoint and adminGroup."
  }
}

variable "content_security_policy" {
  description = "Content-Security-Policy header CloudFront adds to every response."
  type        = string
  default     = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://*.amazonaws.com; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "emulator_without_oac_attachment" {
  description = "Emulator only: leave the OAC off the origin, because moto drops its id on read-back (a plan would never settle). Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_managed_headers_policy" {
  description = "Emulator only: moto cannot create response-headers policies, so use AWS's managed SecurityHeadersPolicy by id. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_skip_deployment_wait" {
  description = "Emulator only: moto deploys nothing to edge locations, so the wait for Deployed only adds polling delays; skip it. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_policy_conditions_ignored" {
  description = "Emulator only: moto ignores bucket-policy conditions, so the TLS-only deny (a '*' principal with an aws:SecureTransport condition) would deny every request; it is left out. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_forwarded_values_echoed" {
  description = "Emulator only: moto reports legacy forwarded_values on a behaviour that uses a cache policy, so the same block is declared there. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_sni_only_echoed" {
  description = "Emulator only: moto reports ssl_support_method sni-only for the default certificate, so it is declared there. Never set on AWS."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
