"""Settings read from the environment once, at cold start, into one typed object.

``load(function_key)`` validates what that function needs and raises ``ConfigError`` naming the
variable, so a bad deployment fails at init rather than inside a request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from token_profiler.errors import ConfigError
from token_profiler.prices import Catalog, load_catalog

# Which variables each function cannot run without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "invoke_model": ("USAGE_SIGNING_SECRET",),
    "cost_tracking": ("LOG_GROUP_API", "S3_BUCKET", "TABLE_NAME", "USAGE_SIGNING_SECRET"),
    "cost_tracking_manual": ("LOG_GROUP_API", "S3_BUCKET", "TABLE_NAME", "USAGE_SIGNING_SECRET"),
    "ddb_cost_retrieval": ("TABLE_NAME",),
    "tenant_plan": ("PLANS_TABLE",),
    "tenant_status": ("PLANS_TABLE",),
    "focus_export": ("S3_BUCKET", "TABLE_NAME", "FOCUS_PROVIDER_NAME"),
    "statements": ("TABLE_NAME", "S3_BUCKET"),
    "archive_verify": ("USAGE_SIGNING_SECRET",),
    "tenants": ("TENANTS_TABLE", "PLANS_TABLE", "USER_POOL_ID"),
}

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    function: str
    bedrock_url: str | None = None
    bedrock_region: str = "us-east-1"
    enabled_models: frozenset[str] = frozenset()
    price_overrides: str | None = None
    max_input_chars: int = 100_000
    log_prompts: bool = False
    log_group_api: str = ""
    s3_bucket: str = ""
    table_name: str = ""
    retention_days: int = 400
    log_retention_days: int = 30
    admin_group: str = "admin"
    max_range_days: int = 31
    bedrock_connect_timeout: float = 3.0
    bedrock_read_timeout: float = 20.0
    output_tokens_per_second: float = 50.0
    metrics_per_tenant: bool = False
    admin_mfa: bool = False
    cors_origin: str = "*"
    # Secrets Manager id (ARN or name) of the usage-line signing keyring (token_profiler.signing)
    signing_secret: str = ""
    # first UTC day on which unsigned usage lines are rejected; None: every day
    signed_lines_from: dt.date | None = None
    # first UTC day on which signed lines without a signed day (schema versions 1, 2) are rejected
    # (missing_day); None: they bill on every day (token_profiler.aggregate)
    signed_days_from: dt.date | None = None

    def accepts_unsigned(self, day: dt.date) -> bool:
        """Whether unsigned lines of ``day`` still bill (days before SIGNED_LINES_FROM)."""
        return self.signed_lines_from is not None and day < self.signed_lines_from

    # tenant plans (token_profiler.plans); no PLANS_TABLE: plans are off
    plans_table: str = ""
    default_plan: str = ""
    plan_time_zone: str = "UTC"
    plans_fail_open: bool = False
    plan_cache_seconds: int = 30
    alerts_topic_arn: str = ""

    ledger_engine: str = "logs"
    archive_bucket: str = ""
    archive_prefix: str = "usage/"
    glue_database: str = ""
    glue_table: str = ""
    athena_workgroup: str = ""
    runs_table: str = ""
    aggregator_function: str = ""
    manual_sync_max_days: int = 1
    # the FOCUS export (token_profiler.focus): who bills the tenants, and under which account
    focus_provider_name: str = ""
    focus_billing_account_id: str = ""
    # the tenant registry (token_profiler.tenants) and the pool its users are created in
    tenants_table: str = ""
    user_pool_id: str = ""

    @property
    def catalog(self) -> Catalog:
        return load_catalog(self.price_overrides)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise ConfigError(f"{name}: must be true or false, got {raw!r}")


def _day(env: Mapping[str, str], name: str) -> dt.date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name}: must be a date YYYY-MM-DD, got {raw!r}") from None


# What each ledger engine (LEDGER_ENGINE) cannot run without.
LEDGER_REQUIRED = {
    "logs": (),
    "duckdb": ("ARCHIVE_BUCKET",),
    "athena": ("ATHENA_WORKGROUP", "GLUE_DATABASE", "GLUE_TABLE"),
}


def _ledger(env: Mapping[str, str]) -> dict:
    engine = env.get("LEDGER_ENGINE", "").strip().lower() or "logs"
    if engine not in LEDGER_REQUIRED:
        raise ConfigError(f"LEDGER_ENGINE: must be one of {', '.join(LEDGER_REQUIRED)}, got {engine!r}")
    for name in LEDGER_REQUIRED[engine]:
        if not env.get(name, "").strip():
            raise ConfigError(f"{name}: required by LEDGER_ENGINE={engine} but not set")
    prefix = env.get("ARCHIVE_PREFIX", "").strip() or "usage/"
    if not prefix.endswith("/"):
        raise ConfigError(f"ARCHIVE_PREFIX: must end with '/', got {prefix!r}")
    return {
        "ledger_engine": engine,
        "archive_bucket": env.get("ARCHIVE_BUCKET", "").strip(),
        "archive_prefix": prefix,
        "glue_database": env.get("GLUE_DATABASE", "").strip(),
        "glue_table": env.get("GLUE_TABLE", "").strip(),
        "athena_workgroup": env.get("ATHENA_WORKGROUP", "").strip(),
    }


def load(function: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings of one function (its key, e.g. ``invoke_model``)."""
    env = os.environ if environ is None else environ
    if function not in REQUIRED:
        raise ConfigError(f"unknown function key {function!r}")
    for name in REQUIRED[function]:
        if not env.get(name, "").strip():
            raise ConfigError(f"{name}: required by {function} but not set")
    region = (
        env.get("BEDROCK_REGION", "").strip()
        or env.get("AWS_REGION", "").strip()
        or env.get("AWS_DEFAULT_REGION", "").strip()
        or "us-east-1"
    )
    bedrock_url = env.get("BEDROCK_URL", "").strip() or None
    if bedrock_url and not bedrock_url.startswith(("http://", "https://")):
        raise ConfigError(f"BEDROCK_URL: must start with http:// or https://, got {bedrock_url!r}")
    enabled = frozenset(m.strip() for m in env.get("ENABLED_MODELS", "").split(",") if m.strip())
    overrides = env.get("PRICE_OVERRIDES", "").strip() or None
    settings = Settings(
        function=function,
        bedrock_url=bedrock_url,
        bedrock_region=region,
        enabled_models=enabled,
        price_overrides=overrides,
        max_input_chars=_int(env, "MAX_INPUT_CHARS", 100_000, 1, 10_000_000),
        log_prompts=_bool(env, "LOG_PROMPTS"),
        log_group_api=env.get("LOG_GROUP_API", "").strip(),
        s3_bucket=env.get("S3_BUCKET", "").strip(),
        table_name=env.get("TABLE_NAME", "").strip(),
        retention_days=_int(env, "RETENTION_DAYS", 400, 0, 36_500),
        log_retention_days=_int(env, "LOG_RETENTION_DAYS", 30, 1, 3_653),
        admin_group=env.get("ADMIN_GROUP", "").strip() or "admin",
        max_range_days=_int(env, "MAX_RANGE_DAYS", 31, 1, 3_660),
        bedrock_connect_timeout=_float(env, "BEDROCK_CONNECT_TIMEOUT", 3.0, 0.1, 10.0),
        bedrock_read_timeout=_float(env, "BEDROCK_READ_TIMEOUT", 20.0, 1.0, 24.0),
        output_tokens_per_second=_float(env, "OUTPUT_TOKENS_PER_SECOND", 50.0, 1.0, 10_000.0),
        metrics_per_tenant=_bool(env, "METRICS_PER_TENANT"),
        admin_mfa=_bool(env, "ADMIN_MFA"),
        cors_origin=env.get("CORS_ORIGIN", "").strip() or "*",
        signing_secret=env.get("USAGE_SIGNING_SECRET", "").strip(),
        signed_lines_from=_day(env, "SIGNED_LINES_FROM"),
        signed_days_from=_day(env, "SIGNED_DAYS_FROM"),
        plans_table=env.get("PLANS_TABLE", "").strip(),
        default_plan=env.get("DEFAULT_PLAN", "").strip(),
        plan_time_zone=env.get("PLAN_TIME_ZONE", "").strip() or "UTC",
        plans_fail_open=_bool(env, "PLANS_FAIL_OPEN"),
        plan_cache_seconds=_int(env, "PLAN_CACHE_SECONDS", 30, 0, 3_600),
        alerts_topic_arn=env.get("ALERTS_TOPIC_ARN", "").strip(),
        **_ledger(env),
        runs_table=env.get("RUNS_TABLE", "").strip(),
        aggregator_function=env.get("AGGREGATOR_FUNCTION", "").strip(),
        manual_sync_max_days=_int(env, "MANUAL_SYNC_MAX_DAYS", 1, 1, 3_660),
        focus_provider_name=env.get("FOCUS_PROVIDER_NAME", "").strip(),
        focus_billing_account_id=env.get("FOCUS_BILLING_ACCOUNT_ID", "").strip()
        or env.get("FOCUS_PROVIDER_NAME", "").strip(),
        tenants_table=env.get("TENANTS_TABLE", "").strip(),
        user_pool_id=env.get("USER_POOL_ID", "").strip(),
    )
    if function == "cost_tracking_manual" and bool(settings.runs_table) != bool(settings.aggregator_function):
        raise ConfigError("RUNS_TABLE and AGGREGATOR_FUNCTION: set both (asynchronous runs) or neither")
    # Parse the price table and overrides now: a bad PRICE_OVERRIDES fails the cold start.
    catalog = settings.catalog
    unknown = [m for m in enabled if catalog.resolve(m) is None]
    if unknown:
        raise ConfigError(f"ENABLED_MODELS: not in the price catalog: {', '.join(sorted(unknown))}")
    return settings
