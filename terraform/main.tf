# One deployment of the token profiler: network, data, roles, functions, API, auth, schedule, web.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  arn_tail   = "${var.region}:${local.account_id}"

  build_dir     = var.build_dir != "" ? var.build_dir : "${path.module}/../build"
  functions_dir = var.functions_dir != "" ? var.functions_dir : "${path.module}/../functions"
  web_dir       = var.web_dir != "" ? var.web_dir : "${path.module}/../web"

  tags = merge(var.tags, { Project = "bedrock-token-profiler", Stack = var.prefix })

  # The origin the API allows: CORS_ORIGIN, else the console's origin once an earlier apply made
  # it (make deploy's second step passes it in), else any origin until then. Never the
  # distribution's attribute itself: the backend must not wait for, or fail with, CloudFront.
  # (The Auth header carries the token; no other site holds it, so "*" exposes no caller's data.)
  cors_origin = var.cors_allow_origin != "" ? var.cors_allow_origin : (var.web_console && var.console_origin != "" ? var.console_origin : "*")

  # S3 names are global and may not hold '_': the account id keeps them unique.
  bucket_prefix = replace(var.prefix, "_", "-")
  # known at plan time: the FOCUS table's location is planned with it (docs/focus.md)
  reports_bucket_name = "${local.bucket_prefix}-reports-${local.account_id}"

  # The one key schema the code, the tests and the table share.
  key_schema = jsondecode(file("${local.functions_dir}/token_profiler/table.json"))
  # ... and the tenant plans table's (token_profiler/plans.py reads the same file).
  plans_schema = jsondecode(file("${local.functions_dir}/token_profiler/plans.json"))
  # ... and the tenant registry's (token_profiler/tenants.py).
  tenants_schema = jsondecode(file("${local.functions_dir}/token_profiler/tenants.json"))

  function_keys = ["invoke_model", "cost_tracking", "cost_tracking_manual", "ddb_cost_retrieval", "tenant_plan", "tenant_status", "focus_export", "statements", "archive_verify", "tenants"]
  log_group_arn = { for key in local.function_keys : key => "arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws/lambda/${var.prefix}_${key}" }

  # bedrock:InvokeModel is scoped to the enabled models (their foundation models in any region,
  # which cross-region inference profiles route to, plus the profiles), or to every model.
  profile_pattern = "^(us|eu|apac|global)\\.(.+)$"
  bedrock_model_arns = length(var.enabled_models) == 0 ? [
    "arn:${local.partition}:bedrock:*::foundation-model/*",
    "arn:${local.partition}:bedrock:${local.arn_tail}:inference-profile/*",
    ] : distinct(flatten([for model in var.enabled_models : can(regex(local.profile_pattern, model)) ? [
      "arn:${local.partition}:bedrock:*::foundation-model/${regex(local.profile_pattern, model)[1]}",
      "arn:${local.partition}:bedrock:${local.arn_tail}:inference-profile/${model}",
  ] : ["arn:${local.partition}:bedrock:*::foundation-model/${model}"]]))

  aggregator_environment = {
    LOG_GROUP_API   = "/aws/lambda/${var.prefix}_invoke_model"
    S3_BUCKET       = module.data.reports_bucket
    TABLE_NAME      = module.data.table_name
    PRICE_OVERRIDES = var.price_overrides
    RETENTION_DAYS  = tostring(var.retention_days)
    # the aggregators refuse days whose usage lines the log group no longer holds whole
    LOG_RETENTION_DAYS = tostring(var.log_retention_days)
    # usage-line signatures: the keyring to verify with, and the first day unsigned lines are refused
    USAGE_SIGNING_SECRET = module.signing.secret_arn
    SIGNED_LINES_FROM    = var.signed_lines_from
    SIGNED_DAYS_FROM     = var.signed_days_from
    # counters against the ledger after each run (token_profiler.reconcile)
    PLANS_TABLE    = module.data.plans_table_name
    DEFAULT_PLAN   = var.default_plan
    PLAN_TIME_ZONE = var.plan_time_zone
    # the ledger engine (token_profiler.ledger) and where it reads, the runs table of manual runs
    LEDGER_ENGINE    = var.ledger_engine
    ARCHIVE_BUCKET   = module.archive.bucket
    ARCHIVE_PREFIX   = module.archive.prefix
    GLUE_DATABASE    = module.analytics.database
    GLUE_TABLE       = module.analytics.table
    ATHENA_WORKGROUP = module.analytics.workgroup
    RUNS_TABLE       = module.data.runs_table_name
  }

  # The signing keyring, read once per cold start by the function that signs and those that verify.
  read_signing_key = {
    sid       = "ReadSigningKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.signing.secret_arn]
  }

  # A manual range too long for the API is handed to the scheduled aggregator by name (not by the
  # function's ARN output, which would make the map depend on itself).
  aggregator_function_name = "${var.prefix}_cost_tracking"
  aggregator_function_arn  = "arn:${local.partition}:lambda:${local.arn_tail}:function:${local.aggregator_function_name}"

  # The Athena engine reads the archive through the Glue table, in its workgroup (granted only
  # when LEDGER_ENGINE is athena).
  athena_statements = var.ledger_engine != "athena" ? [] : [
    {
      sid       = "QueryUsageArchive"
      actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"]
      resources = [module.analytics.workgroup_arn]
    },
    {
      sid       = "ReadUsageTable"
      actions   = ["glue:GetDatabase", "glue:GetTable"]
      resources = ["arn:${local.partition}:glue:${local.arn_tail}:catalog", module.analytics.database_arn, module.analytics.table_arn]
    },
    {
      sid       = "ReadArchivedLines"
      actions   = ["s3:GetObject"]
      resources = ["${module.archive.bucket_arn}/${module.archive.prefix}*"]
    },
    {
      sid       = "ListArchivedLines"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [module.archive.bucket_arn, module.analytics.results_bucket_arn]
    },
    {
      sid       = "WriteQueryResults"
      actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
      resources = ["${module.analytics.results_bucket_arn}/results/*"]
    },
  ]

  # What each function's code calls, and on which resources: nothing more is granted.
  aggregator_statements = concat(var.ledger_engine != "logs" ? [] : [
    {
      sid       = "ReadUsageLines"
      actions   = ["logs:FilterLogEvents"]
      resources = [local.log_group_arn.invoke_model, "${local.log_group_arn.invoke_model}:*"]
    }], [
    {
      sid       = "WriteUsageRows"
      actions   = ["dynamodb:BatchWriteItem"]
      resources = [module.data.table_arn]
    },
    {
      # A rerun reads the day's stored rows (by_date index): their prices and counts.
      sid       = "ReadDayRows"
      actions   = ["dynamodb:Query"]
      resources = module.data.index_arns
    },
    {
      sid       = "WriteReports"
      actions   = ["s3:PutObject"]
      resources = ["${module.data.reports_bucket_arn}/reports/*"]
    },
    local.read_signing_key,
    {
      # reconciliation: each tenant's counters (and the tenant list) against its month in the ledger
      sid       = "ReadPlanCounters"
      actions   = ["dynamodb:GetItem", "dynamodb:Scan"]
      resources = [module.data.plans_table_arn]
    },
    {
      sid       = "ReadLedgerMonthToDate"
      actions   = ["dynamodb:Query"]
      resources = [module.data.table_arn]
    },
  ], local.athena_statements)

  # Tenant plans (token_profiler.plans): what invoke_model and the two plan routes read.
  plans_environment = {
    PLANS_TABLE     = module.data.plans_table_name
    DEFAULT_PLAN    = var.default_plan
    PLAN_TIME_ZONE  = var.plan_time_zone
    PLANS_FAIL_OPEN = var.plans_fail_open ? "true" : "false"
  }
  plan_functions = {
    tenant_plan = {
      description = "Reads or sets a tenant's plan (budget, rate limits, alerts, models); admins only"
      timeout     = var.api_function_timeout
      memory_size = 256
      route       = { path = "tenant_plan", required_querystring = [] }
      environment = merge(local.plans_environment, { ADMIN_GROUP = var.admin_group, CORS_ORIGIN = local.cors_origin, PRICE_OVERRIDES = var.price_overrides })
      statements = [{
        sid       = "ReadWritePlans"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
        resources = [module.data.plans_table_arn]
      }]
    }
    tenant_status = {
      description = "Returns month-to-date spend against the plan: the caller's own, or any/all for an administrator"
      timeout     = var.api_function_timeout
      memory_size = 256
      route       = { path = "tenant_status", required_querystring = [] }
      environment = merge(local.plans_environment, { ADMIN_GROUP = var.admin_group, CORS_ORIGIN = local.cors_origin })
      statements = [
        {
          sid       = "ReadPlansAndCounters"
          actions   = ["dynamodb:GetItem"]
          resources = [module.data.plans_table_arn]
        },
        {
          # An administrator's listing of every tenant walks the plans table.
          sid       = "ListTenantsForAdmin"
          actions   = ["dynamodb:Scan"]
          resources = [module.data.plans_table_arn]
        },
      ]
    }
  }
  # The tenant registry's admin routes (token_profiler.tenants): one function behind four paths.
  tenants_function = {
    description = "Lists, creates, disables and enables tenants and adds their users; admins only"
    timeout     = var.api_function_timeout
    memory_size = 256
    route       = { path = "tenants", required_querystring = [] }
    environment = merge(local.plans_environment, {
      TENANTS_TABLE = module.data.tenants_table_name
      USER_POOL_ID  = module.auth.user_pool_id
      ADMIN_GROUP   = var.admin_group
      CORS_ORIGIN   = local.cors_origin
    })
    statements = [
      {
        sid       = "ManageRegistry"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan"]
        resources = [module.data.tenants_table_arn]
      },
      {
        # the listing's plan and month-to-date spend of each tenant
        sid       = "ReadPlansAndCounters"
        actions   = ["dynamodb:GetItem"]
        resources = [module.data.plans_table_arn]
      },
      {
        sid       = "CreateTenantUsers"
        actions   = ["cognito-idp:DescribeUserPool", "cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminAddUserToGroup"]
        resources = [module.auth.user_pool_arn]
      },
    ]
  }
  # The function's other paths (the first is its `route`).
  tenants_extra_paths = ["tenant_create", "tenant_update", "tenant_user"]

  # invoke_model's additions for plans: counters (reserve, settle, alerts marks) and the alerts topic.
  # TENANTS_TABLE: a disabled tenant is refused; its status is read with the plan (one BatchGetItem).
  invoke_plan_environment = merge(local.plans_environment, { ALERTS_TOPIC_ARN = module.alerts.topic_arn, TENANTS_TABLE = module.data.tenants_table_name })
  invoke_plan_statements = [
    {
      sid       = "EnforcePlans"
      actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      resources = [module.data.plans_table_arn]
    },
    {
      sid       = "ReadPlanWithTenantStatus"
      actions   = ["dynamodb:BatchGetItem"]
      resources = [module.data.plans_table_arn, module.data.tenants_table_arn]
    },
    {
      sid       = "PublishBudgetAlerts"
      actions   = ["sns:Publish"]
      resources = [module.alerts.topic_arn]
    },
  ]

  # Monthly statements (token_profiler.statements): one function behind three routes and the
  # month-close schedule. It reads the month's daily rows and writes/reads statements/ only.
  statement_functions = {
    statements = {
      description = "Writes monthly statements (at month close, or an administrator's request); lists them and links downloads"
      # the month-close run writes every tenant's statement; API Gateway still cuts API calls at 29 s
      timeout     = 300
      memory_size = 256
      route       = { path = "statements", required_querystring = [] }
      environment = { TABLE_NAME = module.data.table_name, S3_BUCKET = module.data.reports_bucket, ADMIN_GROUP = var.admin_group, CORS_ORIGIN = local.cors_origin }
      statements = [
        {
          # a tenant's month (its partition), or every tenant's month day by day (by_date index)
          sid        = "ReadMonthRows"
          actions    = ["dynamodb:Query"]
          resources  = concat([module.data.table_arn], module.data.index_arns)
          conditions = []
        },
        {
          # HeadObject (a download's 404) is authorized as GetObject
          sid        = "WriteAndReadStatements"
          actions    = ["s3:PutObject", "s3:GetObject"]
          resources  = ["${module.data.reports_bucket_arn}/statements/*"]
          conditions = []
        },
        {
          # listing, and S3's 404 (not 403) for a statement not written yet
          sid        = "ListStatements"
          actions    = ["s3:ListBucket"]
          resources  = [module.data.reports_bucket_arn]
          conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["statements/*"] }]
        },
      ]
    }
  }
  # The statements function's other two routes (the function's own route is POST /statements).
  statement_routes = {
    statement_download = "statement_download"
    statement_generate = "statement_generate"
  }

  # ADMIN_MFA: the admin routes read the caller's MFA setting from the user pool.
  admin_mfa_statements = var.admin_mfa ? [{
    sid       = "ReadAdminMfaSetting"
    actions   = ["cognito-idp:AdminGetUser"]
    resources = [module.auth.user_pool_arn]
  }] : []

  # The FOCUS export (docs/focus.md): its columns (the Glue table's too) and its function.
  focus_export = jsondecode(file("${local.functions_dir}/token_profiler/focus_export.json"))
  focus_columns = [for column in local.focus_export.columns : {
    name = column.name
    type = local.focus_export.athena_types[column.data_type]
  }]
  focus_functions = {
    focus_export = {
      description = "Writes the FOCUS 1.2 export of the tenants' charges to S3 (scheduled, after the aggregation)"
      timeout     = 300
      memory_size = 512
      route       = null
      environment = {
        S3_BUCKET                = module.data.reports_bucket
        TABLE_NAME               = module.data.table_name
        FOCUS_PROVIDER_NAME      = var.focus_provider_name != "" ? var.focus_provider_name : var.prefix
        FOCUS_BILLING_ACCOUNT_ID = var.focus_billing_account_id
        TENANTS_TABLE            = module.data.tenants_table_name
      }
      statements = [
        {
          # the month's daily rows, day by day on the by_date index
          sid       = "ReadMonthRows"
          actions   = ["dynamodb:Query"]
          resources = module.data.index_arns
        },
        {
          sid       = "WriteFocusExport"
          actions   = ["s3:PutObject"]
          resources = ["${module.data.reports_bucket_arn}/focus/*"]
        },
        {
          # the tenants' display names (SubAccountName)
          sid       = "ReadTenantNames"
          actions   = ["dynamodb:Scan"]
          resources = [module.data.tenants_table_arn]
        },
      ]
    }
  }

  # The archive stream's processor: verifies every usage line before Firehose writes it (Firehose
  # invokes it with the archive module's role; it has no route and no trigger of its own).
  ingest_functions = {
    archive_verify = {
      description = "Verifies each usage line's signature before the archive stream writes it"
      timeout     = 120
      memory_size = 512
      route       = null
      environment = { USAGE_SIGNING_SECRET = module.signing.secret_arn, SIGNED_LINES_FROM = var.signed_lines_from, SIGNED_DAYS_FROM = var.signed_days_from }
      statements  = [local.read_signing_key]
    }
  }

  # The map that drives the functions, their roles and (through `route`) the API.
  functions = merge(local.plan_functions, local.focus_functions, local.statement_functions, local.ingest_functions, { tenants = local.tenants_function }, {
    invoke_model = {
      description = "Calls a Bedrock model for a tenant and logs one usage line"
      timeout     = var.api_function_timeout
      memory_size = 512
      route       = { path = "invoke_model", required_querystring = ["model_id"] }
      environment = merge({
        BEDROCK_URL     = var.bedrock_url
        BEDROCK_REGION  = var.region
        ENABLED_MODELS  = join(",", var.enabled_models)
        PRICE_OVERRIDES = var.price_overrides
        MAX_INPUT_CHARS = tostring(var.max_input_chars)
        LOG_PROMPTS     = var.log_prompts ? "true" : "false"
        CORS_ORIGIN     = local.cors_origin
        # issue 13: the output cap's default speed, and the optional tenant dimension of metrics
        OUTPUT_TOKENS_PER_SECOND = tostring(var.output_tokens_per_second)
        METRICS_PER_TENANT       = var.metrics_per_tenant ? "true" : "false"
        # signs every usage line with the keyring's current key
        USAGE_SIGNING_SECRET = module.signing.secret_arn
      }, local.invoke_plan_environment)
      statements = concat([{
        sid       = "InvokeModels"
        actions   = ["bedrock:InvokeModel"]
        resources = local.bedrock_model_arns
      }, local.read_signing_key], local.invoke_plan_statements)
    }
    cost_tracking = {
      description = "Aggregates yesterday's usage lines into DynamoDB and a CSV report (scheduled)"
      timeout     = 300
      memory_size = 512
      route       = null
      environment = local.aggregator_environment
      statements = concat(local.aggregator_statements, [{
        sid       = "RecordRunOutcome"
        actions   = ["dynamodb:UpdateItem"]
        resources = [module.data.runs_table_arn]
      }])
    }
    cost_tracking_manual = {
      description = "Aggregates a day's usage lines on an administrator's request"
      timeout     = var.api_function_timeout
      memory_size = 512
      route       = { path = "cost_track_manual", required_querystring = [] }
      environment = merge(local.aggregator_environment, {
        ADMIN_GROUP          = var.admin_group
        CORS_ORIGIN          = local.cors_origin
        ADMIN_MFA            = tostring(var.admin_mfa)
        AGGREGATOR_FUNCTION  = local.aggregator_function_name
        MANUAL_SYNC_MAX_DAYS = tostring(var.manual_sync_max_days)
      })
      statements = concat(local.aggregator_statements, local.admin_mfa_statements, [
        {
          sid       = "StartAndReadRuns"
          actions   = ["dynamodb:PutItem", "dynamodb:GetItem"]
          resources = [module.data.runs_table_arn]
        },
        {
          sid       = "HandOverLongRuns"
          actions   = ["lambda:InvokeFunction"]
          resources = [local.aggregator_function_arn]
        },
      ])
    }
    ddb_cost_retrieval = {
      description = "Returns usage rows: the caller's own, or any tenant's for an administrator"
      timeout     = var.api_function_timeout
      memory_size = 256
      route       = { path = "ddb_cost_retrieval", required_querystring = [] }
      environment = { TABLE_NAME = module.data.table_name, ADMIN_GROUP = var.admin_group, CORS_ORIGIN = local.cors_origin, ADMIN_MFA = tostring(var.admin_mfa) }
      statements = concat([
        {
          sid       = "QueryUsageRows"
          actions   = ["dynamodb:Query"]
          resources = concat([module.data.table_arn], module.data.index_arns)
        },
        {
          # An administrator's listing without a date range walks the whole table.
          sid       = "ScanUsageRowsForAdmin"
          actions   = ["dynamodb:Scan"]
          resources = [module.data.table_arn]
        },
      ], local.admin_mfa_statements)
    }
  })
}

