output "id" {
  description = "Bucket name, known once versioning is on (objects written earlier would get null version ids)."
  value       = aws_s3_bucket_versioning.this.bucket
}

output "arn" {
  description = "Bucket ARN."
  value       = aws_s3_bucket.this.arn
}

output "regional_domain_name" {
  description = "Regional domain name of the bucket (CloudFront origin)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
