output "database" {
  description = "Glue database of the usage table."
  value       = aws_glue_catalog_database.this.name
}

output "table" {
  description = "Glue table of the archived usage lines."
  value       = aws_glue_catalog_table.this.name
}

output "workgroup" {
  description = "Athena workgroup the aggregator queries in."
  value       = aws_athena_workgroup.this.name
}

output "database_arn" {
  description = "ARN of the Glue database."
  value       = aws_glue_catalog_database.this.arn
}

output "table_arn" {
  description = "ARN of the Glue table."
  value       = aws_glue_catalog_table.this.arn
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "results_bucket_arn" {
  description = "ARN of the query-results bucket."
  value       = module.results.arn
}

output "focus_table" {
  description = "Glue table of the FOCUS export."
  value       = aws_glue_catalog_table.focus.name
}
