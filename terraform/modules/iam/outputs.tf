output "role_arns" {
  description = "Execution role ARN by function key."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}

output "role_names" {
  description = "Execution role name by function key."
  value       = { for key, role in aws_iam_role.this : key => role.name }
}

output "policy_documents" {
  description = "The inline policy (JSON) of each function's role, by function key."
  value       = { for key, document in data.aws_iam_policy_document.this : key => document.json }
}
