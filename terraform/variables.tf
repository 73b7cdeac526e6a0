variable "prefix" {
  description = "STACK_PREFIX: names every resource, so several deployments coexist in one account."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{1,19}$", var.prefix))
    error_message = "prefix must be 2-20 characters: a lowercase letter, then lowercase letters, digits or '_'."
  }
}

variable "region" {
  description = "AWS region of the deployment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "emulator_rule_descriptions_dropped" {
  description = "Emulator only: moto drops the description of security-group rules that reference a group or prefix list, so they are left empty there. Never set on AWS."
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
  description = "Tags on every resource (provider default_tags), merged with Project and Stack."
  type        = map(string)
  default     = {}
}

variable "build_dir" {
  description = "Absolute path of build/ (dist/<key>.zip, dist/layer.zip, web/models.json); empty means ../build next to this module."
  type        = string
  default     = ""
}

variable "functions_dir" {
  description = "Absolute path of functions/ (table.json is read from it); empty means ../functions next to this module."
  type        = string
  default     = ""
}

variable "web_dir" {
  description = "Absolute path of the console's static files; empty means ../web next to this module."
  type        = string
  default     = ""
}

# ---- network -------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "VPC_CIDR: CIDR block of the VPC."
  type        = string
  default     = "10.10.0.0/16"
}

variable "interface_endpoints" {
  description = "Interface VPC endpoints by service suffix; each costs per hour and AZ (see docs/terraform.md)."
  type        = list(string)
  default     = ["bedrock-runtime", "cognito-idp", "lambda", "logs", "secretsmanager", "sns"]

  validation {
    condition     = alltrue([for service in var.interface_endpoints : can(regex("^[a-z0-9][a-z0-9.-]*$", service))]) && length(distinct(var.interface_endpoints)) == length(var.interface_endpoints)
    error_message = "interface_endpoints must be distinct service suffixes such as bedrock-runtime or logs."
  }

  validation {
    condition     = alltrue([for service in var.required_interface_endpoints : contains(var.interface_endpoints, service)])
    error_message = "interface_endpoints must include every endpoint the functions' calls need (required_interface_endpoints, from scripts/endpoints.py): the VPC has no other route to AWS."
  }
}

variable "required_interface_endpoints" {
  description = "Interface endpoints the functions' own calls need (rendered from scripts/endpoints.py)."
  type        = list(string)
  default     = ["bedrock-runtime", "cognito-idp", "lambda", "logs", "secretsmanager", "sns"]
}

variable "gateway_endpoints" {
  description = "Services the functions reach through gateway endpoints (rendered from scripts/endpoints.py)."
  type        = list(string)
  default     = ["dynamodb", "s3"]
}

variable "availability_zones" {
  description = "AVAILABILITY_ZONES: two zones for the subnets; empty picks the first two that need no opt-in and that every interface endpoint serves."
  type        = list(string)
  default     = []
}

# ---- API -----------------------------------------------------------------------------------

variable "api_throttling_rate" {
  description = "API_THROTTLING_RATE: steady-state requests per second on the stage."
  type        = number
  default     = 10000
}

variable "api_burst_rate" {
  description = "API_BURST_RATE: burst of requests on the stage."
  type        = number
  default     = 5000
}

variable "cors_allow_origin" {
  description = "Origin allowed by CORS; empty means the console's own CloudFront origin (https://<domain>)."
  type        = string
  default     = ""

  validation {
    condition     = var.cors_allow_origin == "" || var.cors_allow_origin == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?$", var.cors_allow_origin))
    error_message = "cors_allow_origin must be empty, * or an origin such as https://console.example.com (no path)."
  }
}

variable "api_function_timeout" {
  description = "Timeout (s) of the functions behind the API; it must stay below API Gateway's 29 s limit."
  type        = number
  default     = 28

  validation {
    condition     = var.api_function_timeout >= 3 && var.api_function_timeout < 29
    error_message = "api_function_timeout must be 3-28 s: API Gateway gives up at 29 s and the call would run on, billed."
  }
}

variable "manage_api_gateway_account" {
  description = "MANAGE_API_GATEWAY_ACCOUNT: set the region-wide API Gateway CloudWatch role. Off by default: the account's existing role (if any) is used and never cleared."
  type        = bool
  default     = false
}

variable "web_console" {
  description = "WEB_CONSOLE: deploy the browser console (S3 + CloudFront). Off: the backend alone (API, functions, schedule)."
  type        = bool
  default     = true
}