module "network" {
  source = "./modules/network"

  name               = var.prefix
  region             = var.region
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  # LEDGER_ENGINE=athena's queries reach Athena through its own endpoint (cognito-idp, which the
  # tenants function and ADMIN_MFA's lookup use, is a required one: scripts/endpoints.py)
  interface_endpoints = distinct(concat(
    var.interface_endpoints,
    var.ledger_engine == "athena" ? ["athena"] : [],
  ))
  gateway_endpoints = var.gateway_endpoints

  emulator_rule_descriptions_dropped  = var.emulator_rule_descriptions_dropped
  emulator_unlisted_endpoint_services = var.emulator_unlisted_endpoint_services
}

module "data" {
  source = "./modules/data"

  name           = var.prefix
  bucket_name    = local.reports_bucket_name
  key_schema     = local.key_schema
  plans_schema   = local.plans_schema
  tenants_schema = local.tenants_schema

  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
}

module "signing" {
  source = "./modules/signing"

  name = var.prefix
}

module "iam" {
  source = "./modules/iam"

  name = var.prefix
  functions = { for key, function in local.functions : key => {
    log_group_arn = local.log_group_arn[key]
    statements    = function.statements
  } }
  subnet_arns         = [for id in module.network.subnet_ids : "arn:${local.partition}:ec2:${local.arn_tail}:subnet/${id}"]
  security_group_arns = ["arn:${local.partition}:ec2:${local.arn_tail}:security-group/${module.network.lambda_security_group_id}"]
}

