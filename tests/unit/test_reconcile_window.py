"""The reconciliation's window (token_profiler.reconcile): counters and ledger over the same UTC
days whatever PLAN_TIME_ZONE is, on stand-ins for the plan store and the usage table; and the
counters' per-UTC-day spend that PlanStore writes and corrects, on a recording DynamoDB client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from token_profiler import plans, reconcile
from token_profiler.plans import Period, PlanStore, Spend, period_at

from tests.support.timezones import local_time_zone

pytestmark = pytest.mark.unit

D = Decimal
NOVEMBER_UTC = period_at(dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.UTC)


class FakeTable:
    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows
        self.queries: list[tuple] = []

    def query_tenant(self, tenant, start=None, end=None, model_id=None):
        self.queries.append((tenant, start, end))
        return iter(r for r in self.rows.get(tenant, []) if start <= r["sk"][:10] <= end)


class FakeStore:
    """tenants/spend per period key, as PlanStore answers them."""

    def __init__(self, zone, now: dt.datetime, spends: dict[tuple[str, str], Spend]):
        self.zone = zone
        self.now = now
        self.spends = spends
        self.asked: list[tuple[str, str]] = []

    def period(self) -> Period:
        return period_at(self.now, self.zone)

    def tenants(self, period):
        return sorted({t for t, key in self.spends if key == period.key})

    def spend(self, tenant, period):
        self.asked.append((tenant, period.key))
        return self.spends.get((tenant, period.key), Spend(settled=D(0), committed=D(0)))


def spend(by_day: dict[str, str], in_flight: str = "0") -> Spend:
    days = {day: D(v) for day, v in by_day.items()}
    settled = sum(days.values(), D(0))
    return Spend(settled=settled, committed=settled + D(in_flight), by_utc_day=days)


def row(day: str, cost: str | None, model: str = "m") -> dict:
    found = {"pk": "t", "sk": f"{day}#{model}", "date": day}
    if cost is not None:
        found["total_cost"] = D(cost)
    return found


def test_the_window_runs_from_the_first_utc_day_the_period_touches():
    tokyo = period_at(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), ZoneInfo("Asia/Tokyo"))
    new_york = period_at(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), ZoneInfo("America/New_York"))
    through = dt.date(2026, 11, 3)
    assert reconcile.window_days(tokyo, through)[0] == dt.date(2026, 10, 31)  # starts 31 Oct 15:00 UTC
    assert reconcile.window_days(new_york, through)[0] == dt.date(2026, 11, 1)  # starts 1 Nov 04:00 UTC
    assert reconcile.window_days(NOVEMBER_UTC, through) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    ]
    assert len(reconcile.window_days(tokyo, through)) == 4
    assert reconcile.window_days(NOVEMBER_UTC, dt.date(2026, 10, 31)) == []
    assert reconcile.window_days(NOVEMBER_UTC, dt.date(2026, 11, 1)) == [dt.date(2026, 11, 1)]


@pytest.mark.parametrize(
    ("zone", "shared"),
    [("UTC", False), ("Asia/Tokyo", True), ("America/New_York", True), ("Europe/London", False)],
)
def test_a_period_shares_its_first_utc_day_unless_it_starts_at_utc_midnight(zone, shared):
    # London is at UTC+0 on 1 November (summer time ended in October)
    period = period_at(dt.datetime(2026, 11, 10, tzinfo=dt.UTC), ZoneInfo(zone))
    assert reconcile.shares_first_day(period) is shared
    one_second_in = Period("x", dt.datetime(2026, 11, 1, 0, 0, 1, tzinfo=dt.UTC), period.end)
    assert reconcile.shares_first_day(one_second_in) is True
    one_microsecond_in = Period("x", dt.datetime(2026, 11, 1, 0, 0, 0, 1, tzinfo=dt.UTC), period.end)
    assert reconcile.shares_first_day(one_microsecond_in) is True


def test_the_ledger_by_day_adds_the_rows_of_each_day_between_the_days():
    table = FakeTable(
        {
            "t": [
                row("2026-10-31", "100"),  # before
                row("2026-11-01", "0.000123"),
                row("2026-11-01", "1.5", model="n"),
                row("2026-11-02", None),  # unpriced: no cost
                {"pk": "t", "sk": "2026-11-02#o", "total_cost": D("2")},  # a row without "date"
                row("2026-11-03", "7"),  # after
            ]
        }
    )
    by_day = reconcile.ledger_by_day(table, "t", dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    assert by_day == {"2026-11-01": D("1.500123"), "2026-11-02": D("2")}
    assert table.queries == [("t", "2026-11-01", "2026-11-02")]
    assert reconcile.ledger_total(table, "t", dt.date(2026, 11, 1), dt.date(2026, 11, 2)) == D("3.500123")


def test_in_utc_the_counters_and_the_ledger_agree_over_the_days_and_later_calls_are_outside():
    now = dt.datetime(2026, 11, 4, 8, tzinfo=dt.UTC)
    store = FakeStore(
        dt.UTC,
        now,
        {
            ("a", "2026-11"): spend(
                {"2026-11-01": "1", "2026-11-02": "0.25", "2026-11-04": "9"}, in_flight="0.5"
            ),
            ("b", "2026-11"): spend({"2026-11-03": "4"}),
            ("b", "2026-10"): spend({"2026-10-31": "100"}),  # never read: no shared day in UTC
        },
    )
    table = FakeTable(
        {
            "a": [row("2026-11-01", "1"), row("2026-11-02", "0.25"), row("2026-10-31", "5")],
            "b": [row("2026-11-03", "4.000001")],
        }
    )
    report = reconcile.drift(store, table, dt.date(2026, 11, 3))
    assert [e["tenant"] for e in report] == ["a", "b"]
    a, b = report
    assert a == {
        "tenant": "a",
        "period": "2026-11",
        "period_start": "2026-11-01T00:00:00+00:00",
        "period_end": "2026-12-01T00:00:00+00:00",
        "counter_settled": "10.25",
        "window_start": "2026-11-01T00:00:00+00:00",
        "window_end": "2026-11-04T00:00:00+00:00",
        "ledger_through": "2026-11-03",
        "counter_window": "1.25",
        "ledger_window": "1.25",
        "counter_outside_window": "9",
        "drift": "0",
        "drift_by_day": {},
    }
    assert (b["counter_window"], b["ledger_window"], b["drift"]) == ("4", "4.000001", "-0.000001")
    assert b["drift_by_day"] == {"2026-11-03": "-0.000001"}
    assert ("b", "2026-10") not in store.asked


@pytest.mark.parametrize("machine_zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_a_shared_first_day_adds_the_previous_periods_part_of_it(machine_zone):
    # Tokyo: November starts on 31 October at 15:00 UTC. The UTC day 31 October holds calls of
    # October (before 15:00) and of November (after); the ledger's row of that day holds both.
    tokyo = ZoneInfo("Asia/Tokyo")
    store = FakeStore(
        tokyo,
        dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC),
        {
            ("t", "2026-11"): spend({"2026-10-31": "0.3", "2026-11-01": "2", "2026-11-02": "1"}),
            ("t", "2026-10"): spend({"2026-10-30": "50", "2026-10-31": "0.7"}),
        },
    )
    table = FakeTable({"t": [row("2026-10-30", "50"), row("2026-10-31", "1"), row("2026-11-01", "2.5")]})
    with local_time_zone(machine_zone):
        (entry,) = reconcile.drift(store, table, dt.date(2026, 11, 1))
    assert entry["period_start"] == "2026-11-01T00:00:00+09:00"
    assert entry["window_start"] == "2026-10-31T00:00:00+00:00"
    assert entry["window_end"] == "2026-11-02T00:00:00+00:00"
    assert table.queries == [("t", "2026-10-31", "2026-11-01")]
    assert entry["counter_settled"] == "3.3"  # November's calls only
    # 31 Oct: 0.7 (October's part) + 0.3 (November's) = the ledger's 1; 1 Nov: 2 against 2.5
    assert entry["counter_window"] == "3"
    assert entry["ledger_window"] == "3.5"
    assert entry["drift"] == "-0.5"
    assert entry["drift_by_day"] == {"2026-11-01": "-0.5"}
    assert entry["counter_outside_window"] == "1"  # 2 Nov, after `through`


def test_before_the_period_has_a_compared_day_nothing_is_read():
    store = FakeStore(
        dt.UTC, dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC), {("t", "2026-11"): spend({"2026-11-01": "2"})}
    )
    table = FakeTable({"t": [row("2026-10-31", "8")]})
    (entry,) = reconcile.drift(store, table, dt.date(2026, 10, 31))
    assert table.queries == []
    assert (entry["window_start"], entry["window_end"]) == (None, None)
    assert (entry["counter_window"], entry["ledger_window"], entry["drift"]) == ("0", "0", "0")
    assert entry["counter_outside_window"] == "2"


def test_drift_keeps_all_eighteen_decimals_of_large_amounts():
    # the difference has 30 significant digits: Python's default 28-digit context would round it
    big = "123456789012.000000000000000001"
    store = FakeStore(
        dt.UTC, dt.datetime(2026, 11, 2, tzinfo=dt.UTC), {("t", "2026-11"): spend({"2026-11-01": big})}
    )
    table = FakeTable({"t": [row("2026-11-01", "0.5")]})
    (entry,) = reconcile.drift(store, table, dt.date(2026, 11, 1))
    assert entry["drift"] == "123456789011.500000000000000001"
    assert entry["drift_by_day"] == {"2026-11-01": "123456789011.500000000000000001"}


# -- the per-day counters PlanStore writes ---------------------------------------------------------
class RecordingClient:
    def __init__(self):
        self.updates: list[dict] = []

    def update_item(self, **kwargs):
        self.updates.append(kwargs)
        return {"Attributes": {}}


def test_settle_adds_the_cost_to_the_utc_day_it_settles_on():
    client = RecordingClient()
    # 23:30 in New York on 31 October is 03:30 UTC on 1 November: the ledger's day is 1 November
    moment = dt.datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    store = PlanStore(client, "plans", zone=ZoneInfo("America/New_York"), clock=lambda: moment)
    reservation = plans.Reservation("t", period_at(moment, store.zone), cost=D("0.002"), tokens=10)
    store.settle(reservation, D("0.0015"))
    (update,) = client.updates
    assert update["ExpressionAttributeNames"] == {"#day": "settled_utc#2026-11-01"}
    assert update["Key"]["sk"] == {"S": "period#2026-10"}
    assert "#day :actual" in update["UpdateExpression"]
    assert "settled :actual" in update["UpdateExpression"]
    assert update["ExpressionAttributeValues"][":actual"] == {"N": str(15 * 10**14)}
    assert update["ExpressionAttributeValues"][":delta"] == {"N": str(-5 * 10**14)}


def test_correct_takes_each_days_drift_out_of_that_day_and_the_totals_in_one_update():
    client = RecordingClient()
    store = PlanStore(client, "plans", clock=lambda: dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    store.correct("t", NOVEMBER_UTC, {"2026-11-03": D("-0.5"), "2026-11-01": D("0.25")})
    (update,) = client.updates
    names = update["ExpressionAttributeNames"]
    values = update["ExpressionAttributeValues"]
    by_day = {
        names[n]: values[v]["N"]
        for n, v in (p.split() for p in update["UpdateExpression"][4:].split(", "))
        if n.startswith("#")
    }
    assert by_day == {"settled_utc#2026-11-01": str(-25 * 10**16), "settled_utc#2026-11-03": str(5 * 10**17)}
    assert values[":total"] == {"N": str(25 * 10**16)}  # minus the sum of the drifts (-0.25)
    assert update["UpdateExpression"].startswith("ADD committed :total, settled :total, ")
    assert update["Key"] == {"pk": {"S": "t"}, "sk": {"S": "period#2026-11"}}
    store.correct("t", NOVEMBER_UTC, {})
    assert len(client.updates) == 1  # nothing to correct: no request


def test_the_counters_read_back_their_days():
    item = {
        "settled": {"N": str(3 * 10**18)},
        "committed": {"N": str(3 * 10**18)},
        "settled_utc#2026-11-01": {"N": str(10**18)},
        "settled_utc#2026-11-02": {"N": str(2 * 10**18)},
        "calls": {"N": "2"},
    }
    found = plans._spend(item)
    assert found.by_utc_day == {"2026-11-01": D(1), "2026-11-02": D(2)}
    assert found.settled == D(3)
