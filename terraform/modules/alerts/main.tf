# Budget threshold alerts: one SNS topic, e-mail subscriptions from configs.json ALERT_EMAILS.

resource "aws_sns_topic" "this" {
  name = "${var.name}_budget_alerts"
  # SNS's AWS-managed key: its key policy lets SNS use it for any publisher of this account, so the
  # publishing function needs no KMS grant; a customer-managed key would need one.
  kms_master_key_id = "alias/aws/sns"

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  # Each address receives a confirmation e-mail; nothing is delivered before it is confirmed.
  for_each = toset(var.emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}
