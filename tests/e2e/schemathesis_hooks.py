"""Hooks for the schemathesis runs of tests/e2e/test_schemathesis.py (loaded with SCHEMATHESIS_HOOKS).

- Every call is tallied (operation, status, generation mode) to the NDJSON file BTP_FUZZ_TALLY, so
  the test can count the cases and see which statuses came back.
- With BTP_FUZZ_BEDROCK_URL set (the fault run), each /invoke_model call first sets one Bedrock
  fault on the emulator, in turn, and a valid generated request gets an enabled model id, so that
  it reaches Bedrock and meets the fault.
- The check `only_documented_server_errors` allows the two 5xx the API documents for Bedrock's
  failures (502, 504) and nothing else; the fault run uses it instead of `not_a_server_error`.
"""

from __future__ import annotations

import itertools
import json
import os
import threading

import requests
import schemathesis

TALLY = os.environ.get("BTP_FUZZ_TALLY")
BEDROCK_URL = os.environ.get("BTP_FUZZ_BEDROCK_URL")
FAULTS = itertools.cycle(
    [{"kind": "throttle"}, {"kind": "error", "status": 500}, {"kind": "error", "status": 503}]
)
MODELS = itertools.cycle(
    ["amazon.nova-micro-v1:0", "amazon.titan-embed-text-v2:0", "meta.llama3-8b-instruct-v1:0"]
)
DOCUMENTED_SERVER_ERRORS = {502, 504}
LOCK = threading.Lock()


def _negative(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


@schemathesis.hook
def before_call(context, case, kwargs):
    if not BEDROCK_URL or case.operation.path != "/invoke_model":
        return
    with LOCK:
        fault = next(FAULTS)
        model_id = next(MODELS)
    requests.delete(f"{BEDROCK_URL}/_emulator/faults", timeout=10).raise_for_status()
    requests.post(f"{BEDROCK_URL}/_emulator/faults", json=fault, timeout=10).raise_for_status()
    if not _negative(case) and isinstance(case.query, dict) and isinstance(case.query.get("model_id"), str):
        case.query["model_id"] = model_id


@schemathesis.hook
def after_call(context, case, response):
    if not TALLY:
        return
    line = {
        "operation": f"{case.method.upper()} {case.operation.path}",
        "status": response.status_code,
        "negative": _negative(case),
    }
    if response.status_code >= 500:  # enough to reproduce it
        line["query"] = repr(case.query)
        line["body"] = repr(case.body)[:1000]
        line["answer"] = response.text[:500]
    with LOCK, open(TALLY, "a") as out:
        out.write(json.dumps(line) + "\n")


@schemathesis.check
def only_documented_server_errors(ctx, response, case):
    if response.status_code >= 500 and response.status_code not in DOCUMENTED_SERVER_ERRORS:
        raise AssertionError(f"undocumented server error {response.status_code}: {response.text[:300]}")
    return None
