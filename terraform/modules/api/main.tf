# REST API: one Cognito-authorized POST per route (Lambda proxy), CORS preflight per route,
# a stage with throttling and JSON access logs, a usage plan with an API key.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  stage_name  = "${var.name}_prod"
  cors_origin = "'${var.cors_allow_origin}'"
  cors_headers = {
    "Access-Control-Allow-Origin"  = local.cors_origin
    "Access-Control-Allow-Headers" = "'Content-Type,${var.auth_header},Authorization'"
    "Access-Control-Allow-Methods" = "'OPTIONS,POST'"
  }
  # Errors API Gateway answers itself use the same JSON shape as the functions' errors.
  gateway_error_body = "{\"message\": $context.error.messageString, \"request_id\": \"$context.requestId\"}"
  not_found_body     = "{\"message\": \"Not found: no route for this method and path\", \"request_id\": \"$context.requestId\"}"
  log_group_arn      = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group"
}

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name}_bedrock_api_gw"
  description = "Per-tenant Bedrock invocation and usage API (${var.name})"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_authorizer" "this" {
  name            = "Auth"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "COGNITO_USER_POOLS"
  identity_source = "method.request.header.${var.auth_header}"
  provider_arns   = [var.user_pool_arn]
}

resource "aws_api_gateway_request_validator" "this" {
  name                        = "${var.name}_parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_parameters = true
  validate_request_body       = false # bodies are validated by the functions, with messages naming the field
}

resource "aws_api_gateway_resource" "this" {
  for_each = var.routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.value.path
}

resource "aws_api_gateway_method" "post" {
  for_each = var.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.this[each.key].id
  http_method          = "POST"
  authorization        = "COGNITO_USER_POOLS"
  authorizer_id        = aws_api_gateway_authorizer.this.id
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_parameters = merge(
    { "method.request.header.${var.auth_header}" = true },
    { for parameter in each.value.required_querystring : "method.request.querystring.${parameter}" => true },
  )
}

