output "role_arns" {
  description = "Execution role ARN by function key, known only once each role's policy is in place."
  value       = { for key, role in aws_iam_role.this : key => role.arn }

  # A function made from this ARN depends on the role's policy, not only the role: the policy is
  # attached before the function is created and removed only after it is deleted. On AWS a VPC
  # function's network interfaces are released up to ~40 min after deletion and Lambda needs
  # ec2:DeleteNetworkInterface from this policy until then.
  depends_on = [aws_iam_role_policy.this]
}

output "role_names" {
  description = "Execution role name by function key."
  value       = { for key, role in aws_iam_role.this : key => role.name }
}

output "policy_documents" {
  description = "The inline policy (JSON) of each function's role, by function key."
  value       = { for key, document in data.aws_iam_policy_document.this : key => document.json }
}
