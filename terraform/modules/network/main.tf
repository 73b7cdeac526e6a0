# An isolated network: no internet gateway, no NAT. Lambda reaches AWS services only through
# the gateway and interface endpoints below.

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394:only the first two names are used and availability_zones pins them when set
  count = length(var.availability_zones) == 0 ? 1 : 0
  state = "available"
}

locals {
  azs = length(var.availability_zones) == 2 ? var.availability_zones : slice(data.aws_availability_zones.available[0].names, 0, 2)

  # One isolated /24 per zone, keyed by zone so adding a zone never renumbers the others.
  subnets = { for index, az in local.azs : az => cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), index) }

  gateway_endpoints = toset(["s3", "dynamodb"])
}

resource "aws_vpc" "this" {
  # checkov:skip=CKV2_AWS_11:no internet path exists (no IGW/NAT); every call goes to AWS endpoints that CloudTrail records
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # private DNS of the interface endpoints needs both

  tags = merge(var.tags, { Name = "${var.name}_vpc" })
}

# The default security group of the VPC is emptied so nothing can use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}_default_unused" })
}

resource "aws_subnet" "isolated" {
  for_each = local.subnets

  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = each.key

  tags = merge(var.tags, { Name = "${var.name}_isolated_${each.key}" })
}

resource "aws_route_table" "isolated" {
  for_each = local.subnets

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}_isolated_${each.key}" })
}

resource "aws_route_table_association" "isolated" {
  for_each = local.subnets

  subnet_id      = aws_subnet.isolated[each.key].id
  route_table_id = aws_route_table.isolated[each.key].id
}

resource "aws_security_group" "lambda" {
  # checkov:skip=CKV2_AWS_5:attached to the functions in the functions module (checkov does not follow module outputs)
  name        = "${var.name}_lambda"
  description = "Lambda functions of ${var.name}: HTTPS out to the VPC endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}_lambda" })
}

# HTTPS to the interface endpoints inside the VPC.
resource "aws_vpc_security_group_egress_rule" "lambda_to_endpoints" {
  security_group_id            = aws_security_group.lambda.id
  description                  = var.emulator_rule_descriptions_dropped ? null : "HTTPS to the interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
}

# HTTPS to S3 and DynamoDB through the gateway endpoints (their public ranges, via the prefix lists).
resource "aws_vpc_security_group_egress_rule" "lambda_to_gateways" {
  for_each = local.gateway_endpoints

  security_group_id = aws_security_group.lambda.id
  description       = var.emulator_rule_descriptions_dropped ? null : "HTTPS to ${each.key} through its gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.gateway[each.key].prefix_list_id
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}_vpc_endpoints"
  description = "Interface endpoints of ${var.name}: HTTPS from the Lambda functions"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}_vpc_endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = var.emulator_rule_descriptions_dropped ? null : "HTTPS from the Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = local.gateway_endpoints

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for table in aws_route_table.isolated : table.id]

  tags = merge(var.tags, { Name = "${var.name}_${each.key}" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.isolated : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = merge(var.tags, { Name = "${var.name}_${each.key}" })
}
