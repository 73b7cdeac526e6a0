"""token_profiler.plans without AWS: the period, the worst case, plan validation, thresholds, status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from token_profiler import plans
from token_profiler.errors import BadRequest, ConfigError
from token_profiler.plans import Plan, Spend, apply_changes, crossed, period_at, worst_case
from token_profiler.prices import load_catalog

pytestmark = pytest.mark.unit

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
UTC = ZoneInfo("UTC")


def test_period_is_the_calendar_month_in_utc():
    period = period_at(dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=dt.UTC), UTC)
    assert period.key == "2026-11"
    assert plans.iso(period.start) == "2026-11-01T00:00:00+00:00"
    assert plans.iso(period.end) == "2026-12-01T00:00:00+00:00"


def test_december_resets_on_the_first_of_january():
    period = period_at(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), UTC)
    assert (period.key, plans.iso(period.end)) == ("2026-12", "2027-01-01T00:00:00+00:00")


def test_period_follows_the_configured_time_zone():
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: 2026-11-30T16:00Z is already December 1st there
    period = period_at(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC), tokyo)
    assert period.key == "2026-12"
    assert plans.iso(period.start) == "2026-12-01T00:00:00+09:00"
    assert period.start.astimezone(dt.UTC) == dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
    new_york = ZoneInfo("America/New_York")  # UTC-5 in November: still November at 03:00Z Dec 1st
    assert period_at(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC), new_york).key == "2026-11"
    # the March period starts in winter time and ends in summer time
    march = period_at(dt.datetime(2026, 3, 20, tzinfo=dt.UTC), new_york)
    assert plans.iso(march.start) == "2026-03-01T00:00:00-05:00"
    assert plans.iso(march.end) == "2026-04-01T00:00:00-04:00"


def test_unknown_time_zone_fails_the_cold_start():
    with pytest.raises(ConfigError, match="PLAN_TIME_ZONE"):
        plans.time_zone("Mars/Olympus")


def test_worst_case_is_input_bytes_plus_overhead_and_the_output_limit_at_the_price():
    catalog = load_catalog()
    model = catalog.resolve(SONNET)
    estimate = worst_case(SONNET, model, "héllo", 200, catalog, "us-east-1")
    # 'héllo' is 6 UTF-8 bytes; + 16 overhead = 22 input tokens; 200 output tokens
    assert estimate.tokens == 222
    assert estimate.cost == Decimal("0.003") * 22 / 1000 + Decimal("0.015") * 200 / 1000
    # no maxTokenCount: the model's limit from the catalog (4096 for Sonnet)
    assert worst_case(SONNET, model, "hi", None, catalog, "us-east-1").tokens == 18 + 4096


def test_worst_case_of_an_embedding_has_no_output():
    catalog = load_catalog()
    titan = "amazon.titan-embed-text-v2:0"
    model = catalog.resolve(titan)
    estimate = worst_case(titan, model, "abc", None, catalog, "us-east-1")
    assert estimate.tokens == 19
    assert estimate.cost == Decimal("0.00002") * 19 / 1000  # catalog.json's us-east-1 input price


def test_apply_changes_sets_only_the_given_fields():
    plan = apply_changes(Plan(), {"monthly_budget_usd": "25.50", "requests_per_minute": 10})
    assert plan == Plan(monthly_budget_usd=Decimal("25.50"), requests_per_minute=10)
    assert plan.to_dict()["monthly_budget_usd"] == "25.5"
    cleared = apply_changes(plan, {"monthly_budget_usd": None, "alert_thresholds": [100, 50, 50]})
    assert cleared.monthly_budget_usd is None and cleared.alert_thresholds == (50, 100)
    assert cleared.requests_per_minute == 10


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"monthly_budget_usd": 25.5}, "monthly_budget_usd"),
        ({"monthly_budget_usd": "-1"}, "monthly_budget_usd"),
        ({"monthly_budget_usd": "1e3"}, "monthly_budget_usd"),
        ({"hard": "yes"}, "hard"),
        ({"alert_thresholds": [0]}, "alert_thresholds"),
        ({"alert_thresholds": [50.5]}, "alert_thresholds"),
        ({"alert_thresholds": "50"}, "alert_thresholds"),
        ({"requests_per_minute": -1}, "requests_per_minute"),
        ({"tokens_per_minute": True}, "tokens_per_minute"),
        ({"tokens_per_minute": 1.0}, "tokens_per_minute"),
        ({"models": "m"}, "models"),
        ({"models": ["not a model"]}, "models"),
        ({"budget": "1"}, "budget"),
    ],
)
def test_bad_plan_fields_are_refused_by_name(changes, named):
    with pytest.raises(BadRequest, match=named):
        apply_changes(Plan(), changes)


def test_models_outside_the_catalog_are_refused_when_a_catalog_is_given():
    with pytest.raises(BadRequest, match="not in the price catalog: vendor.unknown-model"):
        apply_changes(Plan(), {"models": [SONNET, "vendor.unknown-model"]}, load_catalog())


def test_default_plan_from_the_environment():
    assert plans.parse_default_plan("") == Plan()
    plan = plans.parse_default_plan('{"monthly_budget_usd": "100", "hard": false, "tokens_per_minute": 5000}')
    assert plan == Plan(monthly_budget_usd=Decimal(100), hard=False, tokens_per_minute=5000)
    with pytest.raises(ConfigError, match="DEFAULT_PLAN: monthly_budget_usd"):
        plans.parse_default_plan('{"monthly_budget_usd": 100}')
    with pytest.raises(ConfigError, match="DEFAULT_PLAN"):
        plans.parse_default_plan("[1]")


def test_plan_round_trips_through_its_item():
    plan = Plan(Decimal("12.345"), False, (25, 90), 7, 9000, (SONNET,))
    assert plans.plan_from_item(plans.plan_to_item("t", plan, "now")) == plan
    assert plans.plan_from_item(plans.plan_to_item("t", Plan(), "now")) == Plan()


def test_thresholds_cross_at_exact_percentages_and_once():
    plan = Plan(monthly_budget_usd=Decimal("10"), alert_thresholds=(50, 80, 100))
    assert crossed(plan, Spend(Decimal("4.99"), Decimal("4.99"))) == []
    assert crossed(plan, Spend(Decimal("5"), Decimal("5"))) == [50]
    assert crossed(plan, Spend(Decimal("8"), Decimal("9"), frozenset({50}))) == [80]
    assert crossed(plan, Spend(Decimal("12"), Decimal("12"), frozenset({50}))) == [80, 100]
    assert crossed(plan, Spend(Decimal("12"), Decimal("12"), frozenset({50, 80, 100}))) == []
    assert crossed(Plan(), Spend(Decimal("12"), Decimal("12"))) == []  # no budget, no alerts


def test_status_reports_money_as_strings_and_what_remains():
    period = period_at(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), UTC)
    plan = Plan(monthly_budget_usd=Decimal("10"))
    answer = plans.status("t1", plan, period, Spend(Decimal("2.5"), Decimal("3.75")))
    assert answer["spend_settled"] == "2.5"
    assert answer["spend_in_flight"] == "1.25"
    assert answer["remaining"] == "6.25"
    assert answer["period_start"] == "2026-11-01T00:00:00+00:00"
    assert answer["period_end"] == "2026-12-01T00:00:00+00:00"
    assert plans.status("t1", plan, period, Spend(Decimal("11"), Decimal("11")))["remaining"] == "0"
    assert plans.status("t1", Plan(), period, Spend(Decimal("1"), Decimal("1")))["remaining"] is None


def test_alert_message_names_tenant_period_spend_budget_and_threshold():
    period = period_at(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), UTC)
    message = plans.alert_message(
        "t1", period, Plan(monthly_budget_usd=Decimal("10")), Spend(Decimal("8.2"), Decimal("8.2")), 80
    )
    body = message["body"]
    assert (
        body["tenant"],
        body["period"],
        body["spend_usd"],
        body["budget_usd"],
        body["threshold_percent"],
    ) == (
        "t1",
        "2026-11",
        "8.2",
        "10",
        80,
    )
    assert "t1" in message["subject"] and "80%" in message["subject"]


@pytest.mark.parametrize("tenant", ["", "a b", "x" * 129, 5, None])
def test_bad_tenant_ids_are_refused(tenant):
    with pytest.raises(BadRequest, match="tenant"):
        plans.check_tenant(tenant)


def test_utc_needs_no_time_zone_database():
    assert plans.time_zone("UTC") is dt.UTC and plans.time_zone("") is dt.UTC
    period = period_at(dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC), plans.time_zone("UTC"))
    assert plans.iso(period.end) == "2026-12-01T00:00:00+00:00"


def test_money_units_are_exact_and_round_reservations_up():
    assert plans.to_units(Decimal("0.00000192")) == 1_920_000_000_000
    assert plans.from_units(plans.to_units(Decimal("12.345678901234567891"))) == Decimal(
        "12.345678901234567891"
    )
    assert plans.to_units(Decimal("1E-19")) == 1  # finer than the unit: up, never down
    assert plans.to_units(Decimal(0)) == 0 and plans.from_units("0") == 0
