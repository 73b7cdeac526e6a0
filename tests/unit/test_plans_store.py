"""PlanStore, Alerts, Enforcer, guarded and the two plan routes on the in-memory DynamoDB stand-in
(tests/support/memory_dynamodb.py evaluates the conditions and ADDs as DynamoDB does). Every
expected number is worked out here from the prices and limits given, not read back from the code."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError
from token_profiler import plans
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, BudgetExhausted, Forbidden, RateLimited, StoreUnavailable
from token_profiler.plans import Alerts, Enforcer, Estimate, Plan, PlanStore, guarded
from token_profiler.prices import load_catalog

from tests.support.memory_dynamodb import MemoryCounterTable

pytestmark = pytest.mark.unit

TABLE = "plans"
REGISTRY = "tenants"
NOW = dt.datetime(2026, 11, 15, 10, 20, 45, tzinfo=dt.UTC)
PERIOD_SK = "period#2026-11"
SCALE = 10**18  # counters hold money in units of 10^-18 USD


class Clock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def make_store(
    table: MemoryCounterTable | None = None, **options
) -> tuple[PlanStore, MemoryCounterTable, list]:
    table = table or MemoryCounterTable(TABLE, other_tables={REGISTRY: {}})
    sleeps: list[float] = []
    options.setdefault("clock", Clock())
    store = PlanStore(table, TABLE, sleep=sleeps.append, **options)
    return store, table, sleeps


def counters(table: MemoryCounterTable, tenant: str = "acme", sk: str = PERIOD_SK) -> dict:
    item = table.items[(tenant, sk)]
    return {name: value.get("N", value.get("NS")) for name, value in item.items() if name not in ("pk", "sk")}


def units(amount: str) -> str:
    return str(int(Decimal(amount) * SCALE))


# -- reserve, settle, release --------------------------------------------------------------------------
def test_a_hard_budget_admits_calls_while_committed_plus_the_worst_case_fits():
    store, table, _ = make_store()
    plan = Plan(monthly_budget_usd=Decimal("1.00"), hard=True)
    call = Estimate(tokens=100, cost=Decimal("0.30"))
    for _ in range(3):
        reservation = store.reserve("acme", plan, call)
    assert (reservation.tenant, reservation.period.key, reservation.cost, reservation.tokens) == (
        "acme",
        "2026-11",
        Decimal("0.30"),
        100,
    )
    period_end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()
    assert counters(table) == {"committed": units("0.90"), "ttl": str(int(period_end) + 400 * 86_400)}
    # 0.90 committed + 0.30 > 1.00: refused, and nothing changes
    with pytest.raises(BudgetExhausted) as refused:
        store.reserve("acme", plan, call)
    assert str(refused.value) == (
        "tenant acme has no room in its monthly budget of 1 USD for this call: 0 USD spent and "
        "0.9 USD in flight in period 2026-11; the budget resets at 2026-12-01T00:00:00+00:00"
    )
    assert counters(table)["committed"] == units("0.90")
    # exactly at the budget is still admitted: 0.70 + 0.30 == 1.00
    store.release(reservation)
    store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("0.40")))
    assert counters(table)["committed"] == units("1.00")


def test_a_call_costlier_than_the_whole_budget_is_refused_without_a_write():
    store, table, _ = make_store()
    plan = Plan(monthly_budget_usd=Decimal("0.10"))
    with pytest.raises(BudgetExhausted, match="budget of 0.1 USD"):
        store.reserve("acme", plan, Estimate(tokens=5, cost=Decimal("0.11")))
    assert table.calls == ["get_item"]
    assert table.items == {}


def test_a_soft_budget_or_no_budget_never_refuses():
    for plan in (Plan(monthly_budget_usd=Decimal("0.10"), hard=False), Plan()):
        store, table, _ = make_store()
        for _ in range(3):
            store.reserve("acme", plan, Estimate(tokens=5, cost=Decimal("0.25")))
        assert counters(table)["committed"] == units("0.75")
        assert table.calls == ["update_item"] * 3


def test_settle_replaces_the_reservation_by_the_actual_cost_on_the_utc_day():
    clock = Clock(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))
    tokyo = plans.time_zone("Asia/Tokyo")  # already December there: period 2026-12, UTC day the 30th
    store, table, _ = make_store(clock=clock, zone=tokyo)
    first = store.reserve("acme", Plan(), Estimate(tokens=10, cost=Decimal("0.5")))
    second = store.reserve("acme", Plan(), Estimate(tokens=10, cost=Decimal("0.5")))
    spend = store.settle(first, Decimal("0.125"))
    assert first.active is False
    assert spend.settled == Decimal("0.125")
    assert spend.committed == Decimal("0.625")  # 0.125 settled + 0.5 still reserved
    assert spend.in_flight == Decimal("0.5")
    assert spend.by_utc_day == {"2026-11-30": Decimal("0.125")}
    clock.now = dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.UTC)
    spend = store.settle(second, Decimal("0.0000000000000000001"))  # 10^-19: rounded up to one unit
    assert counters(table, sk="period#2026-12") == {
        "committed": str(125 * 10**15 + 1),
        "settled": str(125 * 10**15 + 1),
        "calls": "2",
        "settled_utc#2026-11-30": str(125 * 10**15),
        "settled_utc#2026-12-01": "1",
        "ttl": str(int(dt.datetime(2026, 12, 31, 15, tzinfo=dt.UTC).timestamp()) + 400 * 86_400),
    }
    assert spend.by_utc_day == {"2026-11-30": Decimal("0.125"), "2026-12-01": Decimal("1E-18")}


def test_release_gives_the_reservation_back_once():
    store, table, _ = make_store()
    kept = store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("0.2")))
    dropped = store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("0.3")))
    store.release(dropped)
    store.release(dropped)
    assert dropped.active is False
    assert counters(table)["committed"] == units("0.2")
    assert kept.active is True
    assert store.spend("acme", kept.period) == plans.Spend(Decimal("0"), Decimal("0.2"))
    assert store.spend("nobody", kept.period) == plans.Spend(Decimal("0"), Decimal("0"))


# -- rate limits ---------------------------------------------------------------------------------------
def test_requests_per_minute_admit_that_many_calls_in_one_utc_minute():
    clock = Clock()
    store, table, _ = make_store(clock=clock)
    plan = Plan(requests_per_minute=2)
    call = Estimate(tokens=7, cost=Decimal("0.01"))
    store.reserve("acme", plan, call)
    store.reserve("acme", plan, call)
    assert counters(table, sk="minute#2026-11-15T10:20") == {
        "requests": "2",
        "tokens": "14",
        "ttl": str(int(NOW.timestamp()) + 86_400),
    }
    with pytest.raises(RateLimited) as limited:
        store.reserve("acme", plan, call)
    assert limited.value.retry_after == 15  # 60 - 45 seconds
    assert str(limited.value) == "tenant acme reached its limit of 2 requests per minute; retry after 15 s"
    assert counters(table)["committed"] == units("0.02")  # the refused call reserved nothing
    clock.now = NOW.replace(minute=21, second=0)
    store.reserve("acme", plan, call)  # a new minute
    assert counters(table, sk="minute#2026-11-15T10:21")["requests"] == "1"
    assert table.calls.count("transact_write_items") == 4


def test_tokens_per_minute_count_the_worst_case_tokens():
    clock = Clock(NOW.replace(second=59))
    store, table, _ = make_store(clock=clock)
    plan = Plan(tokens_per_minute=100, requests_per_minute=10)
    store.reserve("acme", plan, Estimate(tokens=60, cost=Decimal("0")))
    store.reserve("acme", plan, Estimate(tokens=40, cost=Decimal("0")))  # 60 + 40 == 100: admitted
    with pytest.raises(RateLimited) as limited:
        store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("0")))
    assert limited.value.retry_after == 1
    assert "limit of 10 requests per minute and 100 tokens per minute;" in str(limited.value)
    with pytest.raises(RateLimited) as alone:
        store.reserve("acme", plan, Estimate(tokens=101, cost=Decimal("0")))
    assert str(alone.value) == (
        "this call may use up to 101 tokens, more than the plan's 100 tokens per minute; "
        "lower parameters.maxTokenCount"
    )
    assert counters(table, sk="minute#2026-11-15T10:20")["tokens"] == "100"


def test_a_rate_limited_plan_reports_an_exhausted_budget_with_the_spend_it_read():
    store, table, _ = make_store()
    plan = Plan(monthly_budget_usd=Decimal("1"), requests_per_minute=100)
    first = store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("0.6")))
    store.settle(first, Decimal("0.25"))
    store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("0.5")))
    with pytest.raises(BudgetExhausted) as refused:
        store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("0.3")))
    assert "0.25 USD spent and 0.5 USD in flight" in str(refused.value)
    assert counters(table, sk="minute#2026-11-15T10:20")["requests"] == "2"  # nothing of it applied


# -- conflicts are retried -----------------------------------------------------------------------------
class Conflicting:
    """Fails the first ``failures`` writes with ``code``, then passes them on."""

    def __init__(self, table: MemoryCounterTable, failures: int, code: str, reasons=None):
        self.table, self.failures, self.code, self.reasons = table, failures, code, reasons

    def __getattr__(self, name):
        return getattr(self.table, name)

    def _maybe_fail(self, operation: str) -> None:
        if self.failures:
            self.failures -= 1
            response = {"Error": {"Code": self.code, "Message": "conflict"}}
            if self.reasons is not None:
                response["CancellationReasons"] = self.reasons
            raise ClientError(response, operation)

    def update_item(self, **kwargs):
        self._maybe_fail("UpdateItem")
        return self.table.update_item(**kwargs)

    def transact_write_items(self, **kwargs):
        self._maybe_fail("TransactWriteItems")
        return self.table.transact_write_items(**kwargs)


@pytest.mark.parametrize(
    "code, reasons",
    [
        ("TransactionConflictException", None),
        ("TransactionInProgressException", None),
        ("TransactionCanceledException", [{"Code": "None"}, {"Code": "TransactionConflict"}]),
    ],
)
def test_transaction_conflicts_are_retried_with_a_growing_jittered_backoff(code, reasons):
    table = MemoryCounterTable(TABLE)
    client = Conflicting(table, 3, code, reasons)
    store, _, sleeps = make_store(client)
    store.reserve("acme", Plan(requests_per_minute=5), Estimate(tokens=1, cost=Decimal("0.1")))
    assert counters(table)["committed"] == units("0.1")
    assert len(sleeps) == 3
    for attempt, pause in enumerate(sleeps):
        assert 0.01 * 2**attempt * 0.5 <= pause <= 0.01 * 2**attempt


def test_conflicts_give_up_after_max_attempts_and_other_errors_at_once():
    table = MemoryCounterTable(TABLE)
    store, _, sleeps = make_store(Conflicting(table, 3, "TransactionConflictException"), max_attempts=3)
    with pytest.raises(ClientError):
        store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("0.1")))
    assert len(sleeps) == 2
    store, _, sleeps = make_store(Conflicting(table, 1, "ThrottlingException"))
    with pytest.raises(ClientError, match="ThrottlingException"):
        store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("0.1")))
    assert sleeps == []
    canceled = Conflicting(table, 1, "TransactionCanceledException", [{"Code": "None"}, {"Code": "None"}])
    store, _, sleeps = make_store(canceled)
    with pytest.raises(ClientError):
        store.reserve("acme", Plan(requests_per_minute=5), Estimate(tokens=1, cost=Decimal("0.1")))
    assert sleeps == []
    assert table.items == {}


# -- alerts --------------------------------------------------------------------------------------------
class Topic:
    def __init__(self, fail: int = 0):
        self.messages: list[dict] = []
        self.fail = fail

    def publish(self, **kwargs):
        if self.fail:
            self.fail -= 1
            raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Publish")
        self.messages.append(kwargs)


def test_each_threshold_is_announced_once_per_period_and_again_after_a_failed_publish():
    store, table, _ = make_store()
    plan = Plan(monthly_budget_usd=Decimal("2"), alert_thresholds=(50, 80, 100))
    period = store.period()
    reservation = store.reserve("acme", plan, Estimate(tokens=1, cost=Decimal("1.8")))
    spend = store.settle(reservation, Decimal("1.6"))  # 80% of 2
    topic = Topic(fail=1)
    alerts = Alerts(topic, "arn:topic")
    with pytest.raises(ClientError):
        alerts.announce(store, "acme", period, plan, spend)
    assert "alerted" not in counters(table)  # unmarked: the next call tries again
    assert alerts.announce(store, "acme", period, plan, spend) == [50, 80]
    assert counters(table)["alerted"] == ["50", "80"]
    assert [m["Subject"] for m in topic.messages] == [
        "Bedrock spend: tenant acme reached 50% of its monthly budget",
        "Bedrock spend: tenant acme reached 80% of its monthly budget",
    ]
    body = json.loads(topic.messages[1]["Message"])
    assert (body["spend_usd"], body["budget_usd"], body["threshold_percent"]) == ("1.6", "2", 80)
    assert all(m["TopicArn"] == "arn:topic" for m in topic.messages)
    # another container that still holds the old spend announces nothing twice
    assert alerts.announce(store, "acme", period, plan, spend) == []
    assert store.mark_alerted("acme", period, 80) is False
    assert store.mark_alerted("acme", period, 100) is True
    store.unmark_alerted("acme", period, 100)
    assert store.spend("acme", period).alerted == frozenset({50, 80})


# -- the reconciliation's correction -------------------------------------------------------------------
def test_correct_takes_each_days_drift_out_of_the_counters():
    clock = Clock(dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC))
    store, table, _ = make_store(clock=clock)
    period = store.period()
    for day, cost in ((3, "0.5"), (4, "0.25")):
        clock.now = clock.now.replace(day=day)
        store.settle(store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal(cost))), Decimal(cost))
    in_flight = store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("0.125")))
    store.correct("acme", period, {"2026-11-04": Decimal("0.05"), "2026-11-03": Decimal("-0.1")})
    spend = store.spend("acme", period)
    # settled 0.75 - (0.05 - 0.1) = 0.80; committed keeps the 0.125 in flight
    assert spend.settled == Decimal("0.8")
    assert spend.committed == Decimal("0.925")
    assert spend.by_utc_day == {"2026-11-03": Decimal("0.6"), "2026-11-04": Decimal("0.2")}
    calls = len(table.calls)
    store.correct("acme", period, {})
    assert len(table.calls) == calls
    assert in_flight.active


# -- plans, the listing, the registry ------------------------------------------------------------------
def test_plans_round_trip_and_the_default_applies_when_none_is_stored():
    default = Plan(monthly_budget_usd=Decimal("5"), alert_thresholds=(90,))
    store, table, _ = make_store(default_plan=default)
    assert store.stored_plan("acme") is None
    assert store.get_plan("acme") == default
    mine = Plan(monthly_budget_usd=Decimal("12.5"), hard=False, requests_per_minute=3, models=("m.one",))
    assert store.put_plan("acme", mine) == mine
    assert store.get_plan("acme") == mine
    assert table.items[("acme", "plan")]["updated_at"] == {"S": "2026-11-15T10:20:45+00:00"}


def test_the_listing_names_tenants_with_a_plan_or_counters_this_period():
    clock = Clock(dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    store, _, _ = make_store(clock=clock)
    store.reserve("october-only", Plan(), Estimate(tokens=1, cost=Decimal("1")))
    clock.now = NOW
    for tenant in ("c", "a", "a", "e"):
        store.reserve(tenant, Plan(requests_per_minute=9), Estimate(tokens=1, cost=Decimal("1")))
    store.put_plan("b", Plan())
    store.put_plan("a", Plan())
    assert store.tenants(store.period()) == ["a", "b", "c", "e"]


def test_plan_and_registry_reads_both_and_rereads_unprocessed_keys():
    registry_items = {"off": {"tenant": {"S": "off"}, "status": {"S": "disabled"}}}
    table = MemoryCounterTable(TABLE, other_tables={REGISTRY: registry_items})
    store, _, sleeps = make_store(table, default_plan=Plan(requests_per_minute=4))
    store.put_plan("off", Plan(requests_per_minute=1))
    table.unprocessed_rounds = 2
    assert store.plan_and_registry("off", REGISTRY) == (Plan(requests_per_minute=1), False)
    assert sleeps == [0.01, 0.02]
    assert store.plan_and_registry("new", REGISTRY) == (Plan(requests_per_minute=4), True)
    table.unprocessed_rounds = 6
    with pytest.raises(StoreUnavailable, match="throttled"):
        store.plan_and_registry("off", REGISTRY)
    assert sleeps[2:] == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32]


# -- the Enforcer and guarded ---------------------------------------------------------------------------
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


class Logger:
    def __init__(self):
        self.warnings: list[tuple[str, dict]] = []

    def warning(self, message, extra):
        self.warnings.append((message, extra))


def enforcer(store: PlanStore, **options) -> Enforcer:
    return Enforcer(store=store, catalog=load_catalog(), region="us-east-1", **options)


def request(inputs: str = "héllo", max_tokens: int | None = 200):
    catalog = load_catalog()
    return SimpleNamespace(
        model_id=SONNET, model=catalog.resolve(SONNET), inputs=inputs, inference={"maxTokens": max_tokens}
    )


# 'héllo' is 6 bytes + 16 overhead = 22 input tokens and 200 output tokens at Sonnet's us-east-1 prices
WORST = Decimal("0.003") * 22 / 1000 + Decimal("0.015") * 200 / 1000


def test_guarded_reserves_the_worst_case_then_settles_the_answered_cost():
    store, table, _ = make_store()
    seen = {}

    def call():
        seen["committed"] = counters(table)["committed"]
        return SimpleNamespace(body=[{"usage": {"cost": "0.0012"}}])

    written = []
    outcome = guarded(enforcer(store), "acme", request(), call, done=written.append)
    assert written == [outcome]
    assert seen["committed"] == str(int(WORST * SCALE))
    spend = store.spend("acme", store.period())
    assert (spend.settled, spend.committed) == (Decimal("0.0012"), Decimal("0.0012"))
    guarded(enforcer(store), "acme", request(), lambda: outcome, cost_of=lambda _: Decimal("0.5"))
    assert store.spend("acme", store.period()).settled == Decimal("0.5012")


def test_guarded_settles_a_failed_call_to_its_billed_cost_or_releases_it():
    store, table, _ = make_store()

    class Billed(Exception):
        billed_cost = Decimal("0.002")

    def fails(exc):
        def call():
            raise exc

        return call

    with pytest.raises(Billed):
        guarded(enforcer(store), "acme", request(), fails(Billed()))
    with pytest.raises(ValueError):
        guarded(enforcer(store), "acme", request(), fails(ValueError("model failed")))
    spend = store.spend("acme", store.period())
    assert (spend.settled, spend.committed) == (Decimal("0.002"), Decimal("0.002"))
    assert counters(table)["calls"] == "1"


def test_guarded_without_plans_just_calls():
    written = []
    assert guarded(None, "acme", request(), lambda: 42, done=written.append) == 42
    assert written == [42]
    assert guarded(None, "acme", request(), lambda: 43) == 43


def test_a_refused_call_never_runs():
    store, _, _ = make_store()
    store.put_plan("acme", Plan(monthly_budget_usd=WORST - Decimal("0.000001")))
    ran = []
    with pytest.raises(BudgetExhausted):
        guarded(enforcer(store), "acme", request(), lambda: ran.append(1))
    store.put_plan("acme", Plan(models=("other.model-v1",)))
    with pytest.raises(Forbidden, match=f"model {SONNET} is not in tenant acme's plan"):
        guarded(enforcer(store, plan_cache_seconds=0), "acme", request(), lambda: ran.append(1))
    assert ran == []


def test_a_disabled_tenant_is_refused_and_plans_are_cached_together_with_the_status():
    registry_items = {"acme": {"tenant": {"S": "acme"}, "status": {"S": "disabled"}}}
    table = MemoryCounterTable(TABLE, other_tables={REGISTRY: registry_items})
    store, _, _ = make_store(table)
    guard = enforcer(store, tenants_table=REGISTRY)
    with pytest.raises(Forbidden, match="tenant acme is disabled"):
        guard.admit("acme", SONNET, request().model, "hi", 10)
    registry_items.clear()
    with pytest.raises(Forbidden):  # still cached as disabled
        guard.admit("acme", SONNET, request().model, "hi", 10)
    assert table.calls.count("batch_get_item") == 1
    fresh = enforcer(store, tenants_table=REGISTRY, plan_cache_seconds=0)
    assert fresh.admit("acme", SONNET, request().model, "hi", 10) is not None
    fresh.admit("acme", SONNET, request().model, "hi", 10)
    assert table.calls.count("batch_get_item") == 3
    plain = enforcer(store)
    assert plain.plan_and_status("acme") == (Plan(), True)
    assert "get_item" in table.calls


class Down:
    def __getattr__(self, name):
        def fail(**kwargs):
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, name)

        return fail


def test_an_unreachable_store_fails_closed_or_open_as_configured():
    store = PlanStore(Down(), TABLE, sleep=lambda _: None)
    with pytest.raises(StoreUnavailable, match="plans fail closed"):
        enforcer(store).admit("acme", SONNET, request().model, "hi", 10)
    logger = Logger()
    guard = enforcer(store, fail_open=True, logger=logger)
    assert guard.admit("acme", SONNET, request().model, "hi", 10) is None
    assert logger.warnings[0][0] == "plan store unreachable; call admitted (PLANS_FAIL_OPEN)"
    assert "ServiceUnavailable" in logger.warnings[0][1]["error"]
    # the plan was read, the reservation failed: the same choice
    table = MemoryCounterTable(TABLE)
    half = make_store(table)[0]
    half.client = SimpleNamespace(get_item=table.get_item, update_item=Down().update_item)
    with pytest.raises(StoreUnavailable):
        enforcer(half).admit("acme", SONNET, request().model, "hi", 10)
    assert enforcer(half, fail_open=True).admit("acme", SONNET, request().model, "hi", 10) is None
    guard.finish(None, Decimal("1"))  # nothing admitted: nothing to settle


def test_finish_never_raises_and_logs_a_counter_left_wrong():
    table = MemoryCounterTable(TABLE)
    store, _, _ = make_store(table)
    logger = Logger()
    guard = enforcer(store, logger=logger, alerts=Alerts(Topic(fail=1), "arn:t"))
    plan = Plan(monthly_budget_usd=Decimal("0.01"))
    store.put_plan("acme", plan)
    admitted = guard.admit("acme", SONNET, request().model, "hi", 10)
    guard.finish(admitted, Decimal("0.009"))  # 90%: the 50 and 80 alerts fail to publish
    assert logger.warnings == [
        ("plan counters not updated", {"error": logger.warnings[0][1]["error"], "tenant": "acme"})
    ]
    assert "InternalError" in logger.warnings[0][1]["error"]
    assert store.spend("acme", store.period()).settled == Decimal("0.009")


# -- the routes ----------------------------------------------------------------------------------------
ADMIN = Caller(tenant_id="ops", groups=frozenset({"admins"}))
TENANT = Caller(tenant_id="acme", groups=frozenset())


def test_plan_request_reads_the_default_and_sets_fields_for_admins_only():
    store, _, _ = make_store(default_plan=Plan(monthly_budget_usd=Decimal("3")))
    catalog = load_catalog()
    with pytest.raises(Forbidden):
        plans.plan_request(store, TENANT, {"tenant": "acme"}, "admins", catalog)
    with pytest.raises(BadRequest, match="JSON object"):
        plans.plan_request(store, ADMIN, [], "admins", catalog)
    read = plans.plan_request(store, ADMIN, {"tenant": "acme"}, "admins", catalog)
    assert (read["default"], read["monthly_budget_usd"]) == (True, "3")
    assert store.stored_plan("acme") is None
    changed = plans.plan_request(
        store, ADMIN, {"tenant": "acme", "requests_per_minute": 7}, "admins", catalog
    )
    assert (changed["default"], changed["requests_per_minute"], changed["tenant"]) == (False, 7, "acme")
    assert store.stored_plan("acme").requests_per_minute == 7
    assert plans.plan_request(store, ADMIN, {"tenant": "acme"}, "admins", catalog)["default"] is False


def test_status_request_shows_a_tenant_its_own_status_and_admins_any():
    store, _, _ = make_store()
    store.put_plan("acme", Plan(monthly_budget_usd=Decimal("10")))
    store.settle(store.reserve("acme", Plan(), Estimate(tokens=1, cost=Decimal("4"))), Decimal("2.5"))
    store.reserve("beta", Plan(), Estimate(tokens=1, cost=Decimal("1")))
    own = plans.status_request(store, TENANT, {}, "admins")
    assert (own["tenant"], own["spend_settled"], own["remaining"], own["period"]) == (
        "acme",
        "2.5",
        "7.5",
        "2026-11",
    )
    assert plans.status_request(store, TENANT, {"tenant": "acme"}, "admins")["tenant"] == "acme"
    with pytest.raises(Forbidden):
        plans.status_request(store, TENANT, {"tenant": "beta"}, "admins")
    with pytest.raises(BadRequest, match="unknown field"):
        plans.status_request(store, TENANT, {"tenant": "acme", "x": 1}, "admins")
    with pytest.raises(BadRequest):
        plans.status_request(store, TENANT, "acme", "admins")
    every = plans.status_request(store, ADMIN, {}, "admins")
    assert [(s["tenant"], s["spend_in_flight"]) for s in every] == [("acme", "0"), ("beta", "1")]
    assert plans.status_request(store, ADMIN, {"tenant": "beta"}, "admins")["spend_settled"] == "0"


def test_settings_wire_the_store_and_the_enforcer(monkeypatch):
    table, topic = MemoryCounterTable(TABLE), Topic()
    monkeypatch.setattr(plans, "counter_client", lambda: table)
    monkeypatch.setattr(plans, "sns_client", lambda: topic)
    settings = SimpleNamespace(
        plans_table="",
        default_plan='{"monthly_budget_usd": "7.5", "requests_per_minute": 3}',
        plan_time_zone="Asia/Tokyo",
        alerts_topic_arn="",
        bedrock_region="eu-west-3",
        plans_fail_open=True,
        plan_cache_seconds=12.5,
        tenants_table="registry",
    )
    assert plans.enforcer_from_settings(settings, load_catalog()) is None  # plans off
    settings.plans_table = TABLE
    logger = Logger()
    guard = plans.enforcer_from_settings(settings, load_catalog(), logger)
    assert (guard.store.client, guard.store.name) == (table, TABLE)
    assert guard.store.default_plan == Plan(monthly_budget_usd=Decimal("7.5"), requests_per_minute=3)
    assert guard.store.zone == plans.time_zone("Asia/Tokyo")
    assert (guard.region, guard.fail_open, guard.plan_cache_seconds) == ("eu-west-3", True, 12.5)
    assert (guard.tenants_table, guard.logger, guard.alerts) == ("registry", logger, None)
    settings.alerts_topic_arn = "arn:aws:sns:eu-west-3:123456789012:alerts"
    alerts = plans.enforcer_from_settings(settings, load_catalog()).alerts
    assert (alerts.sns, alerts.topic_arn) == (topic, "arn:aws:sns:eu-west-3:123456789012:alerts")
