"""`handler_overhead`: warm latency per request of invoke_model, Bedrock answering instantly.

Each side runs in its own worker process (a warm container): a warm-up, then timed requests, each
timed around the handler call alone. Sides alternate over several rounds, so load on the shared
cores hits both alike. Bedrock is bench.fake_bedrock (botocore's HTTP send replaced, no network).

    python -m bench.handler_overhead --worker ours --requests 500   # one worker, JSON on stdout
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import time

from bench import harness
from bench.lambda_env import lambda_environ

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
SIDES = ("ours", "ours_plans", "per_request_client", "litellm_mock")
# plans on: a hard budget and both per-minute limits, so admission is the TransactWriteItems path
PLANS_ENV = {
    "PLANS_TABLE": "bench_tenant_plans",
    "DEFAULT_PLAN": json.dumps(
        {
            "monthly_budget_usd": "1000000",
            "hard": True,
            "requests_per_minute": 10**9,
            "tokens_per_minute": 10**12,
        }
    ),
}


def _worker(side: str, requests: int, warmup: int) -> dict:
    from bench.fake_bedrock import instant_bedrock
    from bench.lambda_env import LambdaContext, NullStream, invoke_event, load_function

    if side in ("ours", "ours_plans"):
        if side == "ours_plans":
            os.environ.update(PLANS_ENV)
        with instant_bedrock():  # the keyring read of the cold start is answered in-process too
            module = load_function("invoke_model")
        module.logger.registered_handler.setStream(NullStream())

        def call():
            response = module.lambda_handler(invoke_event(MODEL), LambdaContext())
            return (
                response["statusCode"] == 200
                and json.loads(response["body"])[0]["usage"]["output_tokens"] == 282
            )

    elif side == "per_request_client":
        from bench.baselines import per_request_client as module

        module.logger.registered_handler.setStream(NullStream())

        def call():
            response = module.lambda_handler(invoke_event(MODEL), LambdaContext())
            return (
                response["statusCode"] == 200
                and json.loads(response["body"])["usage"]["output_tokens"] == 282
            )

    elif side == "litellm_mock":
        from bench.baselines import litellm_baseline

        def call():
            return litellm_baseline.completion_once(MODEL).choices[0].message.content is not None

    else:
        raise ValueError(side)
    from bench.fake_dynamodb import instant_dynamodb

    times: list[float] = []
    ok = 0
    with instant_bedrock(), instant_dynamodb() as dynamodb_calls:
        for _ in range(warmup):
            call()
        dynamodb_calls.clear()
        for _ in range(requests):
            # events are built outside the timer in the handler's case too: the call itself is timed
            t0 = time.perf_counter()
            good = call()
            times.append(time.perf_counter() - t0)
            ok += bool(good)
    return {
        "side": side,
        "times": times,
        "ok": ok,
        "gc_counts": gc.get_count(),
        "dynamodb_calls": dict(dynamodb_calls),
    }


def _spawn(side: str, requests: int, warmup: int) -> dict:
    cmd = [
        harness.worker_python(),
        "-m",
        "bench.handler_overhead",
        "--worker",
        side,
        "--requests",
        str(requests),
        "--warmup",
        str(warmup),
    ]
    out = subprocess.run(
        cmd,
        cwd=harness.ROOT,
        env=lambda_environ("invoke_model"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{side} worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(
    *,
    rounds: int = 3,
    ours_requests: int = 1000,
    baseline_requests: int = 40,
    litellm_requests: int = 300,
    warmup: int = 20,
    require_baselines: bool = True,
) -> dict:
    sides = {"ours": ours_requests, "ours_plans": ours_requests, "per_request_client": baseline_requests}
    notes = [
        f"model {MODEL}; Bedrock answers in-process (botocore HTTP send replaced: validation, "
        "signing and parsing still run)",
        f"{rounds} alternating rounds, each side in a fresh warm worker process ({warmup} warm-up "
        "requests discarded per round)",
        "timed: the lambda_handler call (ours: powertools resolver, auth claims, validation, cached "
        "client, pricing, usage line formatted to a null stream); baseline: the same work with a new "
        "boto3 session and bedrock-runtime client per request",
        "ours_plans: the same handler with tenant plans on (hard budget and both per-minute limits: "
        "admission is one TransactWriteItems, settling one UpdateItem, the plan cached per container); "
        "DynamoDB answers in-process like Bedrock (bench/fake_dynamodb.py), so its network round "
        "trips (a few ms each in-region) are not in the figure: the DynamoDB calls per invoke are",
        "LiteLLM: completion(model='bedrock/...', mock_response=...) per call, in its own worker; "
        "the mock path skips the HTTP layer entirely, so it is LiteLLM's own overhead only",
    ]
    if importlib.util.find_spec("litellm") is not None:
        sides["litellm_mock"] = litellm_requests
    elif require_baselines:
        raise RuntimeError("litellm is not installed: run `make bench` (it builds .venv-bench)")
    else:
        notes.append("LiteLLM comparison skipped: litellm not installed in this interpreter")
    samples: dict[str, list[float]] = {s: [] for s in sides}
    ok: dict[str, int] = dict.fromkeys(sides, 0)
    dynamodb_calls: dict[str, int] = {}
    for _ in range(rounds):
        for side, n in sides.items():
            result = _spawn(side, n, warmup)
            samples[side] += result["times"]
            ok[side] += result["ok"]
            if side == "ours_plans":
                for operation, count in result["dynamodb_calls"].items():
                    dynamodb_calls[operation] = dynamodb_calls.get(operation, 0) + count
    stats = {side: {**harness.summary_ms(times), "ok": ok[side]} for side, times in samples.items()}
    ours, base = stats["ours"], stats["per_request_client"]
    plans_on = stats.pop("ours_plans")
    calls_per_invoke = round(sum(dynamodb_calls.values()) / plans_on["n"], 3) if plans_on["n"] else None
    lite = stats.get("litellm_mock")
    ratio = {
        "p50": harness.ratio(base["p50_ms"], ours["p50_ms"]),
        "p95": harness.ratio(base["p95_ms"], ours["p95_ms"]),
        "p50_vs_litellm_mock": harness.ratio(lite["p50_ms"], ours["p50_ms"]) if lite else None,
        # plans on / plans off: how many times slower the handler is with enforcement
        "plans_on_vs_off_p50": harness.ratio(plans_on["p50_ms"], ours["p50_ms"]),
        "plans_on_vs_off_p95": harness.ratio(plans_on["p95_ms"], ours["p95_ms"]),
    }
    table = [
        {"figure": "warm p50 ms", "ours": ours["p50_ms"], "baseline": base["p50_ms"], "ratio": ratio["p50"]},
        {"figure": "warm p95 ms", "ours": ours["p95_ms"], "baseline": base["p95_ms"], "ratio": ratio["p95"]},
    ]
    table.append(
        {
            # ours = plans on, baseline = plans off: the column is off/on (below 1: plans cost that much)
            "figure": "warm p50 ms, plans on (baseline: plans off)",
            "ours": plans_on["p50_ms"],
            "baseline": ours["p50_ms"],
            "ratio": harness.ratio(ours["p50_ms"], plans_on["p50_ms"]),
        }
    )
    table.append(
        {
            "figure": "DynamoDB calls per invoke, plans on",
            "ours": calls_per_invoke,
            "baseline": 0,
            "ratio": None,
        }
    )
    if lite:
        table.append(
            {
                "figure": "warm p50 ms vs LiteLLM mock",
                "ours": ours["p50_ms"],
                "baseline": lite["p50_ms"],
                "ratio": ratio["p50_vs_litellm_mock"],
            }
        )
        table.append(
            {
                "figure": "warm p95 ms vs LiteLLM mock",
                "ours": ours["p95_ms"],
                "baseline": lite["p95_ms"],
                "ratio": harness.ratio(lite["p95_ms"], ours["p95_ms"]),
            }
        )
    targets = [
        harness.target("p50 ms <= 1", ours["p50_ms"], 1.0),
        harness.target("x per-request-client baseline (p50) >= 20", ratio["p50"], 20, at_most=False),
        harness.target(
            "every request answered 200 with the stubbed usage",
            1.0 if ok["ours"] == ours["n"] else 0.0,
            1.0,
            at_most=False,
        ),
    ]
    baseline = {
        "per_request_client": base,
        "plans_on": {
            **plans_on,
            "dynamodb_calls": dynamodb_calls,
            "dynamodb_calls_per_invoke": calls_per_invoke,
        },
    }
    if lite:
        baseline["litellm_mock"] = lite
    return harness.metric(
        "handler_overhead",
        unit="ms",
        ours=ours,
        baseline=baseline,
        ratio=ratio,
        targets=targets,
        notes=notes,
        table=table,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=SIDES, required=True)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    result = _worker(args.worker, args.requests, args.warmup)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: nothing left to flush


if __name__ == "__main__":
    main()
