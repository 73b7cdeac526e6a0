"""Counters against the ledger: each tenant's period counters compared with the usage table.

The ledger (usage lines, aggregated into the usage table) is the source of truth for billing; the
plan counters serve enforcement. After each aggregation run this reports, per tenant of the
current period, the counters' settled spend, the ledger's month-to-date total through the last
aggregated day, and their difference (``drift``). Calls made after that day are in the counters
but not yet in the ledger, so a positive drift up to that day's spend is expected; a negative
drift means the counters missed spend (a failed settle, a fail-open call) and
``PlanStore.set_settled`` can correct them (docs/plans.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from token_profiler import money
from token_profiler.plans import PlanStore
from token_profiler.storage import UsageTable


def ledger_total(table: UsageTable, tenant: str, start: dt.date, end: dt.date) -> Decimal:
    """The tenant's total cost in the usage table from ``start`` to ``end`` (UTC days, inclusive)."""
    total = money.ZERO
    for row in table.query_tenant(tenant, start.isoformat(), end.isoformat()):
        total = money.add(total, Decimal(str(row.get("total_cost", 0))))
    return total


def drift(store: PlanStore, table: UsageTable, through: dt.date) -> list[dict[str, Any]]:
    """One entry per tenant with a plan or counters in the current period."""
    period = store.period()
    start = period.start.date()
    report = []
    for tenant in store.tenants(period):
        counters = store.spend(tenant, period)
        ledger = ledger_total(table, tenant, start, through) if through >= start else money.ZERO
        report.append(
            {
                "tenant": tenant,
                "period": period.key,
                "counter_settled": money.money_str(counters.settled),
                "ledger_month_to_date": money.money_str(ledger),
                "ledger_through": through.isoformat(),
                "drift": money.money_str(counters.settled - ledger),
            }
        )
    return report
