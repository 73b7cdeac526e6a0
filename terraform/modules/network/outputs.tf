output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "subnet_ids" {
  description = "Ids of the isolated subnets (one per availability zone)."
  value       = [for subnet in aws_subnet.isolated : subnet.id]
}

output "lambda_security_group_id" {
  description = "Security group the Lambda functions run in."
  value       = aws_security_group.lambda.id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint ids by service suffix."
  value       = { for key, endpoint in aws_vpc_endpoint.interface : key => endpoint.id }
}

output "gateway_endpoint_ids" {
  description = "Gateway endpoint ids by service (s3, dynamodb)."
  value       = { for key, endpoint in aws_vpc_endpoint.gateway : key => endpoint.id }
}

output "availability_zones" {
  description = "The zones of the isolated subnets."
  value       = local.azs
}

output "usable_zones" {
  description = "Zones that need no opt-in and that every interface endpoint serves (what AVAILABILITY_ZONES may name)."
  value       = local.usable_zones
}
