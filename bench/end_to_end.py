"""`end_to_end`: N concurrent clients x M invocations through the local stack, then a check that
the aggregated totals equal the usage the API reported, so that nothing is lost.

The stack is started for the run (`python -m local up`, the code path of `make local-up`) on free
ports with its own state directory, and stopped after, so nobody else's calls mix in; with
`outputs=` a running stack is used instead. Each client is a fresh tenant (a new Cognito user
with its own custom:tenant_id), so the check looks at this run's rows only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from bench import harness
from local import users

MODELS = (
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "amazon.nova-micro-v1:0",
    "meta.llama3-8b-instruct-v1:0",
)
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")
STATE_DIR = harness.BUILD / "local"


def _free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _stack_env() -> dict[str, str]:
    ports = _free_ports(4)
    env = dict(os.environ)
    env.update(
        {
            "LOCAL_STATE_DIR": str(STATE_DIR),
            "LOCAL_AWS_PORT": str(ports[0]),
            "LOCAL_BEDROCK_PORT": str(ports[1]),
            "LOCAL_API_PORT": str(ports[2]),
            "LOCAL_WEB_PORT": str(ports[3]),
        }
    )
    return env


def start_stack(python: str, timeout: float = 600) -> tuple[dict, dict[str, str]]:
    env = _stack_env()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [python, "-m", "local", "up", "--timeout", str(timeout)],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"local stack did not start: {(out.stderr or out.stdout)[-1500:]}")
    return json.loads((STATE_DIR / "outputs.json").read_text()), env


def stop_stack(python: str, env: dict[str, str]) -> None:
    subprocess.run(
        [python, "-m", "local", "down"],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Client:
    def __init__(self, outputs: dict):
        import boto3
        import requests

        self.outputs = outputs
        self.http = requests.Session()
        self.cognito = boto3.client(
            "cognito-idp",
            endpoint_url=outputs["aws_endpoint_url"],
            region_name=outputs["region"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
        )

    def sign_in(self, username: str, password: str) -> str:
        return users.sign_in(self.cognito, self.outputs["client_id"], username, password)["IdToken"]

    def new_tenant(self, tenant_id: str) -> str:
        username, password = f"{tenant_id}-user", f"Bb{secrets.token_urlsafe(12)}7!"
        users.add_user(self.cognito, self.outputs["user_pool_id"], username, password, tenant_id=tenant_id)
        return self.sign_in(username, password)

    def failure_logs(self, request_ids: list[str], limit: int = 8) -> list[str]:
        """Log lines of the invoke function that explain failed requests (errors, timeouts, their ids)."""
        import boto3

        logs = boto3.client(
            "logs",
            endpoint_url=self.outputs["aws_endpoint_url"],
            region_name=self.outputs["region"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
        )
        group = next(
            (g for name, g in self.outputs.get("functions", {}).items() if name.endswith("invoke_model")),
            None,
        )
        if group is None:
            return []
        marks = ("Traceback", "ERROR", "Error", "timed out", "errorType", *request_ids)
        found: list[str] = []
        kwargs: dict = {"logGroupName": group}
        for _ in range(200):  # bounded paging
            page = logs.filter_log_events(**kwargs)
            for event in page.get("events", []):
                message = event["message"]
                if any(mark in message for mark in marks) and "TOKEN_USAGE" not in message:
                    found.append(message[:400])
            token = page.get("nextToken")
            if not token or len(found) >= limit * 4:
                break
            kwargs["nextToken"] = token
        return found[:limit]

    def admin_token(self) -> str:
        admin = next(u for u in self.outputs["users"] if u["admin"])
        return self.sign_in(admin["username"], admin["password"])

    def post(self, route: str, token: str, body: dict, params: dict | None = None, session=None):
        return (session or self.http).post(
            f"{self.outputs['api_url']}/{route}",
            data=json.dumps(body),
            params=params,
            headers={"Auth": token, "Content-Type": "application/json"},
            timeout=60,
        )


def expected_cost(model_id: str, sums: dict[str, int]) -> Decimal:
    catalog = json.loads((harness.FUNCTIONS / "token_profiler" / "catalog.json").read_text())
    base = model_id
    for prefix in catalog["profile_prefixes"]:
        if model_id.startswith(prefix):
            base = model_id[len(prefix) :]
            break
    prices = catalog["models"][base]["prices"][catalog["default_region"]]
    return sum(
        (
            Decimal(sums[f]) / 1000 * Decimal(prices.get(k, "0"))
            for f, k in zip(TOKEN_FIELDS, PRICE_KEYS, strict=True)
            if sums[f]
        ),
        Decimal(0),
    )


def drive(
    outputs: dict, clients: int, invocations: int, api=None, session_factory=None, warmup: int = 1
) -> dict:
    """The load, the aggregation and the check, against a running stack's outputs (or `api`, an
    object with Client's methods, for the smoke test)."""
    if session_factory is None:
        import requests

        session_factory = requests.Session
    api = api or Client(outputs)
    run_id = secrets.token_hex(3)
    tenants = [f"bench-{run_id}-{i:02d}" for i in range(clients)]
    tokens = {t: api.new_tenant(t) for t in tenants}
    ledger: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    finished: list[float] = []

    def call(tenant: str, i: int, session, timed: bool) -> None:
        model = MODELS[i % len(MODELS)]
        body = {
            "inputs": f"Question {i} from {tenant}: what is a token?",
            "parameters": {"maxTokenCount": 40},
        }
        t0 = time.perf_counter()
        try:
            response = api.post("invoke_model", tokens[tenant], body, {"model_id": model}, session)
            ok = response.status_code == 200
            usage = response.json()[0]["usage"] if ok else None
        except Exception as exc:  # noqa: BLE001 - counted as a failure
            ok, usage, response = False, None, exc
        elapsed = time.perf_counter() - t0
        with lock:
            if timed:
                latencies.append(elapsed)
            if not ok:
                failures.append(str(getattr(response, "text", response))[:200])
                return
            entry = ledger[(tenant, model)]
            for field in TOKEN_FIELDS:
                entry[field] += int(usage.get(field, 0))
            entry["invocations"] += 1

    def client(tenant: str) -> None:
        session = session_factory()
        # warm-up calls (the stack's workers import boto3 on their first call): in the totals check,
        # not in the latencies; then every client starts the timed phase together
        for i in range(warmup):
            call(tenant, invocations + i, session, timed=False)
        gate.wait(timeout=300)
        for i in range(invocations):
            call(tenant, i, session, timed=True)
        with lock:
            finished.append(time.perf_counter())

    gate = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client, args=(t,), name=f"bench-client-{t}") for t in tenants]
    for thread in threads:
        thread.start()
    gate.wait(timeout=300)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=900)
    wall = (max(finished) - started) if finished else 0.0
    day = dt.datetime.now(dt.UTC).date().isoformat()
    # The admin aggregates today, then reads the day's rows; a late log line gets two more tries.
    admin = api.admin_token()
    problems: list[str] = ["not checked"]
    rows: list[dict] = []
    for attempt in range(3):
        agg = api.post("cost_track_manual", admin, {})
        if agg.status_code != 200:
            problems = [f"cost_track_manual answered {agg.status_code}: {agg.text[:200]}"]
        else:
            got = api.post("ddb_cost_retrieval", admin, {"start_date": day, "end_date": day})
            if got.status_code != 200:
                problems = [f"ddb_cost_retrieval answered {got.status_code}: {got.text[:200]}"]
            else:
                rows = got.json()["body"]
                problems = compare(rows, ledger, set(tenants), day)
        if not problems:
            break
        time.sleep(2 + attempt * 3)
    failure_logs: list[str] = []
    if failures and hasattr(api, "failure_logs"):
        ids = []
        for text in failures:
            with contextlib.suppress(ValueError, AttributeError):
                ids.append(json.loads(text).get("request_id") or "")
        try:
            failure_logs = api.failure_logs([i for i in ids if i])
        except Exception as exc:  # noqa: BLE001 - the diagnosis is best effort
            failure_logs = [f"could not read the logs: {exc}"]
    total = len(latencies)
    return {
        "clients": clients,
        "invocations_per_client": invocations,
        "requests": total,
        "failures": len(failures),
        "failure_samples": failures[:3],
        "failure_logs": failure_logs,
        "wall_s": round(wall, 2),
        "rps": round(total / wall, 1) if wall else None,
        **harness.summary_ms(latencies),
        "totals_match": not problems,
        "problems": problems[:10],
        "tenants": len(tenants),
        "reported_invocations": sum(v["invocations"] for v in ledger.values()),
    }


