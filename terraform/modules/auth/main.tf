# Users are created by an administrator only; each user is a tenant (or carries custom:tenant_id).

resource "aws_cognito_user_pool" "this" {
  name = "${var.name}_user_pool"

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  auto_verified_attributes = ["email"]

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  dynamic "schema" {
    for_each = var.tenant_attribute ? ["tenant_id"] : []
    content {
      name                     = schema.value
      attribute_data_type      = "String"
      mutable                  = true # an admin may move a user to another tenant
      developer_only_attribute = false
      required                 = false

      string_attribute_constraints {
        min_length = 1
        max_length = 128
      }
    }
  }

  # The pool holds who may spend as which tenant: protected unless a demo stack turns it off.
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # TOTP for admins (ADMIN_MFA): OPTIONAL lets each user enrol; the API grants admin rights only
  # to users whose sign-in asks for it (see docs/api.md).
  mfa_configuration = var.admin_mfa ? "OPTIONAL" : "OFF"

  dynamic "software_token_mfa_configuration" {
    for_each = var.admin_mfa ? [true] : []
    content {
      enabled = true
    }
  }

  tags = var.tags
}

resource "aws_cognito_user_group" "admin" {
  name         = var.admin_group
  user_pool_id = aws_cognito_user_pool.this.id
  description  = "May aggregate usage and read every tenant's costs"
}

resource "aws_cognito_user_pool_client" "this" {
  name         = "${var.name}_app_client"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret               = false # a browser and Postman cannot keep a secret
  explicit_auth_flows           = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  # Tenants may read their tenant id but never change it.
  read_attributes  = concat(["email", "email_verified"], var.tenant_attribute ? ["custom:tenant_id"] : [])
  write_attributes = ["email"]

  id_token_validity      = var.id_token_validity_minutes
  access_token_validity  = var.id_token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }
}
