"""schemathesis fuzzes the local stack with the OpenAPI document it serves, as a tenant and as an admin.

Each run covers every route with schemathesis' phases (explicit examples, coverage of boundaries and
unexpected methods, random fuzzing) in positive and negative modes, and fails on:
- a status the document does not list for the operation (status_code_conformance);
- a 5xx (not_a_server_error); under injected Bedrock faults only the documented 502/504 may come
  back (only_documented_server_errors, tests/e2e/schemathesis_hooks.py);
- a body or content type the document does not describe (response_schema_conformance,
  content_type_conformance);
- invalid data accepted with a 2xx (negative_data_rejection).

The runs are bounded by MAX_EXAMPLES per operation; every call is tallied by the hooks, checked
here against the document independently of schemathesis, and the figures are written to
build/schemathesis.json.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SPEC = json.loads((REPO / "docs" / "openapi.json").read_text())
FIGURES = REPO / "build" / "schemathesis.json"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = 25  # per operation and run; the three runs take about a minute and a half on two cores
SEED = 20261130  # the same cases every run, so that a failure reproduces
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]
ROUTES = [
    "POST /invoke_model",
    "POST /cost_track_manual",
    "POST /ddb_cost_retrieval",
    "POST /tenant_plan",
    "POST /tenant_status",
    "POST /statements",
    "POST /statement_download",
    "POST /statement_generate",
    "POST /tenants",
    "POST /tenant_create",
    "POST /tenant_update",
    "POST /tenant_user",
]
RESULTS: dict[str, dict] = {}


def _documented(operation: str) -> set[int]:
    method, path = operation.split(" ", 1)
    return {int(s) for s in SPEC["paths"][path][method.lower()]["responses"]}


def _run(local_stack, tmp_path: Path, name: str, token: str, *, checks=CHECKS, routes=None, faults=False):
    """One schemathesis run; returns (exit code, output, JSON report, tally of calls)."""
    tally = tmp_path / f"{name}.ndjson"
    report = tmp_path / f"{name}.json"
    args = [
        str(SCHEMATHESIS),
        "run",
        local_stack["openapi_url"],
        "--header",
        f"Auth: {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--mode",
        "all",
        "--checks",
        ",".join(checks),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    for route in routes or []:
        args += ["--include-path", route]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "BTP_FUZZ_TALLY": str(tally),
    }
    if faults:
        env["BTP_FUZZ_BEDROCK_URL"] = local_stack["bedrock_url"]
    started = time.monotonic()
    run = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    seconds = round(time.monotonic() - started, 1)
    calls = [json.loads(line) for line in tally.read_text().splitlines()] if tally.exists() else []
    data = json.loads(report.read_text()) if report.exists() else {}
    RESULTS[name] = {
        "exit_code": run.returncode,
        "seconds": seconds,
        "generated": data.get("test_cases", {}).get("generated"),
        "calls": len(calls),
        "statuses": {
            op: dict(sorted(Counter(c["status"] for c in calls if c["operation"] == op).items()))
            for op in sorted({c["operation"] for c in calls})
        },
        "failures": [f.get("title") for f in data.get("failures", [])],
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps({"max_examples": MAX_EXAMPLES, "seed": SEED, "runs": RESULTS}, indent=2))
    return run.returncode, run.stdout + run.stderr, data, calls


def _assert_clean(code: int, output: str, report: dict, calls: list[dict], routes: list[str]) -> None:
    server_errors = [c for c in calls if c["status"] >= 500]
    assert code == 0, f"{output[-10_000:]}\n5xx answers: {json.dumps(server_errors)[:3000]}"
    assert report["test_cases"]["generated"] >= 10 * len(routes), report["test_cases"]
    assert not report["failures"], report["failures"]
    per_route = Counter(c["operation"] for c in calls)
    for route in routes:
        assert per_route[route] >= MAX_EXAMPLES // 2, per_route  # every route was really exercised
    # Independently of schemathesis: every status a POST got is one the document lists for it.
    for call in calls:
        if call["operation"] in ROUTES:
            assert call["status"] in _documented(call["operation"]), call


@pytest.fixture(scope="module")
def tenant_token(e2e):
    """A fresh tenant: what the fuzzer spends is its own usage, not another test's."""
    return e2e.new_tenant(f"fuzz-{secrets.token_hex(3)}")


def test_the_stack_serves_the_document(e2e, local_stack):
    response = e2e.http.get(local_stack["openapi_url"], timeout=10)
    assert response.status_code == 200
    served = response.json()
    assert served["servers"][0]["url"] == local_stack["api_url"]
    assert served["paths"] == SPEC["paths"]


def test_fuzz_every_route_as_a_tenant(local_stack, tmp_path, tenant_token):
    code, output, report, calls = _run(local_stack, tmp_path, "tenant", tenant_token)
    _assert_clean(code, output, report, calls, ROUTES)
    statuses = {(c["operation"], c["status"]) for c in calls}
    # The fuzzer got through: valid calls were answered, and the admin route refused a tenant.
    assert ("POST /invoke_model", 200) in statuses
    assert ("POST /ddb_cost_retrieval", 200) in statuses
    assert ("POST /cost_track_manual", 403) in statuses
    assert ("POST /cost_track_manual", 200) not in statuses
    assert ("POST /tenant_create", 403) in statuses
    assert not any(op in ("POST /tenants", "POST /tenant_create") and code == 200 for op, code in statuses)


def test_fuzz_every_route_as_an_admin(local_stack, tmp_path, e2e):
    code, output, report, calls = _run(local_stack, tmp_path, "admin", e2e.admin_token())
    _assert_clean(code, output, report, calls, ROUTES)
    statuses = {(c["operation"], c["status"]) for c in calls}
    assert ("POST /cost_track_manual", 200) in statuses
    assert ("POST /ddb_cost_retrieval", 200) in statuses


def test_fuzz_invoke_under_bedrock_faults(local_stack, tmp_path, tenant_token, emulator):
    checks = [c for c in CHECKS if c != "not_a_server_error"] + ["only_documented_server_errors"]
    routes = ["POST /invoke_model"]
    code, output, report, calls = _run(
        local_stack, tmp_path, "faults", tenant_token, checks=checks, routes=["/invoke_model"], faults=True
    )
    _assert_clean(code, output, report, calls, routes)
    statuses = Counter(c["status"] for c in calls if c["operation"] == routes[0])
    # The faults were met: throttling became 429, Bedrock's 500 and 503 became 502; nothing else 5xx.
    assert statuses[429] > 0 and statuses[502] > 0, statuses
    assert {s for s in statuses if s >= 500} <= {502, 504}, statuses
    assert statuses[200] == 0, statuses


def test_a_date_before_1970_is_a_400_not_a_500(e2e):
    response = e2e.post("cost_track_manual", e2e.admin_token(), {"date": "1969-12-31"})
    assert response.status_code == 400, (response.status_code, response.text)
