output "rest_api_id" {
  description = "Id of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (source of the Lambda permissions)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_url" {
  description = "Invoke URL of the stage, without a trailing slash."
  value       = trimsuffix(aws_api_gateway_stage.this.invoke_url, "/")
}

output "access_log_group_name" {
  description = "Log group of the stage's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "api_key_id" {
  description = "Id of the usage plan's API key (its value stays in API Gateway)."
  value       = aws_api_gateway_api_key.this.id
}

output "usage_plan_id" {
  description = "Id of the usage plan."
  value       = aws_api_gateway_usage_plan.this.id
}

output "execution_log_group_name" {
  description = "Log group of the stage's execution logs (API-Gateway-Execution-Logs_<id>/<stage>)."
  value       = aws_cloudwatch_log_group.execution.name
}

output "api_name" {
  description = "Name of the REST API (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}