module "functions" {
  source = "./modules/functions"

  name      = var.prefix
  layer_zip = "${local.build_dir}/dist/layer.zip"
  functions = { for key, function in local.functions : key => {
    description = function.description
    zip         = "${local.build_dir}/dist/${key}.zip"
    role_arn    = module.iam.role_arns[key]
    timeout     = function.timeout
    memory_size = function.memory_size
    environment = merge(function.environment, { LOG_LEVEL = var.log_level, POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace })
  } }
  subnet_ids         = module.network.subnet_ids
  security_group_ids = [module.network.lambda_security_group_id]
  log_retention_days = var.log_retention_days
}

module "alerts" {
  source = "./modules/alerts"

  name   = var.prefix
  emails = var.alert_emails
  tags   = local.tags
}

module "auth" {
  source = "./modules/auth"

  name        = var.prefix
  admin_group = var.admin_group

  deletion_protection = var.deletion_protection
  admin_mfa           = var.admin_mfa
}

module "api" {
  source = "./modules/api"

  name = var.prefix
  routes = merge({ for key, function in local.functions : key => {
    path                 = function.route.path
    required_querystring = function.route.required_querystring
    function_name        = module.functions.function_names[key]
    invoke_arn           = module.functions.invoke_arns[key]
    } if function.route != null }, { for key, path in local.statement_routes : key => {
    path                 = path
    required_querystring = []
    function_name        = module.functions.function_names["statements"]
    invoke_arn           = module.functions.invoke_arns["statements"]
    } }, { for path in local.tenants_extra_paths : path => {
    path                 = path
    required_querystring = []
    function_name        = module.functions.function_names["tenants"]
    invoke_arn           = module.functions.invoke_arns["tenants"]
  } })
  user_pool_arn           = module.auth.user_pool_arn
  throttling_rate_limit   = var.api_throttling_rate
  throttling_burst_limit  = var.api_burst_rate
  cors_allow_origin       = local.cors_origin
  log_retention_days      = var.log_retention_days
  manage_account_settings = var.manage_api_gateway_account