variable "console_origin" {
  description = "The console's origin from an earlier apply (https://<distribution domain>), written by make deploy; the backend's CORS origin when cors_allow_origin is empty. Never read from the distribution in the same apply, so the backend never waits for CloudFront."
  type        = string
  default     = ""

  validation {
    condition     = var.console_origin == "" || can(regex("^https://[A-Za-z0-9.-]+$", var.console_origin))
    error_message = "console_origin must be empty or https://<domain>."
  }
}

# ---- functions -----------------------------------------------------------------------------

variable "bedrock_url" {
  description = "BEDROCK_URL of invoke_model (bedrock-runtime endpoint); empty means boto3's default for the region."
  type        = string
  default     = ""
}

variable "enabled_models" {
  description = "ENABLED_MODELS: model ids (as called) the API accepts; empty means every catalog model. Also scopes bedrock:InvokeModel."
  type        = list(string)
  default     = []
}

variable "price_overrides" {
  description = "PRICE_OVERRIDES: JSON object shaped like catalog.json's models."
  type        = string
  default     = "{}"

  validation {
    condition     = can(keys(jsondecode(var.price_overrides)))
    error_message = "price_overrides must be a JSON object."
  }
}

variable "retention_days" {
  description = "RETENTION_DAYS: days a usage row lives in DynamoDB (TTL); 0 keeps rows forever."
  type        = number
  default     = 400

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number, 0 or more."
  }
}

variable "log_retention_days" {
  description = "Retention of the log groups, in days (a value CloudWatch accepts)."
  type        = number
  default     = 30
}

variable "max_input_chars" {
  description = "MAX_INPUT_CHARS: longest prompt invoke_model accepts."
  type        = number
  default     = 100000

  validation {
    condition     = var.max_input_chars >= 1
    error_message = "max_input_chars must be positive."
  }
}

variable "log_prompts" {
  description = "LOG_PROMPTS: log prompt text (off by default; prompts are tenants' data)."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

# ---- auth and schedule ---------------------------------------------------------------------

variable "admin_group" {
  description = "ADMIN_GROUP: Cognito group of the administrators."
  type        = string
  default     = "admin"
}

variable "schedule_expression" {
  description = "When the aggregator runs (EventBridge Scheduler cron/rate, UTC)."
  type        = string
  default     = "cron(15 0 * * ? *)"
}

# ---- tenant plans ----------------------------------------------------------------------------

variable "default_plan" {
  description = "The plan of a tenant without its own, as JSON (configs.json DEFAULT_PLAN, validated by scripts/config.py)."
  type        = string
  default     = "{}"

  validation {
    condition     = can(keys(jsondecode(var.default_plan)))
    error_message = "default_plan must be a JSON object."
  }
}

variable "plan_time_zone" {
  description = "IANA time zone whose calendar months are the budget periods (configs.json PLAN_TIME_ZONE)."
  type        = string
  default     = "UTC"
}

variable "plans_fail_open" {
  description = "Admit calls when the plan counters cannot be reached (configs.json PLANS_FAIL_OPEN); refused by default."
  type        = bool
  default     = false
}

variable "alert_emails" {
  description = "Addresses subscribed to the budget alerts topic (configs.json ALERT_EMAILS)."
  type        = list(string)
  default     = []
}

# ---- emulator ------------------------------------------------------------------------------

variable "aws_endpoint_url" {
  description = "Emulator only: one endpoint URL for every AWS service (the local moto server). Empty on AWS."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]+$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty (AWS) or http://127.0.0.1:<port> (the local emulator)."
  }
}

variable "emulator_without_oac_attachment" {
  description = "Emulator only: moto drops the CloudFront OAC id on read-back, so the origin is created without it. Never set on AWS."
  type        = bool
  default     = false
}

