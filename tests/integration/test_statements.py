"""Monthly statements on moto: usage lines of several tenants over the last days of last month (and
the first of this one) → the real aggregator → POST /statement_generate → the tenants list and
download their own statements through presigned URLs, and nobody else's.

Expected totals are summed here, with Fractions, from the lines this test wrote and per-1K prices
written down by hand; nothing is read back from the code under test to build them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from fractions import Fraction

import pytest
import requests
from token_profiler.aggregate import aggregate_lines
from token_profiler.prices import load_catalog
from token_profiler.storage import UsageTable

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, rest_event
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.integration

# per 1,000 tokens in us-east-1: input, output, cache read, cache write (by hand, docs/bedrock prices)
PRICES = {
    "anthropic.claude-3-sonnet-20240229-v1:0": ("0.003", "0.015", "0", "0"),
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": ("0.0008", "0.004", "0.00008", "0.001"),
    "amazon.nova-micro-v1:0": ("0.000035", "0.00014", "0", "0"),
}
TENANTS = ("acme", "globex", "initech")


def day_start_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)


def span(day: dt.date) -> int:
    """Milliseconds of the day a line may fall in: today's stop a minute ago (no future events)."""
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    return max(1, min(86_400_000, now_ms - day_start_ms(day) - 60_000))


def make_lines(days: list[dt.date], per_day: int, seed: int):
    """Signed usage lines spread over each day, and each (tenant, month) -> exact expected cost."""
    rng = random.Random(seed)
    events, expected, tokens = [], {}, {}
    for day in days:
        for n in range(per_day):
            tenant = rng.choice(TENANTS[:2]) if n % 5 else TENANTS[2]
            model = rng.choice(list(PRICES))
            counts = [rng.randrange(0, 5000), rng.randrange(0, 3000), 0, 0]
            if model.startswith("us.anthropic"):
                counts[2], counts[3] = rng.randrange(0, 700), rng.randrange(0, 700)
            line = usage_line(
                keyring=TEST_KEYRING,
                day=day.isoformat(),
                tenant=tenant,
                request_id=f"st-{seed}-{day}-{n}",
                model_id=model,
                input_tokens=counts[0],
                output_tokens=counts[1],
                cache_read=counts[2],
                cache_write=counts[3],
            )
            events.append((day_start_ms(day) + rng.randrange(0, span(day)), line))
            key = (tenant, day.strftime("%Y-%m"))
            cost = sum(
                (Fraction(c) * Fraction(p) / 1000 for c, p in zip(counts, PRICES[model], strict=True)),
                Fraction(0),
            )
            expected[key] = expected.get(key, Fraction(0)) + cost
            tokens[key] = tokens.get(key, 0) + counts[0]
    return events, expected, tokens


@pytest.fixture
def month(stack, monkeypatch):
    """Usage of last month's last three days and of the last three days up to today.

    CloudWatch Logs refuses events older than 14 days, so last month's lines go through the
    aggregator's own code (aggregate_lines, the catalog's prices) straight into the usage table;
    the recent days go the whole way: lines in the log group, then the scheduled aggregator.
    """
    today = dt.datetime.now(dt.UTC).date()
    first = today.replace(day=1)
    old_days = [first - dt.timedelta(days=n) for n in (3, 2, 1)]
    recent_days = [today - dt.timedelta(days=n) for n in (2, 1, 0)]
    recent_days = [d for d in recent_days if d not in old_days]
    old_lines, expected, tokens = make_lines(old_days, 60, seed=5)
    recent_lines, recent_expected, recent_tokens = make_lines(recent_days, 60, seed=6)
    for key, value in recent_expected.items():
        expected[key] = expected.get(key, Fraction(0)) + value
        tokens[key] = tokens.get(key, 0) + recent_tokens[key]
    table = UsageTable(stack.ddb, stack.table_name)
    for day in old_days:
        iso = day.isoformat()
        lines = [line for ts, line in old_lines if dt.datetime.fromtimestamp(ts / 1000, dt.UTC).date() == day]
        _, rows, _ = aggregate_lines(iso, lines, load_catalog(), keys=TEST_KEYRING.keys)
        table.put_rows(rows)
    stack.put_lines(recent_lines)
    aggregator, _ = load_handler("cost_tracking")
    answer = aggregator.lambda_handler(
        {"start_date": recent_days[0].isoformat(), "end_date": recent_days[-1].isoformat()}, LambdaContext()
    )
    assert answer["summary"]["lines_counted"] == len(recent_lines)
    handler, _ = load_handler("statements")
    last_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    return handler, last_month, expected, tokens


