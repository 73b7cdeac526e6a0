# The shared layer (domain package + dependencies) and one function per entry of var.functions.

resource "aws_lambda_layer_version" "this" {
  layer_name          = "${var.name}_token_profiler"
  description         = "token_profiler domain package and its runtime dependencies"
  filename            = var.layer_zip
  source_code_hash    = filebase64sha256(var.layer_zip)
  compatible_runtimes = [var.runtime]
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; no prompt text or tokens are logged
  # checkov:skip=CKV_AWS_338:retention is a config key (RETENTION_DAYS); usage lines are needed only until aggregated
  for_each = var.functions

  name              = "/aws/lambda/${var.name}_${each.key}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_50:X-Ray would need a "*" grant on every role; structured logs carry the request ids
  # checkov:skip=CKV_AWS_115:reserved concurrency would eat into small accounts' pools; API Gateway throttling caps the rate
  # checkov:skip=CKV_AWS_116:API callers get the error synchronously and the schedule retries; nothing is lost to need a DLQ
  # checkov:skip=CKV_AWS_173:the environment holds no secrets, only names and settings
  # checkov:skip=CKV_AWS_272:code signing needs a signer profile the deploy pipeline does not have
  for_each = var.functions

  function_name    = "${var.name}_${each.key}"
  description      = each.value.description
  role             = each.value.role_arn
  runtime          = var.runtime
  handler          = "index.lambda_handler"
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)
  layers           = [aws_lambda_layer_version.this.arn]
  timeout          = each.value.timeout
  memory_size      = each.value.memory_size
  architectures    = ["x86_64"] # the layer's wheels are built for manylinux x86_64

  environment {
    variables = merge(each.value.environment, {
      POWERTOOLS_SERVICE_NAME = each.key
    })
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tags = var.tags

  # The group must exist (with its retention) before the first invocation, or Lambda creates
  # one that never expires and Terraform then fails to create it.
  depends_on = [aws_cloudwatch_log_group.this]
}
