"""Monthly statements on the local stack: two fresh tenants invoke models, the admin aggregates and
writes this month's statements, and each tenant downloads its own through the presigned URL (which
points at the moto server). The totals are priced here from catalog.json, from the usage the
invoke answers reported, never from the API's figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections import defaultdict
from decimal import Decimal

import pytest
import requests

from tests.e2e.test_flow import TOKEN_FIELDS, add_usage, expected_cost, invoke

pytestmark = pytest.mark.e2e

MODELS = [
    "amazon.nova-micro-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "amazon.titan-embed-text-v2:0",
]


def test_invoke_aggregate_generate_download(e2e, local_stack):
    suffix = secrets.token_hex(2)
    tenants = {f"stmt-{k}-{suffix}": e2e.new_tenant(f"stmt-{k}-{suffix}") for k in ("a", "b")}
    ledger = defaultdict(lambda: defaultdict(int))
    for tenant, token in tenants.items():
        for n, model_id in enumerate(MODELS):
            add_usage(ledger, tenant, model_id, invoke(e2e, token, model_id, f"statement call {n}", 80))
    day = dt.datetime.now(dt.UTC).date()
    month = day.strftime("%Y-%m")
    admin = e2e.admin_token()
    e2e.aggregate(admin, {"date": day.isoformat()})

    # a tenant may not write statements; the admin writes this month's (provisional) for each tenant
    (a, token_a), (b, token_b) = tenants.items()
    assert e2e.post("statement_generate", token_a, {"month": month}).status_code == 403
    for tenant in tenants:
        response = e2e.post("statement_generate", admin, {"month": month, "tenant": tenant})
        assert response.status_code == 200, response.text
        [written] = response.json()["statements"]
        assert (written["tenant"], written["status"]) == (tenant, "provisional")

    for tenant, token in tenants.items():
        mine = {model: sums for (t, model), sums in ledger.items() if t == tenant}
        want = sum((expected_cost(m, {f: s[f] for f in TOKEN_FIELDS}) for m, s in mine.items()), Decimal(0))
        listed = e2e.post("statements", token, {"month": month}).json()["statements"]
        assert [(s["tenant"], Decimal(s["total_usd"])) for s in listed] == [(tenant, want)]
        link = e2e.post("statement_download", token, {"month": month, "format": "csv"})
        assert link.status_code == 200, link.text
        url = link.json()["url"]
        assert url.startswith(local_stack["aws_endpoint_url"])  # the browser can follow it
        got = requests.get(url, timeout=30)
        assert got.status_code == 200
        records = list(csv.DictReader(io.StringIO(got.text)))
        (total,) = [r for r in records if r["record"] == "total"]
        assert Decimal(total["total_cost"]) == want
        assert int(total["invocations"]) == len(MODELS)
        assert {r["model_id"] for r in records if r["record"] == "line"} == set(MODELS)
        json_link = e2e.post("statement_download", token, {"month": month, "format": "json"}).json()["url"]
        data = requests.get(json_link, timeout=30).json()
        assert Decimal(data["total_usd"]) == want and data["status"] == "provisional"

    # neither tenant reaches the other's statement; the admin reaches both
    assert (
        e2e.post("statement_download", token_a, {"month": month, "format": "csv", "tenant": b}).status_code
        == 403
    )
    assert e2e.post("statements", token_b, {"tenant": a}).status_code == 403
    every = e2e.post("statements", admin, {"month": month}).json()["statements"]
    assert set(tenants) <= {s["tenant"] for s in every}
    bad = e2e.post("statement_download", token_a, {"month": "2026-13", "format": "csv"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.json()["message"]
