output "function_names" {
  description = "Function name by key."
  value       = { for key, function in aws_lambda_function.this : key => function.function_name }
}

output "function_arns" {
  description = "Function ARN by key."
  value       = { for key, function in aws_lambda_function.this : key => function.arn }
}

output "invoke_arns" {
  description = "ARN API Gateway uses to invoke each function, by key."
  value       = { for key, function in aws_lambda_function.this : key => function.invoke_arn }
}

output "log_group_names" {
  description = "Log group name by function key."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "layer_arn" {
  description = "ARN (with version) of the layer."
  value       = aws_lambda_layer_version.this.arn
}
