"""make deploy-check: what a first `make deploy` would run into, asked of the account, read-only.

It runs with the same credentials and configs.json entry as `make deploy`, before it, and changes
nothing. Each line is ``ok``, ``PROBLEM`` (deploy would fail or a feature would not work) or
``unknown`` (the account would not say, or this endpoint does not serve that API: "not checkable
here"). It reports:

- model access: for each enabled model (ENABLED_MODELS, or every catalog model), whether the
  account may call it (Bedrock GetFoundationModelAvailability: region, entitlement, agreement,
  authorization);
- zones and endpoints: each interface endpoint in the Region's service list, the zones that need
  no opt-in and that every endpoint serves, and AVAILABILITY_ZONES among them;
- CloudFront: whether the account already runs distributions (a new, unverified account is
  refused CreateDistribution; no read-only API says so in advance);
- the API Gateway account's CloudWatch role, and what make deploy will do about it.

Needed read-only permissions: bedrock:GetFoundationModelAvailability, ec2:DescribeAvailabilityZones,
ec2:DescribeVpcEndpointServices, cloudfront:ListDistributions, apigateway:GET on /account,
iam:GetRole.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a plain script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.config import ROOT, ConfigError, StackConfig, load_configs, select  # noqa: E402

CATALOG = ROOT / "functions" / "token_profiler" / "catalog.json"
NOT_CHECKABLE = "not checkable here"

Client = Callable[[str], Any]


@dataclass(frozen=True)
class Finding:
    topic: str
    status: str  # ok | problem | unknown
    message: str

    def line(self) -> str:
        label = {"ok": "ok", "problem": "PROBLEM", "unknown": "unknown"}[self.status]
        return f"{label:<8} {self.topic:<22} {self.message}"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") or type(exc).__name__


def _unknown(topic: str, what: str, exc: Exception) -> Finding:
    code = _error_code(exc)
    if "AccessDenied" in code or "Unauthorized" in code:
        return Finding(topic, "unknown", f"these credentials may not call {what} ({code})")
    return Finding(topic, "unknown", f"{NOT_CHECKABLE}: {what} is not served ({code})")


# ---- models -----------------------------------------------------------------------------------


def enabled_models(config: StackConfig, catalog_path: Path = CATALOG) -> list[str]:
    catalog = json.loads(catalog_path.read_text())
    return list(config.enabled_models) or sorted({**catalog["models"], **config.price_overrides})


def base_model(model_id: str, catalog_path: Path = CATALOG) -> str:
    prefixes = json.loads(catalog_path.read_text()).get("profile_prefixes", [])
    for prefix in prefixes:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id


def model_access(client: Client, model_ids: list[str]) -> dict[str, tuple[bool | None, str]]:
    """model id -> (callable? None when unknown, why), from Bedrock's control plane (read-only)."""
    bedrock = client("bedrock")
    answers: dict[str, tuple[bool | None, str]] = {}
    for model_id in model_ids:
        try:
            found = bedrock.get_foundation_model_availability(modelId=base_model(model_id))
        except Exception as exc:  # noqa: BLE001 - any refusal is reported, never fatal
            if _error_code(exc) in ("ResourceNotFoundException", "ValidationException"):
                answers[model_id] = (False, "Bedrock does not know this model id in this Region")
            else:
                why = _unknown("model access", "GetFoundationModelAvailability", exc).message
                answers[model_id] = (None, why)
            continue
        reasons = []
        if found.get("regionAvailability") != "AVAILABLE":
            reasons.append("not offered in this Region")
        if found.get("entitlementAvailability") != "AVAILABLE":
            reasons.append("no entitlement: request model access (Marketplace subscription)")
        agreement = (found.get("agreementAvailability") or {}).get("status")
        if agreement not in ("AVAILABLE", None):
            reasons.append(f"model agreement {agreement}: accept the provider's terms in Model access")
        if found.get("authorizationStatus") != "AUTHORIZED":
            reasons.append("not authorized: submit the provider's use-case form in Model access")
        answers[model_id] = (not reasons, "; ".join(reasons) or "callable")
    return answers


def check_models(client: Client, config: StackConfig) -> list[Finding]:
    answers = model_access(client, enabled_models(config))
    findings = []
    unknown = {why for ok, why in answers.values() if ok is None}
    for model_id, (ok, why) in answers.items():
        if ok is False:
            findings.append(Finding("model access", "problem", f"{model_id}: {why}"))
    callable_count = sum(1 for ok, _ in answers.values() if ok)
    if unknown:
        findings.append(
            Finding(
                "model access", "unknown", f"{len(answers) - callable_count} model(s): {sorted(unknown)[0]}"
            )
        )
    if callable_count:
        findings.append(
            Finding("model access", "ok", f"{callable_count} of {len(answers)} enabled model(s) callable")
        )
    return findings


# ---- network ------------------------------------------------------------------------------------


