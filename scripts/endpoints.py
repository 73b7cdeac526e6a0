"""How the functions, in an isolated VPC (no NAT, no internet gateway), reach each AWS service.

One line per AWS service the functions' code calls (the boto3 service name, as in
``boto3.client("logs")``): the VPC endpoint that carries those calls. ``GATEWAY`` services use a
free gateway endpoint (S3, DynamoDB); every other service needs an interface endpoint, billed per
hour and AZ. Adding a call to a new service (Secrets Manager, SSM, Firehose, Athena...) means
adding its line here; ``tests/terraform/test_endpoints.py`` derives the services from the code
and fails until the line exists. From this map:

- ``REQUIRED_INTERFACE_ENDPOINTS`` must be in ``VPC_INTERFACE_ENDPOINTS`` (config validation and a
  Terraform variable validation), and are its default;
- ``GATEWAY_ENDPOINTS`` are the network module's gateway endpoints.
"""

from __future__ import annotations

GATEWAY = "gateway"

# boto3 service the functions call -> interface endpoint suffix (com.amazonaws.<region>.<suffix>),
# or GATEWAY.
SERVICE_ENDPOINTS: dict[str, str] = {
    "bedrock-runtime": "bedrock-runtime",  # invoke_model: Converse / InvokeModel
    "logs": "logs",  # cost_tracking(_manual): FilterLogEvents
    "dynamodb": GATEWAY,  # usage table
    "s3": GATEWAY,  # CSV reports
    "secretsmanager": "secretsmanager",  # invoke_model and the aggregators: the usage-signing keyring
    "sns": "sns",  # invoke_model: budget threshold alerts (tenant plans)
    "cognito-idp": "cognito-idp",  # tenants: AdminCreateUser (tenant users); ADMIN_MFA: AdminGetUser
    "lambda": "lambda",  # cost_tracking_manual: a long range handed to cost_tracking (Invoke, Event)
    "athena": "athena",  # the aggregators under LEDGER_ENGINE=athena: the day's query
}

# Endpoints only a feature's calls need: Terraform adds them when the feature (configs.json key) is on.
FEATURE_ENDPOINTS: dict[str, str] = {
    "athena": "LEDGER_ENGINE=athena",  # KEY=value: the feature is on when the key has that value
}

REQUIRED_INTERFACE_ENDPOINTS: list[str] = sorted(
    {
        endpoint
        for endpoint in SERVICE_ENDPOINTS.values()
        if endpoint != GATEWAY and endpoint not in FEATURE_ENDPOINTS
    }
)
GATEWAY_ENDPOINTS: list[str] = sorted(
    service for service, endpoint in SERVICE_ENDPOINTS.items() if endpoint == GATEWAY
)
