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
  description = "Domain name of the console's CloudFront distribution (empty with WEB_CONSOLE false)."
  value       = var.web_console ? module.web[0].cloudfront_domain : ""
}

output "web_url" {
  description = "HTTPS URL of the web console (empty with WEB_CONSOLE false)."
  value       = var.web_console ? module.web[0].web_url : ""
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
  value       = var.web_console ? module.web[0].bucket : ""
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
  description = "Log group by function key, plus api_access and api_execution for the stage's access and execution logs."
  value       = merge(module.functions.log_group_names, { api_access = module.api.access_log_group_name, api_execution = module.api.execution_log_group_name })
}

output "role_names" {
  description = "Execution role name by function key."
  value       = module.iam.role_names
}

output "signing_secret_arn" {
  description = "Secrets Manager secret of the usage-line signing keyring (its value is put by the deploy flow, never by Terraform)."
  value       = module.signing.secret_arn
}

output "schedule_name" {
  description = "EventBridge Scheduler schedule of the aggregator."
  value       = module.scheduler.schedule_names["cost_tracking"]
}

output "cors_origin" {
  description = "The origin the API allows (CORS_ORIGIN, the console's origin from an earlier apply, or *)."
  value       = local.cors_origin
}

output "availability_zones" {
  description = "Zones of the isolated subnets (chosen from usable_zones unless AVAILABILITY_ZONES names them)."
  value       = module.network.availability_zones
}

output "plans_table_name" {
  description = "DynamoDB table of tenant plans and their spend counters."
  value       = module.data.plans_table_name
}

output "alerts_topic_arn" {
  description = "SNS topic of the budget threshold alerts."
  value       = module.alerts.topic_arn
}

output "archive_bucket" {
  description = "Bucket of the usage archive (usage/YYYY/MM/DD/HH/ objects written by Firehose)."
  value       = module.archive.bucket
}

output "focus_table" {
  description = "Glue table (in the analytics database) of the FOCUS export."
  value       = module.analytics.focus_table
}

output "statement_schedule_name" {
  description = "EventBridge Scheduler schedule that writes last month's statements."
  value       = module.scheduler.schedule_names["statements"]
}

output "tenants_table_name" {
  description = "DynamoDB table of the tenant registry (make tenant-add and the admin routes)."
  value       = module.data.tenants_table_name
}
