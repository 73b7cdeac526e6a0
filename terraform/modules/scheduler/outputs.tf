output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "schedule_name" {
  description = "Name of the schedule."
  value       = aws_scheduler_schedule.this.name
}

output "role_arn" {
  description = "ARN of the role the schedule assumes."
  value       = aws_iam_role.this.arn
}
