output "topic_arn" {
  description = "ARN of the SNS topic the alarms publish to."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Name of each alarm, by key."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