def compare(rows: list[dict], ledger: dict, tenants: set[str], day: str) -> list[str]:
    mine = {(r["name"], r["model_id"]): r for r in rows if r.get("name") in tenants and r.get("date") == day}
    problems = []
    if set(mine) != set(ledger):
        problems.append(f"rows for {len(mine)} (tenant, model) keys, {len(ledger)} expected")
    for key, sums in ledger.items():
        row = mine.get(key)
        if row is None:
            continue
        for field in (*TOKEN_FIELDS, "invocations"):
            if Decimal(str(row[field])) != sums[field]:
                problems.append(f"{key} {field}: aggregated {row[field]}, reported {sums[field]}")
        if Decimal(str(row["total_cost"])) != expected_cost(key[1], sums):
            problems.append(f"{key} total_cost {row['total_cost']} != {expected_cost(key[1], sums)}")
    return problems


def run(
    *,
    clients: int = 8,
    invocations: int = 25,
    outputs_path: Path | None = None,
    python: str | None = None,
    start_timeout: float = 600,
) -> dict:
    python = python or harness.worker_python()
    env = None
    try:
        if outputs_path is not None:
            outputs = json.loads(outputs_path.read_text())
        else:
            outputs, env = start_stack(python, start_timeout)
        result = drive(outputs, clients, invocations)
    except Exception as exc:  # noqa: BLE001 - recorded as not run, with the reason
        return harness.not_run(
            "end_to_end",
            f"{type(exc).__name__}: {exc}"[:1500],
            clients=clients,
            invocations_per_client=invocations,
        )
    finally:
        if env is not None:
            stop_stack(python, env)
    notes = [
        f"{clients} concurrent clients (one fresh tenant each) x {invocations} invocations through the "
        "local API gateway, Lambda worker pool, Bedrock emulator, CloudWatch (moto); then POST "
        "/cost_track_manual as admin and POST /ddb_cost_retrieval for today; every (tenant, model) "
        "row compared with the usage the API returned",
        "no baseline: the reference has no local stack to drive; figures are for run-to-run comparison",
    ]
    table = [
        {"figure": "requests/s", "ours": result["rps"], "baseline": None, "ratio": None},
        {"figure": "p50 ms", "ours": result["p50_ms"], "baseline": None, "ratio": None},
        {"figure": "p95 ms", "ours": result["p95_ms"], "baseline": None, "ratio": None},
        {"figure": "failed requests", "ours": result["failures"], "baseline": None, "ratio": None},
        {
            "figure": "aggregated totals == reported usage",
            "ours": result["totals_match"],
            "baseline": None,
            "ratio": None,
        },
    ]
    targets = [
        harness.target(
            "aggregated totals equal the reported usage",
            1.0 if result["totals_match"] else 0.0,
            1.0,
            at_most=False,
        ),
        harness.target("failed requests", result["failures"], 0),
    ]
    return harness.metric(
        "end_to_end",
        unit="requests",
        ours=result,
        baseline=None,
        ratio=None,
        targets=targets,
        notes=notes,
        table=table,
    )