def usable_zones(
    client: Client, region: str, endpoints: list[str]
) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(zones needing no opt-in, endpoints missing from the Region's list, zones of each endpoint)."""
    ec2 = client("ec2")
    zones = ec2.describe_availability_zones(
        Filters=[
            {"Name": "opt-in-status", "Values": ["opt-in-not-required"]},
            {"Name": "state", "Values": ["available"]},
        ]
    )["AvailabilityZones"]
    names = sorted(
        zone["ZoneName"] for zone in zones if zone.get("ZoneType", "availability-zone") == "availability-zone"
    )
    offered: dict[str, list[str]] = {}
    token = None
    while True:
        page = ec2.describe_vpc_endpoint_services(**({"NextToken": token} if token else {}))
        for service in page["ServiceDetails"]:
            if any(kind.get("ServiceType") == "Interface" for kind in service.get("ServiceType", [])):
                offered[service["ServiceName"]] = service.get("AvailabilityZones", [])
        token = page.get("NextToken")
        if not token:
            break
    missing = [e for e in endpoints if f"com.amazonaws.{region}.{e}" not in offered]
    per_endpoint = {e: offered.get(f"com.amazonaws.{region}.{e}", []) for e in endpoints}
    return names, missing, per_endpoint


def check_network(client: Client, config: StackConfig) -> list[Finding]:
    try:
        zones, missing, per_endpoint = usable_zones(client, config.region, config.vpc_interface_endpoints)
    except Exception as exc:  # noqa: BLE001
        return [_unknown("zones and endpoints", "DescribeAvailabilityZones/DescribeVpcEndpointServices", exc)]
    findings = [
        Finding(
            "endpoints",
            "problem",
            f"{name}: not offered in {config.region}; remove it from VPC_INTERFACE_ENDPOINTS",
        )
        for name in missing
    ]
    usable = [z for z in zones if all(z in per_endpoint[e] for e in per_endpoint if e not in missing)]
    if not missing:
        findings.append(
            Finding(
                "endpoints", "ok", f"{', '.join(config.vpc_interface_endpoints)} offered in {config.region}"
            )
        )
    if len(usable) < 2:
        findings.append(Finding("zones", "problem", f"fewer than two zones serve every endpoint: {usable}"))
    elif config.availability_zones:
        wrong = [z for z in config.availability_zones if z not in usable]
        if wrong:
            findings.append(
                Finding("zones", "problem", f"AVAILABILITY_ZONES {wrong} not usable; choose two of {usable}")
            )
        else:
            findings.append(
                Finding("zones", "ok", f"AVAILABILITY_ZONES {config.availability_zones} serve every endpoint")
            )
    else:
        findings.append(
            Finding("zones", "ok", f"subnets will use {usable[:2]} (usable: {', '.join(usable)})")
        )
    return findings


# ---- CloudFront and API Gateway -----------------------------------------------------------------


def check_cloudfront(client: Client, config: StackConfig) -> Finding:
    if not config.web_console:
        return Finding("cloudfront", "ok", "WEB_CONSOLE is false: no distribution is created")
    try:
        page = client("cloudfront").list_distributions(MaxItems="1")
    except Exception as exc:  # noqa: BLE001
        return _unknown("cloudfront", "ListDistributions", exc)
    count = page.get("DistributionList", {}).get("Quantity", 0)
    if count:
        return Finding("cloudfront", "ok", "the account already runs distributions, so it may create them")
    return Finding(
        "cloudfront",
        "unknown",
        "no distribution yet: a new account may be refused until AWS verifies it "
        "(docs/deploy.md#cloudfront-verification); make deploy creates the backend first either way",
    )


def api_gateway_role(client: Client) -> str | None:
    """The Region's API Gateway CloudWatch role ARN ('' when none is set, None when unknown)."""
    try:
        return client("apigateway").get_account().get("cloudwatchRoleArn") or ""
    except Exception:  # noqa: BLE001
        return None


def check_api_gateway_account(client: Client, config: StackConfig) -> Finding:
    try:
        role = client("apigateway").get_account().get("cloudwatchRoleArn") or ""
    except Exception as exc:  # noqa: BLE001
        return _unknown("api gateway account", "GetAccount", exc)
    if config.manage_api_gateway_account:
        return Finding(
            "api gateway account",
            "ok",
            f"MANAGE_API_GATEWAY_ACCOUNT is true: this stack sets its own role (now: {role or 'none'})",
        )
    if not role:
        return Finding(
            "api gateway account", "ok", "no role set: make deploy sets this stack's role (logging needs one)"
        )
    name = role.rsplit("/", 1)[-1]
    try:
        client("iam").get_role(RoleName=name)
    except Exception as exc:  # noqa: BLE001
        if "NoSuchEntity" in _error_code(exc):
            return Finding(
                "api gateway account",
                "problem",
                f"the account points at {role}, which no longer exists: the stage's logging would fail; "
                "set MANAGE_API_GATEWAY_ACCOUNT true or restore the role",
            )
        return _unknown("api gateway account", "iam:GetRole", exc)
    return Finding("api gateway account", "ok", f"uses the account's existing role {role}")


def run_checks(client: Client, config: StackConfig) -> list[Finding]:
    return [
        *check_models(client, config),
        *check_network(client, config),
        check_cloudfront(client, config),
        check_api_gateway_account(client, config),
    ]


def session_client(region: str, endpoint_url: str | None = None) -> Client:
    import boto3

    session = boto3.Session(region_name=region)
    return lambda service: session.client(service, endpoint_url=endpoint_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=os.environ.get("STACK") or None)
    parser.add_argument("--config", type=Path, default=ROOT / "configs.json")
    args = parser.parse_args(argv)
    try:
        config = select(load_configs(args.config), args.stack)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    from scripts.deploy import CredentialsMissing, check_credentials

    try:
        check_credentials(config)
    except CredentialsMissing as exc:
        print(f"deploy-check needs the account's credentials: {exc}", file=sys.stderr)
        return 2
    findings = run_checks(session_client(config.region), config)
    print(f"deploy-check for {config.stack_prefix} in {config.region} (read-only):")
    for finding in findings:
        print(f"  {finding.line()}")
    problems = sum(1 for f in findings if f.status == "problem")
    print(f"{problems} problem(s); see docs/deploy.md")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
