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

  # The browser console calls the API from its own CloudFront origin unless config names another.
  cors_origin = var.cors_allow_origin != "" ? var.cors_allow_origin : module.web.web_url

  # S3 names are global and may not hold '_': the account id keeps them unique.
  bucket_prefix = replace(var.prefix, "_", "-")

  # The one key schema the code, the tests and the table share.
  key_schema = jsondecode(file("${local.functions_dir}/token_profiler/table.json"))

  function_keys = ["invoke_model", "cost_tracking", "cost_tracking_manual", "ddb_cost_retrieval"]
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
    LOG_GROUP_API    = "/aws/lambda/${var.prefix}_invoke_model"
    S3_BUCKET        = module.data.reports_bucket
    TABLE_NAME       = module.data.table_name
    PRICE_OVERRIDES  = var.price_overrides
    RETENTION_DAYS   = tostring(var.retention_days)
    LEDGER_ENGINE    = var.ledger_engine
    ARCHIVE_BUCKET   = module.archive.bucket
    ARCHIVE_PREFIX   = module.archive.prefix
    GLUE_DATABASE    = module.analytics.database
    GLUE_TABLE       = module.analytics.table
    ATHENA_WORKGROUP = module.analytics.workgroup
    RUNS_TABLE       = module.data.runs_table_name
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
      sid       = "WriteReports"
      actions   = ["s3:PutObject"]
      resources = ["${module.data.reports_bucket_arn}/reports/*"]
    },
  ], local.athena_statements)

  # The map that drives the functions, their roles and (through `route`) the API.
  functions = {
    invoke_model = {
      description = "Calls a Bedrock model for a tenant and logs one usage line"
      timeout     = var.api_function_timeout
      memory_size = 512
      route       = { path = "invoke_model", required_querystring = ["model_id"] }
      environment = {
        BEDROCK_URL     = var.bedrock_url
        BEDROCK_REGION  = var.region
        ENABLED_MODELS  = join(",", var.enabled_models)
        PRICE_OVERRIDES = var.price_overrides
        MAX_INPUT_CHARS = tostring(var.max_input_chars)
        LOG_PROMPTS     = var.log_prompts ? "true" : "false"
        CORS_ORIGIN     = local.cors_origin
      }
      statements = [{
        sid       = "InvokeModels"
        actions   = ["bedrock:InvokeModel"]
        resources = local.bedrock_model_arns
      }]
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
        AGGREGATOR_FUNCTION  = local.aggregator_function_name
        MANUAL_SYNC_MAX_DAYS = tostring(var.manual_sync_max_days)
      })
      statements = concat(local.aggregator_statements, [
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
      environment = { TABLE_NAME = module.data.table_name, ADMIN_GROUP = var.admin_group, CORS_ORIGIN = local.cors_origin }
      statements = [
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
      ]
    }
  }
}

module "network" {
  source = "./modules/network"

  name                = var.prefix
  region              = var.region
  vpc_cidr            = var.vpc_cidr
  availability_zones  = var.availability_zones
  interface_endpoints = var.interface_endpoints

  emulator_rule_descriptions_dropped = var.emulator_rule_descriptions_dropped
}

module "data" {
  source = "./modules/data"

  name        = var.prefix
  bucket_name = "${local.bucket_prefix}-reports-${local.account_id}"
  key_schema  = local.key_schema

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
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
    environment = merge(function.environment, { LOG_LEVEL = var.log_level })
  } }
  subnet_ids         = module.network.subnet_ids
  security_group_ids = [module.network.lambda_security_group_id]
  log_retention_days = var.log_retention_days
}

module "auth" {
  source = "./modules/auth"

  name        = var.prefix
  admin_group = var.admin_group
}

module "api" {
  source = "./modules/api"

  name = var.prefix
  routes = { for key, function in local.functions : key => {
    path                 = function.route.path
    required_querystring = function.route.required_querystring
    function_name        = module.functions.function_names[key]
    invoke_arn           = module.functions.invoke_arns[key]
  } if function.route != null }
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

  name                = var.prefix
  schedule_expression = var.schedule_expression
  function_arn        = module.functions.function_arns["cost_tracking"]
}

module "web" {
  source = "./modules/web"

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

module "archive" {
  source = "./modules/archive"

  name                = var.prefix
  bucket_name         = "${local.bucket_prefix}-archive-${local.account_id}"
  log_group_name      = module.functions.log_group_names["invoke_model"]
  filter_pattern      = "\"TOKEN_USAGE\""
  retention_days      = var.archive_retention_days
  object_lock_enabled = var.archive_object_lock
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

  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
}