  emulator_account_reset_unsupported = var.emulator_account_reset_unsupported
}

module "scheduler" {
  source = "./modules/scheduler"

  name = var.prefix
  schedules = {
    cost_tracking = {
      function_arn        = module.functions.function_arns["cost_tracking"]
      schedule_expression = var.schedule_expression
      description         = "Aggregates yesterday's usage lines of ${var.prefix}"
    }
    # after the nightly aggregation: the month so far (and the previous month early in a month)
    focus_export = {
      function_arn        = module.functions.function_arns["focus_export"]
      schedule_expression = var.focus_export_schedule
      description         = "Writes the FOCUS export of ${var.prefix}"
    }
    # after the nightly run (and its hour of retries) has aggregated the month's last day
    statements = {
      description         = "Writes last month's statement for every tenant with usage"
      schedule_expression = var.statement_schedule_expression
      function_arn        = module.functions.function_arns["statements"]
    }
  }
}

module "web" {
  source = "./modules/web"
  count  = var.web_console ? 1 : 0

  name        = var.prefix
  bucket_name = "${local.bucket_prefix}-web-${local.account_id}"
  site_dir    = local.web_dir
  models_json = "${local.build_dir}/web/models.json"
  app_config = {
    region          = var.region
    userPoolId      = module.auth.user_pool_id
    clientId        = module.auth.client_id
    apiUrl          = module.api.api_url
    cognitoEndpoint = local.emulated ? "${var.aws_endpoint_url}/" : "https://cognito-idp.${var.region}.amazonaws.com/"
    adminGroup      = var.admin_group
  }
  emulator_without_oac_attachment  = var.emulator_without_oac_attachment
  emulator_managed_headers_policy  = var.emulator_managed_headers_policy
  emulator_skip_deployment_wait    = var.emulator_skip_deployment_wait
  emulator_forwarded_values_echoed = var.emulator_forwarded_values_echoed
  emulator_sni_only_echoed         = var.emulator_sni_only_echoed

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
}

