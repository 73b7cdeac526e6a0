"""The Postman environment written from a stack's outputs, against what the collection uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local.postman_env import environment
from local.stack import ADMIN_TENANT, ADMIN_USER, PLAN_TENANTS, TENANTS

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
COLLECTION_FILE = REPO / "postman" / "bedrock-token-profiler.postman_collection.json"
TEMPLATES = sorted((REPO / "postman" / "environments").glob("*.postman_environment.json"))
OUTPUTS = {
    "region": "us-east-1",
    "api_url": "http://127.0.0.1:1/demo_prod/",
    "aws_endpoint_url": "http://127.0.0.1:2",
    "client_id": "client",
    "users": [
        {"username": "t1", "password": "p1", "tenant_id": "tenant-1", "admin": False},
        {"username": "adm", "password": "p2", "tenant_id": "operators", "admin": True},
    ],
    "plan_users": [
        {"username": "b", "password": "pb", "tenant_id": "tenant-budget", "refusal": "budget"},
        {"username": "r", "password": "pr", "tenant_id": "tenant-ratelimit", "refusal": "rate"},
    ],
}


def _values(env: dict) -> dict[str, str]:
    return {v["key"]: v["value"] for v in env["values"]}


def _used_variables() -> set[str]:
    return set(re.findall(r"\{\{(\w+)\}\}", COLLECTION_FILE.read_text())) | set(
        re.findall(r"pm\.environment\.get\('(\w+)'\)", COLLECTION_FILE.read_text())
    )


def test_the_refusal_tenants_get_their_own_users_and_passwords_are_secret():
    env = environment(OUTPUTS, "local")
    values = _values(env)
    assert (values["budget_username"], values["budget_password"], values["budget_tenant_id"]) == (
        "b",
        "pb",
        "tenant-budget",
    )
    assert (values["rate_username"], values["rate_password"], values["rate_tenant_id"]) == (
        "r",
        "pr",
        "tenant-ratelimit",
    )
    # the shared tenant stays the first non-admin user, never a refusal tenant
    assert values["tenant_id"] == "tenant-1"
    secret = {v["key"] for v in env["values"] if v["type"] == "secret"}
    assert secret == {k for k in values if k.endswith("_password")}


def test_the_refusal_tenants_are_apart_from_the_shared_ones():
    """Their plans (tiny budget, 1 request per minute) must never reach a shared tenant or user."""
    shared_tenants = {tenant for _, tenant in TENANTS} | {ADMIN_TENANT}
    shared_users = {user for user, _ in TENANTS} | {ADMIN_USER}
    assert not {tenant for _, tenant, _ in PLAN_TENANTS} & shared_tenants
    assert not {user for user, _, _ in PLAN_TENANTS} & shared_users
    assert sorted(refusal for _, _, refusal in PLAN_TENANTS) == ["budget", "rate"]


def test_every_variable_the_collection_uses_is_defined():
    collection = json.loads(COLLECTION_FILE.read_text())
    defined = {v["key"] for v in collection.get("variable", [])}
    env_keys = set(_values(environment(OUTPUTS, "local")))
    missing = _used_variables() - defined - env_keys
    assert not missing, missing
    for template in TEMPLATES:
        keys = set(_values(json.loads(template.read_text())))
        assert keys == env_keys, (template.name, keys ^ env_keys)
