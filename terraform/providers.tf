# On AWS aws_endpoint_url is empty and every endpoint is the provider's default. Against the
# emulator one URL serves every service, and the checks that need real AWS are skipped.

locals {
  emulated = var.aws_endpoint_url != ""
  endpoint = local.emulated ? var.aws_endpoint_url : null
}

provider "aws" {
  region = var.region

  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  s3_use_path_style           = local.emulated

  endpoints {
    apigateway     = local.endpoint
    cloudfront     = local.endpoint
    cloudwatch     = local.endpoint
    cloudwatchlogs = local.endpoint
    cognitoidp     = local.endpoint
    dynamodb       = local.endpoint
    ec2            = local.endpoint
    firehose       = local.endpoint
    glue           = local.endpoint
    athena         = local.endpoint
    iam            = local.endpoint
    lambda         = local.endpoint
    s3             = local.endpoint
    scheduler      = local.endpoint
    sns            = local.endpoint
    sqs            = local.endpoint
    secretsmanager = local.endpoint
    sts            = local.endpoint
  }

  default_tags {
    tags = local.tags
  }
}