variable "emulator_managed_headers_policy" {
  description = "Emulator only: moto cannot create response-headers policies; AWS's managed SecurityHeadersPolicy id is used. Never set on AWS."
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

variable "emulator_unlisted_endpoint_services" {
  description = "Emulator only: interface endpoint services moto's DescribeVpcEndpointServices does not list (cognito-idp); they are not looked up. Never set on AWS."
  type        = list(string)
  default     = []
}

variable "emulator_account_reset_unsupported" {
  description = "Emulator only: moto cannot reset the API Gateway account setting (a destroy would retry forever), so the reset on destroy is skipped there. Never set on AWS."
  type        = bool
  default     = false
}

# -- issue 13: protection of billing data, admin MFA, alarms and metrics -------------------------

variable "deletion_protection" {
  description = "DELETION_PROTECTION: deletion protection on the user pool and the usage table (turn off and apply before destroy)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "FORCE_DESTROY: let destroy delete the reports bucket with its billing records (demo and test stacks only)."
  type        = bool
  default     = false
}

variable "admin_mfa" {
  description = "ADMIN_MFA: TOTP MFA in the user pool, and admin rights only for users who sign in with it."
  type        = bool
  default     = true
}

variable "alarm_emails" {
  description = "ALARM_EMAILS: addresses subscribed to the alarm topic (each confirms by e-mail)."
  type        = list(string)
  default     = []
}

variable "metrics_per_tenant" {
  description = "METRICS_PER_TENANT: add a tenant dimension to invoke_model's metrics (one metric set per tenant and model: cost grows with tenants)."
  type        = bool
  default     = false
}

variable "output_tokens_per_second" {
  description = "OUTPUT_TOKENS_PER_SECOND: assumed generation speed of a model without its own in the catalog; output tokens are capped to what fits the Bedrock read timeout."
  type        = number
  default     = 50

  validation {
    condition     = var.output_tokens_per_second >= 1 && var.output_tokens_per_second <= 10000
    error_message = "output_tokens_per_second must be between 1 and 10000."
  }
}

# ---- signed usage lines --------------------------------------------------------------------

variable "signed_lines_from" {
  description = "SIGNED_LINES_FROM: first UTC day (YYYY-MM-DD) on which unsigned usage lines are rejected; empty rejects them on every day."
  type        = string
  default     = ""

  validation {
    condition     = var.signed_lines_from == "" || can(regex("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", var.signed_lines_from))
    error_message = "signed_lines_from must be empty or a date YYYY-MM-DD."
  }
}

variable "signed_days_from" {
  description = "SIGNED_DAYS_FROM: first UTC day (YYYY-MM-DD) on which signed usage lines that name no day (written before schema 3) are rejected; empty rejects them on every day."
  type        = string
  default     = ""

  validation {
    condition     = var.signed_days_from == "" || can(regex("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", var.signed_days_from))
    error_message = "signed_days_from must be empty or a date YYYY-MM-DD."
  }
}

# ---- usage ledger (archive and engines) ----------------------------------------------------

variable "ledger_engine" {
  description = "LEDGER_ENGINE: how the aggregators read a day: logs (FilterLogEvents, small deployments) or athena (the S3 archive)."
  type        = string
  default     = "logs"

  validation {
    condition     = contains(["logs", "athena"], var.ledger_engine)
    error_message = "ledger_engine must be logs or athena (duckdb runs on one machine, not in Lambda)."
  }
}

variable "archive_retention_days" {
  description = "ARCHIVE_RETENTION_DAYS: days the usage archive keeps an object (billing records: 2557 = 7 years); 0 keeps them forever."
  type        = number
  default     = 2557

  validation {
    condition     = var.archive_retention_days >= 0 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number, 0 or more."
  }
}

variable "archive_object_lock" {
  description = "ARCHIVE_OBJECT_LOCK: create the archive bucket with S3 Object Lock (governance mode for the retention)."
  type        = bool
  default     = false
}

variable "athena_bytes_scanned_cutoff" {
  description = "ATHENA_BYTES_SCANNED_CUTOFF: the workgroup cancels a query scanning more bytes than this."
  type        = number
  default     = 200000000000
}

variable "manual_sync_max_days" {
  description = "MANUAL_SYNC_MAX_DAYS: longest range POST /cost_track_manual aggregates within the request; a longer one runs asynchronously (202 and a run id)."
  type        = number
  default     = 1

  validation {
    condition     = var.manual_sync_max_days >= 1 && floor(var.manual_sync_max_days) == var.manual_sync_max_days
    error_message = "manual_sync_max_days must be a whole number, 1 or more."
  }
}

# ---- FOCUS export (docs/focus.md) -------------------------------------------------------------

variable "focus_provider_name" {
  description = "FOCUS_PROVIDER_NAME: the provider billing its tenants, as the FOCUS export names it (ProviderName, InvoiceIssuerName, BillingAccountName). Empty: the stack prefix."
  type        = string
  default     = ""
}

variable "focus_billing_account_id" {
  description = "FOCUS_BILLING_ACCOUNT_ID: the export's BillingAccountId. Empty: the provider name."
  type        = string
  default     = ""
}

variable "focus_export_schedule" {
  description = "When the FOCUS export runs: a cron(...) or rate(...) expression, after the aggregation's SCHEDULE."
  type        = string
  default     = "cron(15 2 * * ? *)"
}

# ---- monthly statements ------------------------------------------------------------------------

variable "statement_schedule_expression" {
  description = "When last month's statements are written (EventBridge Scheduler cron, UTC): on the 1st, after the nightly aggregation (schedule_expression) and its hour of retries have covered the month's last day."
  type        = string
  default     = "cron(0 3 1 * ? *)"
}
