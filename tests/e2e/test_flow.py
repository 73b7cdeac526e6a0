"""Two tenants invoke text and embedding models; the admin aggregates; retrieval adds up."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import secrets
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import jwt
import pytest

pytestmark = pytest.mark.e2e

CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "functions/token_profiler/catalog.json").read_text()
)
MODELS = [
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "amazon.nova-micro-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
]
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
PRICE_FIELDS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cache_read",
    "cache_write_input_tokens": "cache_write",
}


def base_model(model_id: str) -> str:
    for prefix in CATALOG["profile_prefixes"]:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id


def expected_cost(model_id: str, tokens: dict[str, int]) -> Decimal:
    """tokens / 1000 × price per 1,000, from the catalog, independently of the code under test."""
    prices = CATALOG["models"][base_model(model_id)]["prices"][CATALOG["default_region"]]
    total = Decimal(0)
    for field, price_key in PRICE_FIELDS.items():
        if tokens[field]:
            total += Decimal(tokens[field]) / 1000 * Decimal(prices.get(price_key, "0"))
    return total


def invoke(e2e, token, model_id, text, max_tokens=200):
    params = {} if "embed" in model_id else {"maxTokenCount": max_tokens, "temperature": 0.5}
    response = e2e.post(
        "invoke_model",
        token,
        {"inputs": e2e.prompt(text), "parameters": params},
        params={"model_id": model_id},
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert isinstance(payload, list) and payload
    key = "embedding" if "embed" in model_id else "generated_text"
    assert key in payload[0]
    e2e.request_ids.add(response.headers["x-amzn-RequestId"])
    return payload[0]["usage"]


def add_usage(ledger, tenant, model_id, usage):
    entry = ledger[(tenant, model_id)]
    for field in TOKEN_FIELDS:
        entry[field] += int(usage.get(field, 0))
    entry["invocations"] += 1


def check_rows(rows, ledger, tenants, day):
    mine = {(r["name"], r["model_id"]): r for r in rows if r["name"] in tenants and r["date"] == day}
    assert set(mine) == set(ledger), "one row per tenant and model"
    for key, sums in ledger.items():
        row = mine[key]
        for field in (*TOKEN_FIELDS, "invocations"):
            assert Decimal(row[field]) == sums[field], (key, field, row[field], sums[field])
        tokens = {f: sums[f] for f in TOKEN_FIELDS}
        assert Decimal(row["total_cost"]) == expected_cost(key[1], tokens), (key, row)
        assert Decimal(row["input_cost"]) == Decimal(sums["input_tokens"]) / 1000 * Decimal(
            CATALOG["models"][base_model(key[1])]["prices"]["us-east-1"]["input"]
        )


def test_tenants_invoke_admin_aggregates_retrieval_adds_up(e2e):
    # Given two fresh tenants
    suffix = secrets.token_hex(2)
    tenants = {
        f"flow-a-{suffix}": e2e.new_tenant(f"flow-a-{suffix}"),
        f"flow-b-{suffix}": e2e.new_tenant(f"flow-b-{suffix}"),
    }
    ledger = defaultdict(lambda: defaultdict(int))
    # When each invokes every model (text and embedding) a few times
    for tenant, token in tenants.items():
        for index, model_id in enumerate(MODELS):
            for round_ in range(2):
                usage = invoke(
                    e2e,
                    token,
                    model_id,
                    f"Question {index}.{round_} from {tenant}: what is a token?",
                    max_tokens=10 + 7 * round_,
                )
                add_usage(ledger, tenant, model_id, usage)
    # And the admin aggregates today
    admin = e2e.admin_token()
    day = dt.datetime.now(dt.UTC).date().isoformat()
    summary = e2e.aggregate(admin)
    assert summary["body"] == "Calculation Finished!"
    assert day in summary["summary"]["dates"]
    # Then the admin sees per tenant and model exactly the reported usage, priced from the catalog
    check_rows(e2e.rows(admin, {"start_date": day, "end_date": day}), ledger, set(tenants), day)
    # And each tenant sees only its own rows
    for tenant, token in tenants.items():
        rows = e2e.rows(token)
        assert rows and {r["name"] for r in rows} == {tenant}
        check_rows(rows, {k: v for k, v in ledger.items() if k[0] == tenant}, {tenant}, day)
    # And each call left exactly one usage line, keyed by API Gateway's request id
    group = f"/aws/lambda/{e2e.outputs['stack_prefix']}_invoke_model"
    seen = []
    for page in e2e.logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern='"TOKEN_USAGE"'
    ):
        for event in page["events"]:
            usage = json.loads(event["message"])["token_usage"]
            if usage["tenant_id"] in tenants:
                seen.append(usage["request_id"])
    assert len(seen) == sum(v["invocations"] for v in ledger.values()) == len(set(seen))
    assert set(seen) <= e2e.request_ids


def test_max_tokens_is_honoured_end_to_end(e2e):
    token = e2e.new_tenant(f"flow-max-{secrets.token_hex(2)}")
    usage = invoke(e2e, token, "amazon.nova-micro-v1:0", "Write a very long essay about tokens", max_tokens=3)
    assert 1 <= usage["output_tokens"] <= 3


def test_a_tenant_cannot_aggregate_or_read_others(e2e):
    token = e2e.new_tenant(f"flow-c-{secrets.token_hex(2)}")
    response = e2e.post("cost_track_manual", token, {})
    assert response.status_code == 403 and "message" in response.json()
    response = e2e.post("ddb_cost_retrieval", token, {"tenant": "tenant-1"})
    assert response.status_code == 403 and "message" in response.json()


def test_no_forged_or_expired_token_gets_in(e2e, local_stack):
    for route in ("invoke_model", "cost_track_manual", "ddb_cost_retrieval"):
        params = {"model_id": "amazon.nova-micro-v1:0"}
        assert e2e.post(route, None, {}, params=params).status_code == 401
        assert (
            e2e.post(route, None, {}, params=params).json() == {"message": "Unauthorized"}
            or e2e.post(route, None, {}, params=params).json()["message"] == "Unauthorized"
        )
    real = e2e.user_token(local_stack["users"][0]["username"])
    claims = jwt.decode(real, options={"verify_signature": False})
    # Forged: same claims, an admin group added, signed with a key that is not the pool's
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**claims, "cognito:groups": ["admin"]}, key, algorithm="RS256", headers={"kid": "dummy"}
    )
    # Expired: signed with the pool's own key (moto's), correct in every way but the expiry
    import moto

    private = Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz"
    pool_key = jwt.algorithms.RSAAlgorithm.from_jwk(gzip.decompress(private.read_bytes()).decode())
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 60}, pool_key, algorithm="RS256", headers={"kid": "dummy"}
    )
    # Tampered: a real token whose payload was edited (the signature no longer matches)
    header, _, signature = real.split(".")
    altered = base64.urlsafe_b64encode(json.dumps({**claims, "cognito:username": "tenant-2"}).encode())
    tampered = f"{header}.{altered.decode().rstrip('=')}.{signature}"
    for bad in (forged, expired, tampered, real + "x", "Bearer " + real):
        response = e2e.post("ddb_cost_retrieval", bad, {})
        assert response.status_code == 401, (bad[:20], response.text)
        assert response.json()["message"] == "Unauthorized"
