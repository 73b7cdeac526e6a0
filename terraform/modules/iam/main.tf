# One role per function, each allowed only what its own code calls plus what Lambda itself needs
# on the function's behalf (its log group, network interfaces in the VPC).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  ec2_arn = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.functions

  name               = "${var.name}_${each.key}"
  description        = "Runs the ${var.name}_${each.key} Lambda function"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  for_each = var.functions

  # Lambda writes the function's logs into the group Terraform created (no CreateLogGroup).
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${each.value.log_group_arn}:*"]
  }

  # Lambda attaches the function to the VPC through network interfaces in our subnets.
  statement {
    sid       = "CreateInterfacesInOwnSubnets"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = concat(["${local.ec2_arn}:network-interface/*"], var.subnet_arns, var.security_group_arns)
  }

  statement {
    sid       = "ManageOwnInterfaces"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn}:network-interface/*"]
  }

  # Describe calls have no resource-level permissions in EC2: "*" is the only accepted resource.
  statement {
    sid       = "DescribeInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"] # checkov:skip=CKV_AWS_356:EC2 Describe actions support no resource-level scoping
  }

  dynamic "statement" {
    for_each = each.value.statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name   = "${var.name}_${each.key}"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}