def call(handler, path, body, tenant, admin=False):
    claims = claims_for(tenant, username=f"{tenant}-user", groups="admin" if admin else None)
    response = handler.lambda_handler(rest_event(path, body=body, claims=claims), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_statements_total_the_month_and_each_tenant_sees_only_its_own(stack, month):
    handler, last_month, expected, tokens = month

    # a tenant may not generate; an admin generates last month for every tenant with rows
    assert call(handler, "/statement_generate", {"month": last_month}, "acme")[0] == 403
    status, answer = call(handler, "/statement_generate", {"month": last_month}, "ops", admin=True)
    assert status == 200
    written = {s["tenant"]: s for s in answer["statements"]}
    assert set(written) == set(TENANTS)
    for tenant in TENANTS:
        assert Fraction(written[tenant]["total_usd"]) == expected[(tenant, last_month)], tenant
        assert written[tenant]["status"] == "final"

    # a tenant lists its own only, and is refused another's
    status, listed = call(handler, "/statements", {}, "acme")
    assert status == 200
    assert [(s["tenant"], s["month"]) for s in listed["statements"]] == [("acme", last_month)]
    assert call(handler, "/statements", {"tenant": "globex"}, "acme")[0] == 403
    status, body = call(
        handler, "/statement_download", {"month": last_month, "format": "csv", "tenant": "globex"}, "acme"
    )
    assert status == 403 and "own" in body["message"]

    # and downloads it through the presigned URL: the CSV's total is the independent sum
    status, link = call(handler, "/statement_download", {"month": last_month, "format": "csv"}, "acme")
    assert status == 200 and link["expires_in"] == 300
    got = requests.get(link["url"], timeout=10)
    assert got.status_code == 200
    records = list(csv.DictReader(io.StringIO(got.text)))
    (total,) = [r for r in records if r["record"] == "total"]
    assert Fraction(total["total_cost"]) == expected[("acme", last_month)]
    assert int(total["input_tokens"]) == tokens[("acme", last_month)]
    assert {r["tenant"] for r in records} == {"acme"}
    lines = [r for r in records if r["record"] == "line"]
    assert {r["model_id"] for r in lines} <= set(PRICES)
    for line in lines:  # the prices shown are the ones the rows were billed at
        assert (line["price_input"], line["price_output"]) == PRICES[line["model_id"]][:2]

    # the JSON says the same; an admin downloads any tenant's
    status, link = call(
        handler,
        "/statement_download",
        {"month": last_month, "format": "json", "tenant": "globex"},
        "ops",
        admin=True,
    )
    data = requests.get(link["url"], timeout=10).json()
    assert data["tenant"] == "globex" and Fraction(data["total_usd"]) == expected[("globex", last_month)]
    status, every = call(handler, "/statements", {"month": last_month}, "ops", admin=True)
    assert {s["tenant"] for s in every["statements"]} == set(TENANTS)

    # a month without a statement answers 404 naming it
    earlier = f"{int(last_month[:4]) - 1}{last_month[4:]}"
    status, body = call(handler, "/statement_download", {"month": earlier, "format": "csv"}, "acme")
    assert status == 404 and earlier in body["message"]


def test_the_scheduled_run_writes_the_same_bytes_as_on_demand(stack, month):
    handler, last_month, expected, _ = month
    key = f"statements/initech/{last_month}/statement.json"
    call(handler, "/statement_generate", {"month": last_month, "tenant": "initech"}, "ops", admin=True)
    before = stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    answer = handler.lambda_handler({}, LambdaContext())  # what the schedule sends: last month
    assert answer["month"] == last_month
    assert {s["tenant"] for s in answer["statements"]} == set(TENANTS)
    assert stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == before
    assert Fraction(json.loads(before)["total_usd"]) == expected[("initech", last_month)]


def test_this_month_is_provisional(stack, month):
    handler, _, expected, _ = month
    this_month = dt.datetime.now(dt.UTC).date().strftime("%Y-%m")
    status, answer = call(handler, "/statement_generate", {"month": this_month}, "ops", admin=True)
    assert status == 200
    assert {s["status"] for s in answer["statements"]} == {"provisional"}
    for item in answer["statements"]:
        assert Fraction(item["total_usd"]) == expected[(item["tenant"], this_month)]


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/statement_download", {"month": "2026-13", "format": "csv"}, "YYYY-MM"),
        ("/statement_download", {"month": "2999-01", "format": "csv"}, "future"),
        ("/statement_download", {"month": "2026-01", "format": "xlsx"}, "format must be"),
        ("/statements", {"month": "01-2026"}, "YYYY-MM"),
        ("/statements", {"tenants": "x"}, "unknown field"),
    ],
)
def test_bad_input_gets_400_naming_the_problem(stack, path, body, fragment):
    handler, _ = load_handler("statements")
    status, answer = call(handler, path, body, "acme")
    assert status == 400 and fragment in answer["message"]
