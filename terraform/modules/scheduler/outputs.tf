output "schedule_names" {
  description = "Name of each schedule, by key."
  value       = { for key, schedule in aws_scheduler_schedule.this : key => schedule.name }
}

output "schedule_arns" {
  description = "ARN of each schedule, by key."
  value       = { for key, schedule in aws_scheduler_schedule.this : key => schedule.arn }
}

output "role_arns" {
  description = "ARN of the role each schedule assumes, by key."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}

output "dead_letter_queue_name" {
  description = "Name of the queue that receives runs failed after every retry (every schedule's)."
  value       = aws_sqs_queue.dead_letter.name
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}
