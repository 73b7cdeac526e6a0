output "bucket" {
  description = "Name of the console's bucket."
  value       = module.site.id
}

output "distribution_id" {
  description = "Id of the CloudFront distribution."
  value       = aws_cloudfront_distribution.this.id
}

output "cloudfront_domain" {
  description = "Domain name of the distribution."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "web_url" {
  description = "HTTPS URL of the console."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}"
}
