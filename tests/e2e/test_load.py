"""Load: at least 5,000 invocations from 16 concurrent clients, mixing tenants and models, then one
aggregation; the totals per tenant and model equal the sum of the reported usage exactly."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

INVOCATIONS = int(os.environ.get("E2E_LOAD_INVOCATIONS", "5000"))
CLIENTS = 16
MODELS = [
    "amazon.nova-micro-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
]
FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
REPORT = Path(__file__).resolve().parents[2] / "build" / "e2e" / "load.json"


def test_load_totals_are_exact(e2e, local_stack):
    e2e.prompts.add("how many tokens is this?")  # every load prompt holds it; the log scan looks for it
    # Given four fresh tenants
    suffix = secrets.token_hex(2)
    tenants = [(f"load-{n}-{suffix}", e2e.new_tenant(f"load-{n}-{suffix}")) for n in range(4)]
    url = f"{local_stack['api_url']}/invoke_model"
    ledger = defaultdict(lambda: defaultdict(int))
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def one(index: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        tenant, token = tenants[index % len(tenants)]
        model_id = MODELS[(index // len(tenants)) % len(MODELS)]
        body = {"inputs": f"load {index}: how many tokens is this? " + "x" * (index % 97)}
        if "embed" not in model_id:
            body["parameters"] = {"maxTokenCount": 5 + index % 40}
        started = time.perf_counter()
        response = session.post(
            url, params={"model_id": model_id}, headers={"Auth": token}, data=json.dumps(body), timeout=60
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")
                return
            usage = response.json()[0]["usage"]
            entry = ledger[(tenant, model_id)]
            for field in FIELDS:
                entry[field] += usage[field]
            entry["invocations"] += 1

    # When 16 clients send the invocations
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(INVOCATIONS)))
    wall = time.perf_counter() - started
    assert not failures, failures[:5]

    # And the admin aggregates today
    admin = e2e.admin_token()
    aggregate_started = time.perf_counter()
    summary = e2e.aggregate(admin)["summary"]
    aggregate_seconds = time.perf_counter() - aggregate_started

    # Then every (tenant, model) total equals the sum of what the responses reported
    day = dt.datetime.now(dt.UTC).date().isoformat()
    rows = {}
    for tenant, _ in tenants:
        for row in e2e.rows(admin, {"tenant": tenant, "start_date": day, "end_date": day}):
            rows[(row["name"], row["model_id"])] = row
    assert set(rows) == set(ledger)
    for key, sums in ledger.items():
        for field in (*FIELDS, "invocations"):
            assert Decimal(rows[key][field]) == sums[field], (key, field)
    assert sum(s["invocations"] for s in ledger.values()) == INVOCATIONS

    latencies.sort()
    figures = {
        "invocations": INVOCATIONS,
        "clients": CLIENTS,
        "tenants": len(tenants),
        "models": len(MODELS),
        "seconds": round(wall, 1),
        "throughput_per_s": round(INVOCATIONS / wall, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "aggregate_seconds": round(aggregate_seconds, 1),
        "lines_read_by_aggregation": summary["lines_read"],
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    print("\nload figures:", json.dumps(figures))
