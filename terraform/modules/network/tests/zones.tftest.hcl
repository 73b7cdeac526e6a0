# The zone choice, with AWS's answers mocked (moto serves every endpoint in every zone, so only
# mocked answers can show a zone that an endpoint does not serve). Run by
# tests/terraform/test_network_zones.py with `terraform test`.

mock_provider "aws" {}

variables {
  name                = "zt"
  region              = "us-east-1"
  vpc_cidr            = "10.10.0.0/16"
  interface_endpoints = ["bedrock-runtime", "logs"]
}

override_data {
  target = data.aws_availability_zones.available
  values = {
    names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
  }
}

override_data {
  target = data.aws_vpc_endpoint_service.interface["bedrock-runtime"]
  values = {
    service_name       = "com.amazonaws.us-east-1.bedrock-runtime"
    availability_zones = ["us-east-1b", "us-east-1c", "us-east-1d"]
  }
}

override_data {
  target = data.aws_vpc_endpoint_service.interface["logs"]
  values = {
    service_name       = "com.amazonaws.us-east-1.logs"
    availability_zones = ["us-east-1a", "us-east-1c", "us-east-1d"]
  }
}

run "subnets_go_where_every_endpoint_is_served" {
  command = plan

  assert {
    condition     = jsonencode(output.usable_zones) == jsonencode(["us-east-1c", "us-east-1d"])
    error_message = "usable zones must be those every endpoint serves, in name order"
  }

  assert {
    condition     = jsonencode(output.availability_zones) == jsonencode(["us-east-1c", "us-east-1d"])
    error_message = "the subnets must take the first two usable zones, not the Region's first two"
  }

  assert {
    condition     = toset([for subnet in aws_subnet.isolated : subnet.availability_zone]) == toset(["us-east-1c", "us-east-1d"])
    error_message = "the planned subnets must sit in the usable zones"
  }
}

run "pinned_zones_outside_an_endpoint_are_refused" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1c"]
  }

  expect_failures = [aws_subnet.isolated]
}

run "pinned_usable_zones_are_kept" {
  command = plan

  variables {
    availability_zones = ["us-east-1d", "us-east-1c"]
  }

  assert {
    condition     = jsonencode(output.availability_zones) == jsonencode(["us-east-1d", "us-east-1c"])
    error_message = "AVAILABILITY_ZONES must be used as given when usable"
  }
}
