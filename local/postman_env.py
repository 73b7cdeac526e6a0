"""Write a Postman environment from an outputs file (local stack or deployment).

  python -m local.postman_env build/local/outputs.json build/local/postman_environment.json
  python -m local.postman_env build/deploy/<prefix>/outputs.json build/deploy/<prefix>/postman_env.json

The local outputs carry the seeded users and passwords; a deployment's do not, so its environment
leaves the usernames and passwords for you to fill in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "postman" / "environments"


def environment(outputs: dict[str, Any], name: str) -> dict[str, Any]:
    region = outputs["region"]
    users = outputs.get("users") or []
    tenant = next((u for u in users if not u.get("admin")), {})
    admin = next((u for u in users if u.get("admin")), {})
    # the tenants of the 402/429 requests (local/stack.py PLAN_TENANTS)
    refusals = {u.get("refusal"): u for u in outputs.get("plan_users") or []}
    budget, rate = refusals.get("budget", {}), refusals.get("rate", {})
    values = {
        "api_url": outputs["api_url"].rstrip("/"),
        "cognito_endpoint": (
            outputs.get("aws_endpoint_url") or f"https://cognito-idp.{region}.amazonaws.com"
        ).rstrip("/")
        + "/",
        "region": region,
        "client_id": outputs["client_id"],
        "tenant_username": tenant.get("username", ""),
        "tenant_password": tenant.get("password", ""),
        "tenant_id": tenant.get("tenant_id", ""),
        "admin_username": admin.get("username", ""),
        "admin_password": admin.get("password", ""),
        "budget_username": budget.get("username", ""),
        "budget_password": budget.get("password", ""),
        "budget_tenant_id": budget.get("tenant_id", ""),
        "rate_username": rate.get("username", ""),
        "rate_password": rate.get("password", ""),
        "rate_tenant_id": rate.get("tenant_id", ""),
        "text_model_id": "amazon.nova-micro-v1:0",
        "embedding_model_id": "amazon.titan-embed-text-v2:0",
    }
    return {
        "name": name,
        "values": [
            {
                "key": key,
                "value": value,
                "type": "secret" if "password" in key else "default",
                "enabled": True,
            }
            for key, value in values.items()
        ],
        "_postman_variable_scope": "environment",
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    outputs = json.loads(source.read_text())
    name = "bedrock-token-profiler (local)" if outputs.get("aws_endpoint_url") else "bedrock-token-profiler"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(environment(outputs, name), indent=2) + "\n")
    target.chmod(0o600)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
