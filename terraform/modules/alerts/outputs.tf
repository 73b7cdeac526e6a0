output "topic_arn" {
  description = "ARN of the budget alerts topic."
  value       = aws_sns_topic.this.arn
}
