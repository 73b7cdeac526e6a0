"""Load and validate configs.json: one entry per deployment, checked before anything renders.

Every problem names the entry and the key, e.g. ``configs.json[0].API_BURST_RATE: must be a
positive integer``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.endpoints import REQUIRED_INTERFACE_ENDPOINTS, SERVICE_ENDPOINTS

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "configs.json"

# Only the interface endpoints the functions' own calls need (scripts/endpoints.py); each costs
# per hour and per AZ (docs/terraform.md).
DEFAULT_INTERFACE_ENDPOINTS = list(REQUIRED_INTERFACE_ENDPOINTS)

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_VALUES = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Seed keys whose job (pip inside a Lambda at deploy time) the build script now does.
REPLACED_KEYS = {
    "BEDROCK_REQUIREMENTS": "layers are built by scripts/build.py from requirements/runtime.txt",
    "LANGCHAIN_REQUIREMENTS": "layers are built by scripts/build.py from requirements/runtime.txt",
    "PANDAS_REQUIREMENTS": "layers are built by scripts/build.py from requirements/runtime.txt",
    "SAGEMAKER_ENDPOINTS": "no function calls SageMaker; list sagemaker.* in VPC_INTERFACE_ENDPOINTS",
}


class ConfigError(ValueError):
    """configs.json is missing, malformed, or holds a bad value; the message names the key."""


@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps the deployment's state: local file (default) or S3 with locking."""

    type: str = "local"
    bucket: str = ""
    key: str = ""
    region: str = ""
    dynamodb_table: str = ""  # optional: S3-native lock files are used when empty


@dataclass(frozen=True)
class StackConfig:
    """One validated entry of configs.json."""

    stack_prefix: str
    region: str
    bedrock_endpoint: str
    bedrock_runtime_endpoint: str
    vpc_cidr: str
    api_throttling_rate: int
    api_burst_rate: int
    retention_days: int
    log_retention_days: int
    admin_group: str
    schedule: str
    price_overrides: dict[str, Any]
    enabled_models: list[str]
    vpc_interface_endpoints: list[str]
    cors_origin: str
    tags: dict[str, str]
    log_prompts: bool
    max_input_chars: int
    manage_api_gateway_account: bool = False
    ledger_engine: str = "logs"
    archive_retention_days: int = 2557
    archive_object_lock: bool = False
    manual_sync_max_days: int = 1
    state_backend: StateBackend = field(default_factory=StateBackend)
    availability_zones: list[str] = field(default_factory=list)
    web_console: bool = True
    # issue 13: protection of billing data, admin MFA, alarms and metrics
    deletion_protection: bool = True
    force_destroy: bool = False
    admin_mfa: bool = True
    alarm_emails: tuple[str, ...] = ()
    metrics_per_tenant: bool = False
    output_tokens_per_second: float = 50.0
    signed_lines_from: str = ""
    signed_days_from: str = ""
    # tenant plans (docs/plans.md)
    default_plan: dict[str, Any] = field(default_factory=dict)
    plan_time_zone: str = "UTC"
    plans_fail_open: bool = False
    alert_emails: list[str] = field(default_factory=list)

    @property
    def bedrock_url(self) -> str:
        """BEDROCK_RUNTIME_ENDPOINT with the region filled in ("{}" is the seed's placeholder)."""
        return self.bedrock_runtime_endpoint.replace("{}", self.region)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_prefix(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]{1,19}", value):
        return "must be 2-20 characters: a lowercase letter, then lowercase letters, digits or '_'"
    return None


