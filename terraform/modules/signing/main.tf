# The usage-line signing keyring's container in Secrets Manager. Terraform declares the secret
# only: its value (random keys) is generated and put by the deploy flow after apply (scripts/
# signing_key.py), so no key ever appears in Terraform state, a plan or the repository.

resource "aws_secretsmanager_secret" "this" {
  # checkov:skip=CKV_AWS_149:the AWS managed key (aws/secretsmanager) decrypts for any principal with GetSecretValue on this secret only; a customer key adds a key policy to keep in step and no narrower grant
  # checkov:skip=CKV2_AWS_57:keys rotate by adding one to the keyring (scripts/signing_key.py rotate): old lines must still verify, which a rotation Lambda replacing the value would break
  name        = "${var.name}/usage-signing-key"
  description = "HMAC keys that sign usage lines (invoke_model signs, the aggregators verify)"

  # The key matters only for lines in this deployment's log group, which a destroy deletes too;
  # no recovery window lets a destroyed stack be deployed again under the same name at once.
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}
