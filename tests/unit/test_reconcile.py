"""Counters against the ledger (token_profiler.reconcile): the ledger's month-to-date total read
from the usage table, and each tenant's drift, on stand-ins for the plan store and the table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from token_profiler import reconcile
from token_profiler.plans import Period, Spend

pytestmark = pytest.mark.unit

MARCH = Period(
    key="2026-03",
    start=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    end=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
)


class FakeTable:
    """query_tenant as UsageTable answers it: the rows of one tenant between two days, inclusive."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows
        self.queries: list[tuple] = []

    def query_tenant(self, tenant, start=None, end=None, model_id=None):
        self.queries.append((tenant, start, end))
        return iter(
            row
            for row in self.rows.get(tenant, [])
            if (start is None or row["date"] >= start) and (end is None or row["date"] <= end)
        )


class FakeStore:
    def __init__(self, spend: dict[str, Spend]):
        self.spends = spend
        self.asked: list[tuple] = []

    def period(self):
        return MARCH

    def tenants(self, period):
        self.asked.append(("tenants", period.key))
        return sorted(self.spends)

    def spend(self, tenant, period):
        self.asked.append(("spend", tenant, period.key))
        return self.spends[tenant]


def test_the_ledger_total_adds_every_row_of_the_tenant_between_the_days():
    table = FakeTable(
        {
            "t1": [
                {"date": "2026-02-28", "total_cost": Decimal("100")},  # before the range
                {"date": "2026-03-01", "total_cost": Decimal("0.000123")},
                {"date": "2026-03-02", "total_cost": "1.5"},
                {"date": "2026-03-02"},  # an unpriced row: no cost
                {"date": "2026-03-03", "total_cost": Decimal("7")},  # after the range
            ],
            "t2": [{"date": "2026-03-01", "total_cost": Decimal("50")}],
        }
    )
    total = reconcile.ledger_total(table, "t1", dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert total == Decimal("1.500123")
    assert table.queries == [("t1", "2026-03-01", "2026-03-02")]


def test_the_ledger_total_keeps_more_than_28_digits():
    # 1 + 10^-35 needs 36 significant digits: Python's default 28-digit context would drop the tail
    table = FakeTable(
        {
            "t": [
                {"date": "2026-03-01", "total_cost": Decimal("1")},
                {"date": "2026-03-02", "total_cost": Decimal("1E-35")},
            ]
        }
    )
    total = reconcile.ledger_total(table, "t", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert total - Decimal(1) == Decimal("1E-35")


def test_the_ledger_total_of_no_rows_is_zero():
    assert reconcile.ledger_total(FakeTable({}), "t", dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == 0
