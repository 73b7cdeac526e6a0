output "api_url" {
  description = "Base URL of the API, stage included, no trailing slash."
  value       = module.api.api_url
}

output "region" {
  description = "AWS region of the deployment."
  value       = var.region
}

output "user_pool_id" {
  description = "Cognito user pool id."
  value       = module.auth.user_pool_id
}

output "client_id" {
  description = "Cognito app client id (no secret)."
  value       = module.auth.client_id
}

output "admin_group" {
  description = "Cognito group of the administrators."
  value       = module.auth.admin_group
}

output "cloudfront_domain" {
  description = "Domain name of the console's CloudFront distribution."
  value       = module.web.cloudfront_domain
}

output "web_url" {
  description = "HTTPS URL of the web console."
  value       = module.web.web_url
}

output "table_name" {
  description = "DynamoDB usage table."
  value       = module.data.table_name
}

output "reports_bucket" {
  description = "Bucket of the daily CSV reports."
  value       = module.data.reports_bucket
}

output "web_bucket" {
  description = "Bucket of the console's files."
  value       = module.web.bucket
}

output "rest_api_id" {
  description = "Id of the REST API (the local gateway looks its routes up by it)."
  value       = module.api.rest_api_id
}

output "stage_name" {
  description = "Name of the API stage."
  value       = module.api.stage_name
}

output "function_names" {
  description = "Lambda function name by key."
  value       = module.functions.function_names
}

output "log_group_names" {
  description = "Log group by function key, plus api_access for the stage's access logs."
  value       = merge(module.functions.log_group_names, { api_access = module.api.access_log_group_name })
}

output "role_names" {
  description = "Execution role name by function key."
  value       = module.iam.role_names
}

output "schedule_name" {
  description = "EventBridge Scheduler schedule of the aggregator."
  value       = module.scheduler.schedule_name
}

output "archive_bucket" {
  description = "Bucket of the usage archive (usage/YYYY/MM/DD/HH/ objects written by Firehose)."
  value       = module.archive.bucket
}
