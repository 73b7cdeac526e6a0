"""Counters against the ledger: each tenant's settled spend compared with the usage table, over the
same UTC days.

The ledger (usage lines, aggregated into the usage table) is the source of truth for billing; the
plan counters serve enforcement. The ledger's rows are UTC days, while a period is the calendar
month in PLAN_TIME_ZONE: in New York November 2026 starts on 1 November at 04:00 UTC (EDT), in Tokyo
(UTC+9) on 31 October at 15:00 UTC. Comparing the period's total with the ledger's days of the
month would be off by those hours at each end. So the counters also keep the settled spend per UTC
day (``plans.DAY_PREFIX``, written by the same update as ``settled``), and the comparison runs over
whole UTC days on both sides: the window is

    [first UTC day touched by the period, 00:00 UTC;  the day after ``through``, 00:00 UTC)

When the period does not start at a UTC midnight, its first UTC day is shared with the previous
period, and that day's counters are the sum of both periods' items. Calls after ``through`` are
outside the window on both sides (``counter_outside_window`` shows them). A day aggregated before
it ended still misses the later calls in the ledger: positive drift on that day. A negative drift
means the counters missed spend (a failed settle, a fail-open call); ``PlanStore.correct`` takes the
reported ``drift_by_day`` out of the counters (docs/plans.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from token_profiler import money
from token_profiler.plans import Period, PlanStore, iso, period_at
from token_profiler.storage import UsageTable


def ledger_total(table: UsageTable, tenant: str, start: dt.date, end: dt.date) -> Decimal:
    """The tenant's total cost in the usage table from ``start`` to ``end`` (UTC days, inclusive)."""
    return money.add(money.ZERO, *ledger_by_day(table, tenant, start, end).values())


def ledger_by_day(table: UsageTable, tenant: str, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """The tenant's cost per UTC day in the usage table, ``start`` to ``end`` inclusive."""
    totals: dict[str, Decimal] = defaultdict(lambda: money.ZERO)
    for row in table.query_tenant(tenant, start.isoformat(), end.isoformat()):
        day = str(row.get("date") or row["sk"][:10])  # sk is "YYYY-MM-DD#model"
        totals[day] = money.add(totals[day], Decimal(str(row.get("total_cost", 0))))
    return dict(totals)


def window_days(period: Period, through: dt.date) -> list[dt.date]:
    """The UTC days compared: from the first UTC day the period touches through ``through``."""
    first = period.start.astimezone(dt.UTC).date()
    return [first + dt.timedelta(days=n) for n in range((through - first).days + 1)]


def shares_first_day(period: Period) -> bool:
    """True when the period starts inside a UTC day (a zone not at UTC+0 on the 1st)."""
    start = period.start.astimezone(dt.UTC)
    return (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0)


def drift(store: PlanStore, table: UsageTable, through: dt.date) -> list[dict[str, Any]]:
    """One entry per tenant with a plan or counters in the current period."""
    period = store.period()
    days = window_days(period, through)
    previous = period_at(period.start - dt.timedelta(microseconds=1), store.zone)
    shared = days[0].isoformat() if days and shares_first_day(period) else None
    keys = [day.isoformat() for day in days]
    report = []
    for tenant in store.tenants(period):
        counters = store.spend(tenant, period)
        by_day = {day: counters.by_utc_day.get(day, money.ZERO) for day in keys}
        if shared is not None:  # that day's calls before the period's start settled in the previous one
            earlier = store.spend(tenant, previous).by_utc_day.get(shared, money.ZERO)
            by_day[shared] = money.add(by_day[shared], earlier)
        ledger = ledger_by_day(table, tenant, days[0], days[-1]) if days else {}
        counter_window = money.add(money.ZERO, *by_day.values())
        ledger_window = money.add(money.ZERO, *ledger.values())  # = ledger_total over the window
        in_window_here = money.add(money.ZERO, *(counters.by_utc_day.get(day, money.ZERO) for day in keys))
        report.append(
            {
                "tenant": tenant,
                "period": period.key,
                "period_start": iso(period.start),
                "period_end": iso(period.end),
                "counter_settled": money.money_str(counters.settled),
                "window_start": iso(_midnight(days[0])) if days else None,
                "window_end": iso(_midnight(days[-1] + dt.timedelta(days=1))) if days else None,
                "ledger_through": through.isoformat(),
                "counter_window": money.money_str(counter_window),
                "ledger_window": money.money_str(ledger_window),
                "counter_outside_window": money.money_str(_minus(counters.settled, in_window_here)),
                "drift": money.money_str(_minus(counter_window, ledger_window)),
                "drift_by_day": {
                    day: money.money_str(_minus(by_day[day], ledger.get(day, money.ZERO)))
                    for day in keys
                    if by_day[day] != ledger.get(day, money.ZERO)
                },
            }
        )
    return report


def _minus(a: Decimal, b: Decimal) -> Decimal:
    return money.add(a, -b)  # money's 38-digit context: counters carry 18 decimals


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)
