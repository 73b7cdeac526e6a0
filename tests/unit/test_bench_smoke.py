"""Smoke runs of every benchmark (bench/, `make bench`) at tiny sizes, so the harness does not rot.

These assert that each benchmark produces a well-formed record and that the numbers it checks are
right; never how fast anything is. They run in the test virtualenv: baseline parts whose packages
live only in .venv-bench (pandas, langchain-community, litellm) are skipped here and recorded as
skipped in the record; `make bench` runs them.
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from decimal import Decimal

import pytest

from bench import aggregation, cold_import, end_to_end, handler_overhead, harness, package_size
from bench.__main__ import render_markdown
from bench.linegen import MODELS, Truth, catalog_prices, generate

pytestmark = pytest.mark.unit

HAS_PANDAS = importlib.util.find_spec("pandas") is not None
HAS_LITELLM = importlib.util.find_spec("litellm") is not None


def well_formed(record: dict, name: str) -> None:
    assert record["metric"] == name
    assert record["status"] == "ok", record.get("reason")
    for key in ("ours", "baseline", "ratio", "targets", "machine", "date", "table", "notes"):
        assert key in record
    assert record["machine"]["cores"] >= 1 and record["date"].endswith("Z")
    for target in record["targets"]:
        assert set(target) == {"target", "value", "limit", "at_most", "met"}
    json.dumps(record)  # the results file must be able to hold it


def test_generated_lines_match_the_truth_the_generator_reports():
    # Given a small day with noise
    truth = Truth("2026-11-26")
    events = list(generate(400, truth=truth, seed=1))
    # When the test sums the valid lines itself, straight from the JSON
    sums = defaultdict(lambda: [0, 0, 0, 0, 0])
    seen, skipped, duplicates = set(), 0, 0
    for event in events:
        try:
            line = json.loads(event["message"])
        except ValueError:
            skipped += 1
            continue
        usage = line["token_usage"]
        if line["message"] != "TOKEN_USAGE" or usage["output_tokens"] < 0:
            skipped += 1
            continue
        if usage["request_id"] in seen:
            duplicates += 1
            continue
        seen.add(usage["request_id"])
        row = sums[(usage["tenant_id"], usage["model_id"])]
        for i, field in enumerate(
            ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
        ):
            row[i] += usage[field]
        row[4] += 1
    # Then the generator's truth says the same, and every event lies in the day
    assert dict(sums) == truth.sums
    assert (truth.lines, truth.skipped, truth.duplicates) == (400, skipped, duplicates)
    assert all(1_795_651_200_000 <= e["timestamp"] < 1_795_737_600_000 for e in events)
    assert {m for _, m in truth.sums} <= set(MODELS)


def test_catalog_prices_are_the_catalog_strings():
    prices = catalog_prices()
    assert prices["us.anthropic.claude-3-5-haiku-20241022-v1:0"]["input"] == Decimal("0.0008")
    assert prices["anthropic.claude-3-haiku-20240307-v1:0"]["output"] == Decimal("0.00125")


def test_aggregation_smoke_totals_are_exact():
    record = aggregation.run(
        lines=3_000,
        memory_sizes=(500, 1_500),
        pandas_sizes=(200, 400),
        litellm_sizes=(200, 400),
        require_baselines=False,
    )
    well_formed(record, "aggregation")
    check = record["ours"]["throughput"]["check"]
    assert check["correct"], check["problems"]
    assert check["invocations"] == check["expected_invocations"] > 2_900
    # the like-for-like row: the same lines unsigned, read as a pre-signing day, give the same totals
    unsigned = record["ours"]["throughput_unsigned"]["check"]
    assert unsigned["correct"], unsigned["problems"]
    assert unsigned["invocations"] == check["invocations"]
    assert unsigned["total_cost_usd"] == check["total_cost_usd"]
    assert [m["lines"] for m in record["ours"]["memory"]] == [500, 1_500]
    assert record["ours"]["memory"][1]["request_ids"] > record["ours"]["memory"][0]["request_ids"]
    if HAS_PANDAS:
        assert all(
            s["invocations_ok"] and s["cost_ok_to_1e-6"] for s in record["baseline"]["pandas"]["samples"]
        )
        assert record["baseline"]["pandas"]["extrapolated"] is True
    else:
        assert "skipped" in record["baseline"]["pandas"]
    if not HAS_LITELLM:
        assert "skipped" in record["baseline"]["litellm"]


def test_handler_overhead_smoke_answers_every_request():
    record = handler_overhead.run(
        rounds=1, ours_requests=20, baseline_requests=2, litellm_requests=5, warmup=2, require_baselines=False
    )
    well_formed(record, "handler_overhead")
    assert record["ours"]["n"] == record["ours"]["ok"] == 20
    base = record["baseline"]["per_request_client"]
    assert base["n"] == base["ok"] == 2
    assert record["ours"]["p50_ms"] > 0 and record["ratio"]["p50"] > 0


def test_cold_import_smoke_times_every_handler():
    record = cold_import.run(repeats=1, require_baselines=False, profile=False)
    well_formed(record, "cold_import")
    assert set(record["ours"]) == {
        "invoke_model",
        "cost_tracking",
        "cost_tracking_manual",
        "ddb_cost_retrieval",
        "tenant_plan",
        "tenant_status",
        "focus_export",
        "statements",
        "archive_verify",
        "tenants",
    }
    assert all(v["median_ms"] > 0 for v in record["ours"].values())
    # the boto3 + Logger floor needs no extra package, so it always runs
    assert record["baseline"]["ddb_cost_retrieval"]["median_ms"] > 0


def test_package_size_smoke_reads_the_zips(tmp_path):
    from scripts import build as builder

    for key in builder.FUNCTIONS:
        builder.build_function(key, harness.FUNCTIONS, tmp_path)
    package = harness.FUNCTIONS / "token_profiler"
    entries = [
        (f"python/token_profiler/{p.relative_to(package).as_posix()}", p) for p in builder._files(package)
    ]
    builder.write_zip(tmp_path / "layer.zip", entries)  # the domain package only: no pip in a unit test
    record = package_size.run(do_build=False, dist=tmp_path, require_baselines=False)
    well_formed(record, "package_size")
    for key in builder.FUNCTIONS:
        assert record["ours"][key]["zip_bytes"] == (tmp_path / f"{key}.zip").stat().st_size
    assert record["ours"]["layer"]["files"] == len(entries)


class FakeResponse:
    def __init__(self, status: int, payload):
        self.status_code = status
        self._payload = payload
        self.text = json.dumps(payload, default=str)

    def json(self):
        return self._payload


class FakeApi:
    """Stands in for the local stack: invoke reports usage, aggregation sums what was logged."""

    def __init__(self, lose_one: bool = False):
        self.logged: list[tuple[str, str, int, int]] = []
        self.lose_one = lose_one
        self.rows: list[dict] = []

    def new_tenant(self, tenant_id: str) -> str:
        return f"token:{tenant_id}"

    def admin_token(self) -> str:
        return "token:admin"

    def post(self, route, token, body, params=None, session=None):
        tenant = token.split(":", 1)[1]
        if route == "invoke_model":
            i, o = len(body["inputs"]), 7
            self.logged.append((tenant, params["model_id"], i, o))
            return FakeResponse(
                200, [{"generated_text": "x", "usage": {"input_tokens": i, "output_tokens": o}}]
            )
        if route == "cost_track_manual":
            sums = defaultdict(lambda: [0, 0, 0])
            for t, m, i, o in self.logged[1:] if self.lose_one else self.logged:
                sums[(t, m)][0] += i
                sums[(t, m)][1] += o
                sums[(t, m)][2] += 1
            day = harness.now_utc()[:10]
            self.rows = []
            for (t, m), (i, o, n) in sums.items():
                row = {
                    "name": t,
                    "model_id": m,
                    "date": day,
                    "input_tokens": i,
                    "output_tokens": o,
                    "cache_read_input_tokens": 0,
                    "cache_write_input_tokens": 0,
                    "invocations": n,
                }
                row["total_cost"] = str(end_to_end.expected_cost(m, row))
                self.rows.append(row)
            return FakeResponse(200, {"body": "Calculation Finished!"})
        if route == "ddb_cost_retrieval":
            return FakeResponse(200, {"body": self.rows})
        return FakeResponse(404, {"message": "no route"})


def test_end_to_end_drive_checks_totals_against_reported_usage(monkeypatch):
    monkeypatch.setattr(end_to_end.time, "sleep", lambda _s: None)
    result = end_to_end.drive({}, clients=3, invocations=4, api=FakeApi(), session_factory=object, warmup=1)
    assert result["requests"] == 12 and result["failures"] == 0  # timed calls
    assert result["reported_invocations"] == 15  # and one warm-up call per client
    assert result["totals_match"], result["problems"]
    lossy = end_to_end.drive({}, clients=2, invocations=3, api=FakeApi(lose_one=True), session_factory=object)
    assert not lossy["totals_match"] and lossy["problems"]


def test_end_to_end_without_a_stack_is_recorded_as_not_run(tmp_path):
    record = end_to_end.run(outputs_path=tmp_path / "missing.json")
    assert record["status"] == "not_run" and "missing.json" in record["reason"]


def test_results_file_table_and_note_render(tmp_path):
    records = {name: harness.not_run(name, "smoke") for name in harness.METRICS}
    records["aggregation"] = harness.metric(
        "aggregation",
        table=[{"figure": "lines/s", "ours": 300_000, "baseline": 10_000, "ratio": 30.0}],
        targets=[harness.target("lines/s >= 200,000", 300_000, 200_000, at_most=False)],
    )
    document = harness.write_results(records, tmp_path / "results.json")
    assert json.loads((tmp_path / "results.json").read_text())["metrics"].keys() == set(harness.METRICS)
    table = harness.text_table(document)
    assert "300,000" in table and "[MET ] aggregation" in table
    note = render_markdown(document)
    assert "| aggregation | lines/s | 300,000 | 10,000 | 30.0 |" in note
    assert "Not run: smoke" in note


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert harness.percentile(values, 50) == 50
    assert harness.percentile(values, 95) == 95
    assert harness.percentile([3.0], 95) == 3.0


def test_ledger_scale_smoke_both_paths_match_the_generated_ledger():
    from bench import ledger_scale
    from bench.__main__ import render_capacity

    record = ledger_scale.run(lines=3000)
    well_formed(record, "ledger_scale")
    assert {t["target"]: t["met"] for t in record["targets"]} == {
        "lines in the day >= 2,000,000": False,
        "duckdb totals equal the generated ledger": True,
        "msgspec totals equal the generated ledger": True,
    }
    assert record["ours"]["duckdb"]["lines_read"] == record["ours"]["msgspec"]["lines_read"] == 3000
    # the capacity model follows from the measured sizes: 100x the calls, 100x the ingestion cost
    costs = record["capacity"]["cost_per_day_usd"]
    assert costs[2]["cloudwatch_ingestion"] == pytest.approx(costs[0]["cloudwatch_ingestion"] * 100, rel=1e-3)
    line = record["sizes"]["bytes_per_line"]
    assert costs[0]["cloudwatch_ingestion"] == pytest.approx(1e6 * (line + 26) / 1e9 * 0.50, rel=1e-3)
    assert any("Capacity of the usage ledger" in line for line in render_capacity(record))
    # the processor's memory and time limit come from terraform/main.tf's functions map (read here
    # with an HCL parser, there with a search), and its cost follows from them and its measured CPU
    import hcl2

    from bench.ledger_scale import PRICE

    model = record["capacity"]
    parsed = hcl2.load((harness.ROOT / "terraform" / "main.tf").open())
    verify = next(loc["ingest_functions"] for loc in parsed["locals"] if "ingest_functions" in loc)
    verify = verify["archive_verify"]
    assert (model["processor"]["memory_mb"], model["processor"]["timeout_s"]) == (
        verify["memory_size"],
        verify["timeout"],
    )
    assert model["processor"]["verified"] > 0 and model["processor"]["cpu_us_per_line"] > 0
    for row in costs:
        lam = row["processor_gb_s"] * PRICE["lambda_gb_s"] + row["processor_invocations"] / 1e6 * 0.20
        assert row["processor_lambda"] == pytest.approx(lam, rel=1e-3, abs=1e-4)
        parts = ("cloudwatch_ingestion", "firehose", "processor_lambda", "s3", "athena")
        assert row["metering"] == pytest.approx(sum(row[k] for k in parts), abs=1e-3)
        assert row["metering_share_of_bedrock"] == pytest.approx(row["metering"] / row["bedrock"], rel=1e-3)
    # the line size is the signed line's: the signature object is in every generated line
    assert line > 800