def _check_region(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
        return "must be an AWS region such as us-east-1"
    return None


def _check_endpoint(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"https://[A-Za-z0-9.{}-]+(:\d+)?/?", value):
        return "must be an https:// URL; '{}' stands for the region"
    return None


def _check_cidr(value: Any) -> str | None:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except (TypeError, ValueError):
        return "must be an IPv4 CIDR block such as 10.10.0.0/16"
    if network.prefixlen > 23:
        return "must be /23 or larger (two /24 subnets are carved from it)"
    return None


def _positive_int(value: Any) -> str | None:
    return None if _is_int(value) and value > 0 else "must be a positive integer"


def _non_negative_int(value: Any) -> str | None:
    return None if _is_int(value) and value >= 0 else "must be an integer, 0 or more"


def _check_log_retention(value: Any) -> str | None:
    if value not in LOG_RETENTION_VALUES or not _is_int(value):
        return f"must be one of CloudWatch's retention values {list(LOG_RETENTION_VALUES)}"
    return None


def _check_group(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"[\w+=,.@-]{1,128}", value):
        return "must be a Cognito group name (1-128 of letters, digits, +=,.@_-)"
    return None


def _check_schedule(value: Any) -> str | None:
    pattern = r"cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)"
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        return "must be an EventBridge Scheduler expression: cron(...) or rate(N unit)"
    return None


def _check_price_overrides(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object shaped like catalog.json's models"
    for model_id, model in value.items():
        if model_id == "application_profiles":  # application inference profile ARN -> model id
            if not isinstance(model, dict) or not all(isinstance(v, str) for v in model.values()):
                return "application_profiles must be an object: profile ARN -> model id it calls"
            continue
        if not isinstance(model, dict) or not isinstance(model.get("prices"), dict):
            return f"model {model_id!r} must be an object with a 'prices' object (region -> prices)"
    return None


def _check_models(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(m, str) and re.fullmatch(r"[\w.:/-]+", m) for m in value
    ):
        return "must be a list of model ids (strings), empty for every catalog model"
    return None


def _check_endpoints(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(e, str) and re.fullmatch(r"[a-z0-9][a-z0-9.-]*", e) for e in value
    ):
        return "must be a list of VPC endpoint service suffixes such as bedrock-runtime"
    if len(set(value)) != len(value):
        return "must not repeat a service"
    missing = [endpoint for endpoint in REQUIRED_INTERFACE_ENDPOINTS if endpoint not in value]
    if missing:
        callers = {endpoint: service for service, endpoint in SERVICE_ENDPOINTS.items()}
        return (
            f"must include {', '.join(missing)}: the functions call "
            f"{', '.join(callers[m] for m in missing)} and the VPC has no other route to AWS"
        )
    return None


def _check_zones(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(z, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", z) for z in value
    ):
        return "must be a list of availability zone names such as us-east-1a"
    if len(value) not in (0, 2) or len(set(value)) != len(value):
        return "must be empty (chosen from the zones every interface endpoint serves) or name two zones"
    return None


def _check_origin(value: Any) -> str | None:
    if not isinstance(value, str) or not (
        value in ("", "*") or re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?", value)
    ):
        return "must be empty (the console's CloudFront origin), '*' or an origin like https://example.com"
    return None


def _check_tags(value: Any) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return "must be an object of string tag names to string values"
    return None


def _check_day_or_empty(value: Any) -> str | None:
    import datetime as dt

    if value == "":
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            dt.date.fromisoformat(value)
            return None
    except ValueError:
        pass
    return "must be a date YYYY-MM-DD (the first day unsigned usage lines are rejected) or empty"


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _check_emails(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(e, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e) for e in value
    ):
        return "must be a list of e-mail addresses (each is subscribed to its topic), empty for none"
    return None


def _check_rate(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value <= 10000
    return None if ok else "must be a number of tokens per second between 1 and 10000"


def _check_backend(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return 'must be null (local state) or {"type": "s3", "bucket": ..., "key": ..., "region": ...}'
    unknown = set(value) - {"type", "bucket", "key", "region", "dynamodb_table"}
    if unknown:
        return f"unknown field(s) {sorted(unknown)}"
    if value.get("type") == "local":
        return None
    if value.get("type") != "s3":
        return "type must be 'local' or 's3'"
    for name in ("bucket", "key", "region"):
        if not isinstance(value.get(name), str) or not value[name]:
            return f"an s3 backend needs a non-empty '{name}'"
    return None


def _check_default_plan(value: Any) -> str | None:
    """The plan every tenant without its own gets; the same rules as POST /tenant_plan."""
    if not isinstance(value, dict):
        return "must be an object of plan fields (monthly_budget_usd, hard, alert_thresholds, ...)"
    functions = str(ROOT / "functions")
    if functions not in sys.path:
        sys.path.insert(0, functions)
    from token_profiler import plans
    from token_profiler.errors import BadRequest

    try:
        plans.apply_changes(plans.Plan(), value)
    except BadRequest as exc:
        return exc.message
    return None


def _check_time_zone(value: Any) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or not value:
        return "must be an IANA time zone such as UTC or Europe/Paris"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as UTC or Europe/Paris"
    return None


def _check_ledger_engine(value: Any) -> str | None:
    # duckdb reads the archive on one machine (the local stack, tests, benchmarks), not in Lambda
    if value not in ("logs", "athena"):
        return "must be logs (FilterLogEvents) or athena (the S3 archive)"
    return None


@dataclass(frozen=True)
class _Key:
    check: Callable[[Any], str | None]
    default: Any = None
    required: bool = False


# Seed keys are required (every seed entry has them); ours default to the values below.
KEYS: dict[str, _Key] = {
    "STACK_PREFIX": _Key(_check_prefix, required=True),
    "BEDROCK_ENDPOINT": _Key(_check_endpoint, required=True),
    "BEDROCK_RUNTIME_ENDPOINT": _Key(_check_endpoint, required=True),
    "VPC_CIDR": _Key(_check_cidr, required=True),
    "API_THROTTLING_RATE": _Key(_positive_int, required=True),
    "API_BURST_RATE": _Key(_positive_int, required=True),
    "REGION": _Key(_check_region, "us-east-1"),
    "RETENTION_DAYS": _Key(_non_negative_int, 400),
    "LOG_RETENTION_DAYS": _Key(_check_log_retention, 30),
    "ADMIN_GROUP": _Key(_check_group, "admin"),
    "SCHEDULE": _Key(_check_schedule, "cron(15 0 * * ? *)"),
    "PRICE_OVERRIDES": _Key(_check_price_overrides, {}),
    "ENABLED_MODELS": _Key(_check_models, []),
    "VPC_INTERFACE_ENDPOINTS": _Key(_check_endpoints, DEFAULT_INTERFACE_ENDPOINTS),
    "CORS_ORIGIN": _Key(_check_origin, ""),
    "TAGS": _Key(_check_tags, {}),
    "LOG_PROMPTS": _Key(_check_bool, False),
    "MAX_INPUT_CHARS": _Key(_positive_int, 100000),
    "MANAGE_API_GATEWAY_ACCOUNT": _Key(_check_bool, False),
    "STATE_BACKEND": _Key(_check_backend, None),
    "AVAILABILITY_ZONES": _Key(_check_zones, []),
    "WEB_CONSOLE": _Key(_check_bool, True),
    "DELETION_PROTECTION": _Key(_check_bool, True),
    "FORCE_DESTROY": _Key(_check_bool, False),
    "ADMIN_MFA": _Key(_check_bool, True),
    "ALARM_EMAILS": _Key(_check_emails, []),
    "METRICS_PER_TENANT": _Key(_check_bool, False),
    "OUTPUT_TOKENS_PER_SECOND": _Key(_check_rate, 50),
    "SIGNED_LINES_FROM": _Key(_check_day_or_empty, ""),
    "SIGNED_DAYS_FROM": _Key(_check_day_or_empty, ""),
    "DEFAULT_PLAN": _Key(_check_default_plan, {}),
    "PLAN_TIME_ZONE": _Key(_check_time_zone, "UTC"),
    "PLANS_FAIL_OPEN": _Key(_check_bool, False),
    "ALERT_EMAILS": _Key(_check_emails, []),
    "LEDGER_ENGINE": _Key(_check_ledger_engine, "logs"),
    "ARCHIVE_RETENTION_DAYS": _Key(_non_negative_int, 2557),
    "ARCHIVE_OBJECT_LOCK": _Key(_check_bool, False),
    "MANUAL_SYNC_MAX_DAYS": _Key(_positive_int, 1),
}


def validate_entry(raw: Any, where: str = "configs.json[0]") -> StackConfig:
    """Check one entry and return it typed, with defaults filled in."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object of settings")
    problems = []
    for key in raw:
        if key in REPLACED_KEYS:
            problems.append(f"{where}.{key}: no longer used ({REPLACED_KEYS[key]}); remove it")
        elif key not in KEYS:
            problems.append(f"{where}.{key}: unknown key (known: {', '.join(KEYS)})")
    values: dict[str, Any] = {}
    for key, spec in KEYS.items():
        if key not in raw:
            if spec.required:
                problems.append(f"{where}.{key}: missing (required)")
            values[key] = spec.default
            continue
        message = spec.check(raw[key])
        if message:
            problems.append(f"{where}.{key}: {message}")
        values[key] = raw[key]
    if problems:
        raise ConfigError("\n".join(problems))
    backend = values["STATE_BACKEND"] or {}
    return StackConfig(
        stack_prefix=values["STACK_PREFIX"],
        region=values["REGION"],
        bedrock_endpoint=values["BEDROCK_ENDPOINT"],
        bedrock_runtime_endpoint=values["BEDROCK_RUNTIME_ENDPOINT"],
        vpc_cidr=values["VPC_CIDR"],
        api_throttling_rate=values["API_THROTTLING_RATE"],
        api_burst_rate=values["API_BURST_RATE"],
        retention_days=values["RETENTION_DAYS"],
        log_retention_days=values["LOG_RETENTION_DAYS"],
        admin_group=values["ADMIN_GROUP"],
        schedule=values["SCHEDULE"],
        price_overrides=dict(values["PRICE_OVERRIDES"]),
        enabled_models=list(values["ENABLED_MODELS"]),
        vpc_interface_endpoints=list(values["VPC_INTERFACE_ENDPOINTS"]),
        cors_origin=values["CORS_ORIGIN"],
        tags=dict(values["TAGS"]),
        log_prompts=values["LOG_PROMPTS"],
        max_input_chars=values["MAX_INPUT_CHARS"],
        manage_api_gateway_account=values["MANAGE_API_GATEWAY_ACCOUNT"],
        state_backend=StateBackend(**{"type": "local", **backend}),
        availability_zones=list(values["AVAILABILITY_ZONES"]),
        web_console=values["WEB_CONSOLE"],
        deletion_protection=values["DELETION_PROTECTION"],
        force_destroy=values["FORCE_DESTROY"],
        admin_mfa=values["ADMIN_MFA"],
        alarm_emails=tuple(values["ALARM_EMAILS"]),
        metrics_per_tenant=values["METRICS_PER_TENANT"],
        output_tokens_per_second=values["OUTPUT_TOKENS_PER_SECOND"],
        signed_lines_from=values["SIGNED_LINES_FROM"],
        signed_days_from=values["SIGNED_DAYS_FROM"],
        default_plan=dict(values["DEFAULT_PLAN"]),
        plan_time_zone=values["PLAN_TIME_ZONE"],
        plans_fail_open=values["PLANS_FAIL_OPEN"],
        alert_emails=list(values["ALERT_EMAILS"]),
        ledger_engine=values["LEDGER_ENGINE"],
        archive_retention_days=values["ARCHIVE_RETENTION_DAYS"],
        archive_object_lock=values["ARCHIVE_OBJECT_LOCK"],
        manual_sync_max_days=values["MANUAL_SYNC_MAX_DAYS"],
    )


def load_configs(path: Path = CONFIG_FILE) -> list[StackConfig]:
    """Read and validate every entry; prefixes must be unique."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{Path(path).name}: must be a non-empty list of stack configs")
    configs = [validate_entry(entry, f"{Path(path).name}[{index}]") for index, entry in enumerate(raw)]
    prefixes = [config.stack_prefix for config in configs]
    duplicates = sorted({prefix for prefix in prefixes if prefixes.count(prefix) > 1})
    if duplicates:
        raise ConfigError(f"{Path(path).name}: STACK_PREFIX repeated: {', '.join(duplicates)}")
    return configs


def select(configs: list[StackConfig], stack: str | None) -> StackConfig:
    """The entry named by STACK=<prefix>, or the only entry when there is one."""
    if stack:
        for config in configs:
            if config.stack_prefix == stack:
                return config
        raise ConfigError(
            f"STACK={stack}: no entry with that STACK_PREFIX ({', '.join(c.stack_prefix for c in configs)})"
        )
    if len(configs) > 1:
        raise ConfigError(
            f"configs.json has {len(configs)} entries: choose one with STACK=<prefix> "
            f"({', '.join(c.stack_prefix for c in configs)})"
        )
    return configs[0]


def main() -> int:
    import sys

    try:
        configs = load_configs(Path(sys.argv[1]) if len(sys.argv) > 1 else CONFIG_FILE)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    print(
        f"configs.json: {len(configs)} valid entr{'y' if len(configs) == 1 else 'ies'}: "
        f"{', '.join(c.stack_prefix for c in configs)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
