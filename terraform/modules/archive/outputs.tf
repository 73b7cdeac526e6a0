output "bucket" {
  description = "Name of the archive bucket."
  value       = module.bucket.id
}

output "bucket_arn" {
  description = "ARN of the archive bucket."
  value       = module.bucket.arn
}

output "prefix" {
  description = "Key prefix of the archived usage objects."
  value       = var.prefix
}

output "stream_arn" {
  description = "ARN of the Firehose delivery stream."
  value       = aws_kinesis_firehose_delivery_stream.this.arn
}
