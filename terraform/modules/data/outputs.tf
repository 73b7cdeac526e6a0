output "table_name" {
  description = "Name of the usage table."
  value       = aws_dynamodb_table.this["usage"].name
}

output "table_arn" {
  description = "ARN of the usage table."
  value       = aws_dynamodb_table.this["usage"].arn
}

output "index_arns" {
  description = "ARNs of the table's global secondary indexes."
  value       = [for index in var.key_schema.global_secondary_indexes : "${aws_dynamodb_table.this["usage"].arn}/index/${index.name}"]
}

output "reports_bucket" {
  description = "Name of the reports bucket."
  value       = module.reports.id
}

output "reports_bucket_arn" {
  description = "ARN of the reports bucket."
  value       = module.reports.arn
}

output "plans_table_name" {
  description = "Name of the tenant plans and counters table."
  value       = aws_dynamodb_table.this["plans"].name
}

output "plans_table_arn" {
  description = "ARN of the tenant plans and counters table."
  value       = aws_dynamodb_table.this["plans"].arn
}

output "runs_table_name" {
  description = "DynamoDB table of the manual aggregation runs."
  value       = aws_dynamodb_table.this["runs"].name
}

output "runs_table_arn" {
  description = "ARN of the runs table."
  value       = aws_dynamodb_table.this["runs"].arn
}

output "tenants_table_name" {
  description = "Name of the tenant registry table."
  value       = aws_dynamodb_table.this["tenants"].name
}

output "tenants_table_arn" {
  description = "ARN of the tenant registry table."
  value       = aws_dynamodb_table.this["tenants"].arn
}
