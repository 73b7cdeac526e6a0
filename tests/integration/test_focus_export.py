"""The FOCUS export function on moto: daily rows in the table, one gzip JSON Lines object per
billing period in the reports bucket, under the partition Athena projects."""

from __future__ import annotations

import datetime as dt
import gzip
from decimal import Decimal

import pytest
from token_profiler import clients, focus, focus_check
from token_profiler.aggregate import DayAggregate, build_rows
from token_profiler.prices import Catalog
from token_profiler.storage import UsageTable, from_item

from tests.support.lambda_env import LambdaContext, load_handler

pytestmark = pytest.mark.integration

MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"
CATALOG = Catalog(
    {
        "models": {
            MODEL: {
                "prices": {
                    "us-east-1": {
                        "from": "2025-05-22",
                        "input": "0.003",
                        "output": "0.015",
                        "cache_read": "0.0003",
                        "cache_write": "0.00375",
                        "cache_write_1h": "0.006",
                    }
                }
            }
        }
    }
)


def _rows(day: str, n: int) -> list[dict]:
    agg = DayAggregate(day)
    agg.sums = {
        ("acme", MODEL, "us-east-1", "standard"): [1000 + n, 200 + n, 300, 400, 3, 100],
        ("globex", MODEL, "us-east-1", "standard"): [7 * n + 1, 13, 0, 0, 1, 0],
    }
    return build_rows(agg, CATALOG, retention_days=0)[0]


@pytest.fixture
def exporter(stack, monkeypatch):
    monkeypatch.setenv("FOCUS_PROVIDER_NAME", "Example SaaS")
    clients.clear_caches()
    table = UsageTable(stack.ddb, stack.table_name)
    for n, day in enumerate(("2026-10-31", "2026-11-01", "2026-11-15", "2026-11-30", "2026-12-01")):
        table.put_rows(_rows(day, n))
    module, _logs = load_handler("focus_export")
    return module


def _read(stack, key: str) -> str:
    body = stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    return gzip.decompress(body).decode("utf-8")


def test_a_month_is_written_readable_and_conforming(stack, exporter):
    answer = exporter.lambda_handler({"month": "2026-11"}, LambdaContext())
    (written,) = answer["written"]
    assert written["key"] == "focus/billing_period=2026-11/focus-2026-11.jsonl.gz"
    text = _read(stack, written["key"])
    assert focus_check.check_jsonl(text) == []
    assert written["rule_problems"] == 0 and written["unpriced_rows"] == 0
    assert stack.s3.head_object(Bucket=stack.bucket, Key=written["key"])["ContentType"] == "application/gzip"
    rows = list(focus.parse_jsonl(text))
    assert {r["ChargePeriodStart"][:10] for r in rows} == {"2026-11-01", "2026-11-15", "2026-11-30"}
    assert {r["BillingPeriodStart"] for r in rows} == {"2026-11-01T00:00:00Z"}
    # the month's BilledCost is the table's November costs, to the last digit
    items = [from_item(i) for i in stack.items()]
    november = sum((i["total_cost"] for i in items if i["date"].startswith("2026-11")), Decimal(0))
    assert sum((r["BilledCost"] for r in rows), Decimal(0)) == november == Decimal(written["billed_cost"])
    assert {r["ProviderName"] for r in rows} == {"Example SaaS"}
    assert {r["SubAccountId"] for r in rows} == {"acme", "globex"}


def test_the_schedule_rewrites_the_previous_month_early_in_a_month(stack, exporter, monkeypatch):
    monkeypatch.setattr(exporter.dates, "today", lambda: dt.date(2026, 12, 2))
    answer = exporter.lambda_handler({}, LambdaContext())
    keys = [w["key"] for w in answer["written"]]
    assert keys == [focus.export_key(dt.date(2026, 11, 1)), focus.export_key(dt.date(2026, 12, 1))]
    december = list(focus.parse_jsonl(_read(stack, keys[1])))
    assert {r["ChargePeriodStart"][:10] for r in december} == {"2026-12-01"}
    # a rerun writes the same bytes
    first = stack.s3.get_object(Bucket=stack.bucket, Key=keys[0])["Body"].read()
    exporter.lambda_handler({}, LambdaContext())
    assert stack.s3.get_object(Bucket=stack.bucket, Key=keys[0])["Body"].read() == first


def test_a_bad_month_names_the_problem(stack, exporter):
    with pytest.raises(ValueError, match="month must be YYYY-MM"):
        exporter.lambda_handler({"month": "November"}, LambdaContext())


def test_the_focus_billed_cost_equals_the_statements_totals_to_the_last_digit(stack, exporter):
    """The two billing exports agree: per tenant, the FOCUS rows' BilledCost adds up to that
    tenant's monthly statement total, and the month's sums are equal, digit for digit."""
    from token_profiler import statements

    today = dt.date(2026, 12, 5)  # November is closed: final statements
    table = UsageTable(stack.ddb, stack.table_name)
    written = statements.generate(table, stack.s3, stack.bucket, "2026-11", today)
    assert [w["status"] for w in written] == ["final", "final"]
    by_statement = {
        w["tenant"]: Decimal(
            statements.read_json(
                stack.s3, stack.bucket, statements.statement_key(w["tenant"], "2026-11", "json")
            )["total_usd"]
        )
        for w in written
    }
    answer = exporter.lambda_handler({"month": "2026-11"}, LambdaContext())
    rows = list(focus.parse_jsonl(_read(stack, answer["written"][0]["key"])))
    by_focus: dict[str, Decimal] = {}
    for row in rows:
        by_focus[row["SubAccountId"]] = by_focus.get(row["SubAccountId"], Decimal(0)) + row["BilledCost"]
    assert by_focus == by_statement
    # and both are the table's November rows, summed here independently
    items = [from_item(i) for i in stack.items()]
    november = sum((i["total_cost"] for i in items if i["date"].startswith("2026-11")), Decimal(0))
    assert sum(by_statement.values(), Decimal(0)) == sum(by_focus.values(), Decimal(0)) == november
    assert november > 0


def test_sub_account_names_come_from_the_tenant_registry(stack, monkeypatch):
    """SubAccountName is the registered display name; a tenant without a registry item (its users
    predate the registry) keeps its id, and SubAccountId is the id either way."""
    import uuid

    from token_profiler.tenants import Registry

    from tests.integration.test_tenants import create_tenants_table

    name = f"tenants-{uuid.uuid4().hex[:10]}"
    create_tenants_table(stack.ddb, name)
    Registry(stack.ddb, name).create("acme", "ACME Corporation")
    monkeypatch.setenv("TENANTS_TABLE", name)
    monkeypatch.setenv("FOCUS_PROVIDER_NAME", "Example SaaS")
    clients.clear_caches()
    UsageTable(stack.ddb, stack.table_name).put_rows(_rows("2026-11-15", 2))
    module, _logs = load_handler("focus_export")
    (written,) = module.lambda_handler({"month": "2026-11"}, LambdaContext())["written"]
    rows = list(focus.parse_jsonl(_read(stack, written["key"])))
    names = {(r["SubAccountId"], r["SubAccountName"]) for r in rows}
    assert names == {("acme", "ACME Corporation"), ("globex", "globex")}
    assert written["rule_problems"] == 0