# -- operations: alarms to the operator and the deployment's dashboard (issue 13) ---------------

locals {
  # Where the functions' embedded-metric-format metrics land (powertools Metrics).
  metrics_namespace = "BedrockTokenProfiler/${var.prefix}"
  api_dimensions    = { ApiName = module.api.api_name, Stage = module.api.stage_name }
  scheduled         = { service = "cost_tracking" }

  # One map drives every alarm; each publishes to the alarm topic when it fires and when it clears.
  alarms = {
    api_5xx_rate = {
      description         = "More than 5% of API requests answered 5xx over 5 minutes"
      namespace           = "AWS/ApiGateway", metric_name = "5XXError", dimensions = local.api_dimensions
      statistic           = "Average", period = 300, evaluation_periods = 1, threshold = 0.05
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    bedrock_throttling = {
      description         = "Bedrock throttled invoke_model calls (callers got 429)"
      namespace           = local.metrics_namespace, metric_name = "BedrockThrottles", dimensions = { service = "invoke_model" }
      statistic           = "Sum", period = 300, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    aggregator_errors = {
      description         = "The scheduled aggregator failed (it is retried, then dead-lettered)"
      namespace           = "AWS/Lambda", metric_name = "Errors", dimensions = { FunctionName = module.functions.function_names["cost_tracking"] }
      statistic           = "Sum", period = 300, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    aggregation_missing = {
      description         = "No successful scheduled aggregation in 26 hours: yesterday's costs are not in the table"
      namespace           = local.metrics_namespace, metric_name = "AggregationSucceeded", dimensions = local.scheduled
      statistic           = "Sum", period = 3600, evaluation_periods = 26, threshold = 1
      comparison_operator = "LessThanThreshold", treat_missing_data = "breaching"
    }
    dead_letters = {
      description         = "A scheduled run failed after every retry and waits in the dead-letter queue"
      namespace           = "AWS/SQS", metric_name = "ApproximateNumberOfMessagesVisible", dimensions = { QueueName = module.scheduler.dead_letter_queue_name }
      statistic           = "Maximum", period = 300, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    unpriced_lines = {
      description         = "Usage lines of a model without a price were counted at cost 0"
      namespace           = local.metrics_namespace, metric_name = "UnpricedLines", dimensions = local.scheduled
      statistic           = "Sum", period = 3600, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    rejected_lines = {
      description         = "Usage lines failed their signature check (forged, tampered or unknown key) and were not billed"
      namespace           = local.metrics_namespace, metric_name = "RejectedUsageLines", dimensions = local.scheduled
      statistic           = "Sum", period = 3600, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
    skipped_lines = {
      description         = "Malformed usage lines were skipped by the aggregator"
      namespace           = local.metrics_namespace, metric_name = "SkippedLines", dimensions = local.scheduled
      statistic           = "Sum", period = 3600, evaluation_periods = 1, threshold = 0
      comparison_operator = "GreaterThanThreshold", treat_missing_data = "notBreaching"
    }
  }

  # Per model: SEARCH finds every model_id the invoke function has reported.
  per_model = "{${local.metrics_namespace},model_id,service}"
  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title   = "Calls per day, by model", region = var.region, view = "timeSeries", stat = "Sum", period = 86400
        metrics = [[{ expression = "SEARCH('${local.per_model} MetricName=\"Calls\"', 'Sum', 86400)", id = "calls" }]]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Errors (5 min)", region = var.region, view = "timeSeries", stat = "Sum", period = 300
        metrics = concat(
          [["AWS/ApiGateway", "5XXError", "ApiName", module.api.api_name, "Stage", module.api.stage_name], ["AWS/ApiGateway", "4XXError", "ApiName", module.api.api_name, "Stage", module.api.stage_name]],
          [for key in local.function_keys : ["AWS/Lambda", "Errors", "FunctionName", module.functions.function_names[key]]]
        )
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title   = "API latency (ms)", region = var.region, view = "timeSeries", period = 300
        metrics = [for stat in ["p50", "p90", "p99"] : ["AWS/ApiGateway", "Latency", "ApiName", module.api.api_name, "Stage", module.api.stage_name, { stat = stat, label = stat }]]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "Tokens per day, by model", region = var.region, view = "timeSeries", stat = "Sum", period = 86400
        metrics = [
          [{ expression = "SEARCH('${local.per_model} MetricName=\"InputTokens\"', 'Sum', 86400)", id = "input" }],
          [{ expression = "SEARCH('${local.per_model} MetricName=\"OutputTokens\"', 'Sum', 86400)", id = "output" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 24, height = 6
      properties = {
        title   = "Cost per day (US$, as invoke_model priced each call; the table is the ledger)", region = var.region, view = "timeSeries", stat = "Sum", period = 86400
        metrics = [[{ expression = "SEARCH('${local.per_model} MetricName=\"CostUSD\"', 'Sum', 86400)", id = "cost" }]]
      }
    },
  ]
}

module "alarms" {
  source = "./modules/alarms"

  name              = var.prefix
  alarms            = local.alarms
  emails            = var.alarm_emails
  dashboard_widgets = local.dashboard_widgets
}

module "archive" {
  source = "./modules/archive"

  name                = var.prefix
  bucket_name         = "${local.bucket_prefix}-archive-${local.account_id}"
  log_group_name      = module.functions.log_group_names["invoke_model"]
  filter_pattern      = "\"TOKEN_USAGE\""
  processor_arn       = module.functions.function_arns["archive_verify"]
  retention_days      = var.archive_retention_days
  object_lock_enabled = var.archive_object_lock
  force_destroy       = var.force_destroy
  tags                = local.tags

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
}

module "analytics" {
  source = "./modules/analytics"

  name                 = var.prefix
  archive_bucket       = module.archive.bucket
  archive_prefix       = module.archive.prefix
  results_bucket_name  = "${local.bucket_prefix}-athena-${local.account_id}"
  bytes_scanned_cutoff = var.athena_bytes_scanned_cutoff
  tags                 = local.tags
  focus_bucket         = local.reports_bucket_name
  focus_columns        = local.focus_columns

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
}