resource "aws_api_gateway_integration" "post" {
  for_each = var.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.this[each.key].id
  http_method             = aws_api_gateway_method.post[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = each.value.invoke_arn
}

resource "aws_api_gateway_method" "options" {
  # checkov:skip=CKV_AWS_59:a CORS preflight carries no credentials by design; it returns only headers from a mock
  for_each = var.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.this[each.key].id
  http_method          = "OPTIONS"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.this.id
}

resource "aws_api_gateway_integration" "options" {
  for_each = var.routes

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = aws_api_gateway_resource.this[each.key].id
  http_method       = aws_api_gateway_method.options[each.key].http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_method_response" "options" {
  for_each = var.routes

  rest_api_id         = aws_api_gateway_rest_api.this.id
  resource_id         = aws_api_gateway_resource.this[each.key].id
  http_method         = aws_api_gateway_method.options[each.key].http_method
  status_code         = "200"
  response_parameters = { for header in keys(local.cors_headers) : "method.response.header.${header}" => true }
}

resource "aws_api_gateway_integration_response" "options" {
  for_each = var.routes

  rest_api_id         = aws_api_gateway_rest_api.this.id
  resource_id         = aws_api_gateway_resource.this[each.key].id
  http_method         = aws_api_gateway_method.options[each.key].http_method
  status_code         = aws_api_gateway_method_response.options[each.key].status_code
  response_parameters = { for header, value in local.cors_headers : "method.response.header.${header}" => value }

  depends_on = [aws_api_gateway_integration.options]
}

resource "aws_api_gateway_gateway_response" "this" {
  # An unknown path or method reaches API Gateway as MISSING_AUTHENTICATION_TOKEN (403 by default);
  # this API documents 404 for it. The defaults keep their statuses (null).
  for_each = {
    DEFAULT_4XX                  = { status = null, body = local.gateway_error_body }
    DEFAULT_5XX                  = { status = null, body = local.gateway_error_body }
    MISSING_AUTHENTICATION_TOKEN = { status = "404", body = local.not_found_body }
  }

  rest_api_id         = aws_api_gateway_rest_api.this.id
  response_type       = each.key
  status_code         = each.value.status
  response_templates  = { "application/json" = each.value.body }
  response_parameters = { "gatewayresponse.header.Access-Control-Allow-Origin" = local.cors_origin }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "${var.name} API"

  # A new deployment whenever anything it serves changes; a deployment is a snapshot.
  triggers = {
    redeployment = sha1(jsonencode({
      routes       = var.routes
      auth_header  = var.auth_header
      cors_headers = local.cors_headers
      user_pool    = var.user_pool_arn
      resources    = [for resource in aws_api_gateway_resource.this : resource.id]
      methods      = [for method in merge(aws_api_gateway_method.post, aws_api_gateway_method.options) : method.id]
      integrations = [for integration in merge(aws_api_gateway_integration.post, aws_api_gateway_integration.options) : integration.id]
      responses    = [for response in aws_api_gateway_integration_response.options : response.id]
      gateway      = [for response in aws_api_gateway_gateway_response.this : response.id]
      validator    = aws_api_gateway_request_validator.this.id
      authorizer   = aws_api_gateway_authorizer.this.id
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.post,
    aws_api_gateway_integration_response.options,
    aws_api_gateway_gateway_response.this,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; access logs hold no tokens or bodies
  # checkov:skip=CKV_AWS_338:retention is a config key (RETENTION_DAYS)
  name              = "/aws/apigateway/${var.name}_bedrock_api_gw/access"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:responses are per tenant and per call; caching them would be wrong
  # checkov:skip=CKV_AWS_73:X-Ray tracing is not used (see the functions module)
  # checkov:skip=CKV2_AWS_51:clients authenticate with Cognito id tokens, not TLS client certificates
  # checkov:skip=CKV2_AWS_29:WAF is a per-account choice with its own cost; the stage is throttled and every route authorized
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = local.stage_name

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    # No header values, no bodies: never the Auth token or a prompt.
    format = jsonencode({
      requestId      = "$context.requestId"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latencyMs      = "$context.responseLatency"
      # The user's immutable id: a claim name with ':' (cognito:username, custom:tenant_id) is not
      # a variable API Gateway's access-log format reliably resolves.
      sub   = "$context.authorizer.claims.sub"
      error = "$context.error.message"
    })
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

# The execution-log group API Gateway writes to (logging_level ERROR below). Made here, with a
# retention, so API Gateway never creates it itself with logs kept forever.
resource "aws_cloudwatch_log_group" "execution" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; execution logs at ERROR hold no bodies (data tracing is off)
  # checkov:skip=CKV_AWS_338:retention is a config key (LOG_RETENTION_DAYS)
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${local.stage_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_api_gateway_method_settings" "this" {
  # checkov:skip=CKV_AWS_225:caching is off on purpose (per-tenant responses)
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  # Execution logging starts here: its group (with retention) exists first.
  depends_on = [aws_cloudwatch_log_group.execution]

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false # would log full requests, Auth header and prompts included
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

resource "aws_api_gateway_usage_plan" "this" {
  name        = "${var.name}_usage_plan"
  description = "Default plan of the ${var.name} API"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.throttling_rate_limit
    burst_limit = var.throttling_burst_limit
  }

  tags = var.tags
}

resource "aws_api_gateway_api_key" "this" {
  name        = "${var.name}_api_key"
  description = "Key of the ${var.name} usage plan"

  tags = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  key_id        = aws_api_gateway_api_key.this.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

# Each route's function may be invoked by this API, for that method and path only.
resource "aws_lambda_permission" "this" {
  for_each = var.routes

  statement_id  = "AllowApiGateway_${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/POST/${each.value.path}"
}

# Region-wide setting: the role API Gateway uses to write execution and access logs. Managed only
# when MANAGE_API_GATEWAY_ACCOUNT says so or the account has no role yet (make deploy decides and
# says which); otherwise the account's existing role is used and never overwritten or reset.
data "aws_iam_policy_document" "cloudwatch_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "cloudwatch" {
  # API Gateway writes execution logs to API-Gateway-Execution-Logs_<api id>/<stage> and access
  # logs where each stage points; the access-log groups of this product live under
  # /aws/apigateway/. The role is region-wide, so it covers every API's groups with those names,
  # and nothing else.
  statement {
    sid = "WriteApiLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      "${local.log_group_arn}:API-Gateway-Execution-Logs_*",
      "${local.log_group_arn}:API-Gateway-Execution-Logs_*:*",
      "${local.log_group_arn}:/aws/apigateway/*",
      "${local.log_group_arn}:/aws/apigateway/*:*",
    ]
  }

  statement {
    sid       = "FindApiLogGroups"
    actions   = ["logs:DescribeLogGroups", "logs:DescribeLogStreams"]
    resources = ["${local.log_group_arn}:*"] # Describe lists groups: scoped to this region and account
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  name               = "${var.name}_apigw_cloudwatch"
  description        = "Lets API Gateway write logs in this region"
  assume_role_policy = data.aws_iam_policy_document.cloudwatch_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  name   = "${var.name}_apigw_cloudwatch"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch.json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_settings ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn
  reset_on_delete     = !var.emulator_account_reset_unsupported # destroy leaves no pointer to a deleted role

  depends_on = [aws_iam_role_policy.cloudwatch]
}
