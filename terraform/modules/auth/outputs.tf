output "user_pool_id" {
  description = "Id of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool (the API's authorizer trusts it)."
  value       = aws_cognito_user_pool.this.arn
}

output "client_id" {
  description = "Id of the app client (no secret)."
  value       = aws_cognito_user_pool_client.this.id
}

output "admin_group" {
  description = "Name of the admin group."
  value       = aws_cognito_user_group.admin.name
}
