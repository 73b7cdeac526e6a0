output "secret_arn" {
  description = "ARN of the signing keyring secret (USAGE_SIGNING_SECRET of the functions)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the signing keyring secret."
  value       = aws_secretsmanager_secret.this.name
}
