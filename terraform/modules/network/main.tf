# An isolated network: no internet gateway, no NAT. Lambda reaches AWS services only through
# the gateway and interface endpoints below.

# Zones that need no opt-in: the Region's own AZs, never a Local Zone or Wavelength Zone that
# the account opted into (whose names sort among them, e.g. us-east-1-bos-1a).
data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394:only the first two usable zones are taken (new zones get later letters) and AVAILABILITY_ZONES pins them; zone ids differ per account, so none can be written here
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

# Each interface endpoint service as the Region lists it: a service the Region does not offer
# fails the plan here, naming it, and its availability_zones say where it can be placed.
data "aws_vpc_endpoint_service" "interface" {
  for_each = toset([for service in var.interface_endpoints : service if !contains(var.emulator_unlisted_endpoint_services, service)])

  service_name = "com.amazonaws.${var.region}.${each.key}"
  service_type = "Interface"
}

locals {
  # Zones every kept interface endpoint serves (the name -> zone-id mapping differs per account,
  # so this is asked of the account, not assumed).
  endpoint_zones = length(data.aws_vpc_endpoint_service.interface) == 0 ? data.aws_availability_zones.available.names : tolist(setintersection(
    [for service in data.aws_vpc_endpoint_service.interface : service.availability_zones]...
  ))
  usable_zones = [for name in data.aws_availability_zones.available.names : name if contains(local.endpoint_zones, name)]

  azs = length(var.availability_zones) == 2 ? var.availability_zones : slice(local.usable_zones, 0, min(2, length(local.usable_zones)))

  # One isolated /24 per zone, keyed by zone so adding a zone never renumbers the others.
  subnets = { for index, az in local.azs : az => cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), index) }

  gateway_endpoints = toset(var.gateway_endpoints)
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

  lifecycle {
    precondition {
      condition     = length(local.azs) == 2 && alltrue([for az in local.azs : contains(local.usable_zones, az)])
      error_message = "The subnets need two zones that need no opt-in and that every interface endpoint (${join(", ", var.interface_endpoints)}) serves; usable here: ${join(", ", local.usable_zones)}. Set AVAILABILITY_ZONES to two of them, or drop the endpoint that narrows the list."
    }
  }
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
  service_name        = contains(var.emulator_unlisted_endpoint_services, each.key) ? "com.amazonaws.${var.region}.${each.key}" : data.aws_vpc_endpoint_service.interface[each.key].service_name
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.isolated : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = merge(var.tags, { Name = "${var.name}_${each.key}" })
}
