"""configs.json validation: every bad or missing key fails with a message naming it."""

from __future__ import annotations

import json

import pytest

from scripts.config import (
    DEFAULT_INTERFACE_ENDPOINTS,
    ROOT,
    ConfigError,
    load_configs,
    select,
    validate_entry,
)

pytestmark = pytest.mark.unit

SEED = {
    "STACK_PREFIX": "demo",
    "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
    "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
    "VPC_CIDR": "10.10.0.0/16",
    "API_THROTTLING_RATE": 10000,
    "API_BURST_RATE": 5000,
}


def test_the_committed_configs_json_is_valid():
    configs = load_configs(ROOT / "configs.json")
    assert configs and all(config.stack_prefix for config in configs)


def test_seed_keys_alone_get_our_defaults():
    config = validate_entry(dict(SEED))
    assert config.region == "us-east-1"
    assert config.admin_group == "admin"
    assert config.vpc_interface_endpoints == DEFAULT_INTERFACE_ENDPOINTS
    assert config.state_backend.type == "local"
    assert config.log_prompts is False
    assert config.bedrock_url == "https://bedrock-runtime.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("STACK_PREFIX", "Demo"),
        ("STACK_PREFIX", "a-b"),
        ("STACK_PREFIX", "x" * 21),
        ("VPC_CIDR", "10.10.0.0/25"),
        ("VPC_CIDR", "not-a-cidr"),
        ("API_THROTTLING_RATE", 0),
        ("API_BURST_RATE", "5000"),
        ("API_BURST_RATE", True),
        ("BEDROCK_RUNTIME_ENDPOINT", "http://bedrock-runtime.{}.amazonaws.com"),
        ("REGION", "useast1"),
        ("RETENTION_DAYS", -1),
        ("LOG_RETENTION_DAYS", 10),
        ("ADMIN_GROUP", "has space"),
        ("SCHEDULE", "daily"),
        ("PRICE_OVERRIDES", {"m": {"label": "no prices"}}),
        ("PRICE_OVERRIDES", {"application_profiles": ["arn"]}),
        ("PRICE_OVERRIDES", {"application_profiles": {"arn:aws:bedrock:x": 1}}),
        ("ENABLED_MODELS", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("VPC_INTERFACE_ENDPOINTS", ["logs", "logs"]),
        ("CORS_ORIGIN", "https://example.com/path"),
        ("TAGS", {"Owner": 1}),
        ("LOG_PROMPTS", "false"),
        ("MAX_INPUT_CHARS", 0),
        ("STATE_BACKEND", {"type": "s3", "bucket": "b"}),
        ("STATE_BACKEND", {"type": "gcs"}),
    ],
)
def test_a_bad_value_names_its_key(key, value):
    with pytest.raises(ConfigError) as error:
        validate_entry({**SEED, key: value}, "configs.json[0]")
    assert f"configs.json[0].{key}:" in str(error.value)


@pytest.mark.parametrize("key", sorted(SEED))
def test_a_missing_seed_key_is_named(key):
    entry = {k: v for k, v in SEED.items() if k != key}
    with pytest.raises(ConfigError, match=rf"\.{key}: missing"):
        validate_entry(entry)


def test_application_profiles_map_arns_to_models_and_arns_may_be_enabled():
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
    config = validate_entry(
        {
            **SEED,
            "PRICE_OVERRIDES": {"application_profiles": {arn: "us.amazon.nova-micro-v1:0"}},
            "ENABLED_MODELS": [arn],
        }
    )
    assert config.enabled_models == [arn]
    assert config.price_overrides == {"application_profiles": {arn: "us.amazon.nova-micro-v1:0"}}


def test_replaced_seed_keys_say_what_replaced_them():
    with pytest.raises(ConfigError, match=r"BEDROCK_REQUIREMENTS: no longer used .*scripts/build.py"):
        validate_entry({**SEED, "BEDROCK_REQUIREMENTS": "boto3>=1.34.94"})


def test_an_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"\.VPC_CDIR: unknown key"):
        validate_entry({**SEED, "VPC_CDIR": "10.0.0.0/16"})


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        validate_entry({**SEED, "API_BURST_RATE": -1, "REGION": "nowhere"})
    assert "API_BURST_RATE" in str(error.value) and "REGION" in str(error.value)


def test_s3_backend_is_accepted():
    backend = {"type": "s3", "bucket": "state", "key": "demo.tfstate", "region": "us-east-1"}
    config = validate_entry({**SEED, "STATE_BACKEND": backend})
    assert config.state_backend.bucket == "state" and config.state_backend.dynamodb_table == ""


def test_file_level_problems(tmp_path):
    path = tmp_path / "configs.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_configs(path)
    path.write_text("[]")
    with pytest.raises(ConfigError, match="non-empty list"):
        load_configs(path)
    path.write_text(json.dumps([SEED, SEED]))
    with pytest.raises(ConfigError, match="STACK_PREFIX repeated: demo"):
        load_configs(path)
    with pytest.raises(ConfigError, match="not found"):
        load_configs(tmp_path / "missing.json")


def test_stack_selection():
    one = validate_entry(dict(SEED))
    two = validate_entry({**SEED, "STACK_PREFIX": "second"})
    assert select([one], None) is one
    assert select([one, two], "second") is two
    with pytest.raises(ConfigError, match="STACK=<prefix>"):
        select([one, two], None)
    with pytest.raises(ConfigError, match="STACK=third"):
        select([one, two], "third")


def test_plan_keys_default_to_no_budget_utc_and_fail_closed():
    config = validate_entry(dict(SEED))
    assert (config.default_plan, config.plan_time_zone, config.plans_fail_open, config.alert_emails) == (
        {},
        "UTC",
        False,
        [],
    )


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        (
            "DEFAULT_PLAN",
            {"monthly_budget_usd": 10},
            "DEFAULT_PLAN: monthly_budget_usd must be a decimal string",
        ),
        ("DEFAULT_PLAN", {"rpm": 10}, "DEFAULT_PLAN: unknown plan field(s): rpm"),
        ("DEFAULT_PLAN", [], "DEFAULT_PLAN: must be an object"),
        ("PLAN_TIME_ZONE", "Mars/Olympus", "PLAN_TIME_ZONE: must be an IANA time zone"),
        ("PLAN_TIME_ZONE", "", "PLAN_TIME_ZONE: must be an IANA time zone"),
        ("PLANS_FAIL_OPEN", "yes", "PLANS_FAIL_OPEN: must be true or false"),
        ("ALERT_EMAILS", ["not-an-address"], "ALERT_EMAILS: must be a list of e-mail addresses"),
    ],
)
def test_bad_plan_keys_are_named(key, value, named):
    with pytest.raises(ConfigError) as caught:
        validate_entry({**SEED, key: value})
    assert named in str(caught.value)


def test_plan_keys_are_kept():
    config = validate_entry(
        {
            **SEED,
            "DEFAULT_PLAN": {"monthly_budget_usd": "100", "requests_per_minute": 60},
            "PLAN_TIME_ZONE": "Europe/Paris",
            "PLANS_FAIL_OPEN": True,
            "ALERT_EMAILS": ["finops@example.com"],
        }
    )
    assert config.default_plan == {"monthly_budget_usd": "100", "requests_per_minute": 60}
    assert (config.plan_time_zone, config.plans_fail_open, config.alert_emails) == (
        "Europe/Paris",
        True,
        ["finops@example.com"],
    )
