"""Tenant plans: monthly budgets, per-minute rate limits, threshold alerts and live spend.

One DynamoDB table (key schema in ``plans.json``, read by Terraform too) holds three kinds of item
per tenant, all under ``pk = <tenant>``:

- ``sk = "plan"``: the tenant's plan as an admin set it (absent: the default plan from configs.json);
- ``sk = "period#YYYY-MM"``: the period's counters. ``committed`` is settled spend plus what calls in
  flight have reserved, ``settled`` the actual cost of finished calls, ``alerted`` the thresholds
  already announced, and ``settled_utc#YYYY-MM-DD`` the settled spend per UTC day (what the
  reconciliation compares with the ledger's UTC days);
- ``sk = "minute#YYYY-MM-DDTHH:MM"``: requests and tokens admitted in one UTC minute (TTL: 1 day).

A call costs at most two round trips on the success path: ``reserve`` (one conditional UpdateItem,
or one TransactWriteItems over the minute and period items when the plan has rate limits) and
``settle`` (one UpdateItem). DynamoDB has no arithmetic in conditions, so the budget check is
``committed <= budget - this call's worst case``, with the right side computed here.

The counters serve enforcement; the usage lines (the ledger the aggregator reads) stay the source of
truth for billing. ``reconcile`` compares the two.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Context, Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from token_profiler import money, registry
from token_profiler.errors import (
    BadRequest,
    BudgetExhausted,
    ConfigError,
    Forbidden,
    RateLimited,
    StoreUnavailable,
)
from token_profiler.prices import Catalog, Model

PLANS_SCHEMA_PATH = Path(__file__).with_name("plans.json")
PLAN_SK = "plan"
PERIOD_PREFIX = "period#"
# the settled spend of one UTC day, on the period item: the ledger's days are UTC days, a period
# need not be (PLAN_TIME_ZONE), so the reconciliation compares these with the ledger's rows
DAY_PREFIX = "settled_utc#"
MINUTE_PREFIX = "minute#"
DEFAULT_THRESHOLDS = (50, 80, 100)
MAX_THRESHOLD = 1000
MAX_PER_MINUTE = 10**12
MAX_MODELS = 200
PLAN_FIELDS = (
    "monthly_budget_usd",
    "hard",
    "alert_thresholds",
    "requests_per_minute",
    "tokens_per_minute",
    "models",
)
# Chat templates add a few tokens around the prompt; counted in the worst case.
INPUT_OVERHEAD_TOKENS = 16
MINUTE_TTL_SECONDS = 86_400
PERIOD_TTL_DAYS = 400
_TENANT = re.compile(r"^[\w.@:+=,-]{1,128}$")
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{2,255}$")
_BUDGET = re.compile(r"^\d{1,12}(\.\d{1,12})?$")


@cache
def plans_schema() -> dict[str, Any]:
    """The plans table's key schema (the same file Terraform reads)."""
    with PLANS_SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


# -- the plan ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    monthly_budget_usd: Decimal | None = None
    hard: bool = True
    alert_thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    models: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The plan as the API answers it (money as a decimal string)."""
        budget = self.monthly_budget_usd
        return {
            "monthly_budget_usd": None if budget is None else money.money_str(budget),
            "hard": self.hard,
            "alert_thresholds": list(self.alert_thresholds),
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
            "models": list(self.models),
        }

    @property
    def rate_limited(self) -> bool:
        return bool(self.requests_per_minute or self.tokens_per_minute)


def _parse_budget(value: Any) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _BUDGET.match(value.strip()):
        raise BadRequest(
            'monthly_budget_usd must be a decimal string such as "25.00" (at most 12 decimals) or null'
        )
    return Decimal(value.strip())


def _parse_per_minute(value: Any, name: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_PER_MINUTE:
        raise BadRequest(f"{name} must be an integer between 0 (no limit) and {MAX_PER_MINUTE}")
    return value


def _parse_thresholds(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(type(t) is int and 1 <= t <= MAX_THRESHOLD for t in value):
        raise BadRequest(
            f"alert_thresholds must be a list of whole percentages between 1 and {MAX_THRESHOLD}"
        )
    if len(value) > 20:
        raise BadRequest("alert_thresholds holds at most 20 percentages")
    return tuple(sorted(set(value)))


def _parse_models(value: Any, catalog: Catalog | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(m, str) and _MODEL_ID.match(m) for m in value):
        raise BadRequest("models must be a list of model ids (empty: every model)")
    if len(value) > MAX_MODELS:
        raise BadRequest(f"models holds at most {MAX_MODELS} model ids")
    if catalog is not None:
        unknown = sorted(m for m in value if catalog.resolve(m) is None)
        if unknown:
            raise BadRequest(f"models: not in the price catalog: {', '.join(unknown)}")
    return tuple(dict.fromkeys(value))


def apply_changes(plan: Plan, changes: dict[str, Any], catalog: Catalog | None = None) -> Plan:
    """``plan`` with the fields in ``changes`` set; every bad value is a BadRequest naming the field."""
    unknown = sorted(set(changes) - set(PLAN_FIELDS))
    if unknown:
        raise BadRequest(f"unknown plan field(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    if "monthly_budget_usd" in changes:
        values["monthly_budget_usd"] = _parse_budget(changes["monthly_budget_usd"])
    if "hard" in changes:
        if not isinstance(changes["hard"], bool):
            raise BadRequest("hard must be true or false")
        values["hard"] = changes["hard"]
    if "alert_thresholds" in changes:
        values["alert_thresholds"] = _parse_thresholds(changes["alert_thresholds"])
    for name in ("requests_per_minute", "tokens_per_minute"):
        if name in changes:
            values[name] = _parse_per_minute(changes[name], name)
    if "models" in changes:
        values["models"] = _parse_models(changes["models"], catalog)
    return replace(plan, **values)


def parse_default_plan(text: str | None) -> Plan:
    """DEFAULT_PLAN (JSON rendered from configs.json); a bad value fails the cold start."""
    if not text or not text.strip():
        return Plan()
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise BadRequest("must be a JSON object")
        return apply_changes(Plan(), raw)
    except (ValueError, BadRequest) as exc:
        raise ConfigError(f"DEFAULT_PLAN: {getattr(exc, 'message', exc)}") from None


def check_tenant(value: Any, name: str = "tenant") -> str:
    if not isinstance(value, str) or not _TENANT.match(value):
        raise BadRequest(f"{name} must be a tenant id (1-128 letters, digits or ._@:+=,-)")
    return value


# -- the period -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A calendar month in the configured time zone; ``end`` is the next month's start (the reset)."""

    key: str  # "YYYY-MM"
    start: dt.datetime
    end: dt.datetime


def time_zone(name: str) -> dt.tzinfo:
    """The zone of the periods. UTC needs no time zone database; any other name needs the
    system's (or the tzdata package), and a name it lacks fails the cold start."""
    if not name or name == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"PLAN_TIME_ZONE: not an IANA time zone known here: {name!r}") from None


def period_at(now: dt.datetime, zone: dt.tzinfo) -> Period:
    local = now.astimezone(zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = dt.datetime(year, month, 1, tzinfo=zone)
    return Period(key=f"{local.year:04d}-{local.month:02d}", start=start, end=end)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


# -- the worst case of one call ---------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    tokens: int  # input upper bound + output limit
    cost: Decimal  # those tokens at the model's price


def input_token_bound(inputs: str) -> int:
    """An upper bound of the prompt's tokens: a token holds at least one UTF-8 byte."""
    return len(inputs.encode("utf-8")) + INPUT_OVERHEAD_TOKENS


def worst_case(
    model_id: str, model: Model, inputs: str, max_tokens: int | None, catalog: Catalog, region: str
) -> Estimate:
    input_tokens = input_token_bound(inputs)
    output_tokens = 0 if model.kind == "embedding" else (max_tokens or model.max_tokens or 8192)
    costs = catalog.costs(catalog.quote(model_id, region), input_tokens, output_tokens, 0, 0)
    return Estimate(tokens=input_tokens + output_tokens, cost=costs.total)


# -- DynamoDB attribute values ----------------------------------------------------------------------
def _n(value: int | Decimal) -> dict[str, str]:
    return {"N": money.money_str(value) if isinstance(value, Decimal) else str(value)}


# Counters hold money as whole units of 10^-18 US$: integer ADDs are exact everywhere (moto, for one,
# stores a zero sum of decimals as '0E-8' and then cannot read it back), and every price in the
# catalog times whole tokens / 1000 fits in 18 decimals. A finer amount is rounded up (a
# reservation must not be smaller than the cost).
MONEY_SCALE = 18
_UNITS = Context(prec=60)


def to_units(amount: Decimal) -> int:
    return int(amount.scaleb(MONEY_SCALE, _UNITS).to_integral_value(rounding=ROUND_CEILING))


def from_units(units: int | str) -> Decimal:
    return Decimal(int(units)).scaleb(-MONEY_SCALE, _UNITS)


def _m(amount: Decimal) -> dict[str, str]:
    return {"N": str(to_units(amount))}


def _num(item: dict[str, Any], name: str) -> Decimal:
    attr = item.get(name)
    return from_units(attr["N"]) if attr and "N" in attr else money.ZERO


def plan_to_item(tenant: str, plan: Plan, updated_at: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": tenant},
        "sk": {"S": PLAN_SK},
        "hard": {"BOOL": plan.hard},
        "alert_thresholds": {"L": [_n(t) for t in plan.alert_thresholds]},
        "requests_per_minute": _n(plan.requests_per_minute),
        "tokens_per_minute": _n(plan.tokens_per_minute),
        "models": {"L": [{"S": m} for m in plan.models]},
        "updated_at": {"S": updated_at},
    }
    if plan.monthly_budget_usd is not None:
        item["monthly_budget_usd"] = {"S": money.money_str(plan.monthly_budget_usd)}
    return item


def plan_from_item(item: dict[str, Any]) -> Plan:
    budget = item.get("monthly_budget_usd", {}).get("S")
    return Plan(
        monthly_budget_usd=Decimal(budget) if budget else None,
        hard=bool(item.get("hard", {}).get("BOOL", True)),
        alert_thresholds=tuple(int(t["N"]) for t in item.get("alert_thresholds", {}).get("L", [])),
        requests_per_minute=int(item.get("requests_per_minute", {}).get("N", "0")),
        tokens_per_minute=int(item.get("tokens_per_minute", {}).get("N", "0")),
        models=tuple(m["S"] for m in item.get("models", {}).get("L", [])),
    )


# -- the store --------------------------------------------------------------------------------------
@dataclass
class Reservation:
    tenant: str
    period: Period
    cost: Decimal
    tokens: int
    active: bool = True


@dataclass(frozen=True)
class Spend:
    settled: Decimal
    committed: Decimal
    alerted: frozenset[int] = frozenset()
    # settled spend by UTC day ("YYYY-MM-DD"), of the calls settled in this period
    by_utc_day: dict[str, Decimal] = field(default_factory=dict, compare=False)

    @property
    def in_flight(self) -> Decimal:
        return max(money.ZERO, self.committed - self.settled)


def _is_store_error(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, BotoCoreError | ClientError)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


_CONFLICT_CODES = {"TransactionConflictException", "TransactionInProgressException"}


class PlanStore:
    """Plans and counters in one DynamoDB table (name and client injected).

    Also meant for a tenant registry to reuse: ``get_plan`` / ``put_plan`` are the whole plan API.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        default_plan: Plan | None = None,
        zone: dt.tzinfo | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.name = table_name
        self.default_plan = default_plan or Plan()
        self.zone = zone or dt.UTC
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.max_attempts = max_attempts
        self.sleep = sleep

    # -- plans ------------------------------------------------------------------------------------
    def stored_plan(self, tenant: str) -> Plan | None:
        item = self.client.get_item(
            TableName=self.name, Key={"pk": {"S": tenant}, "sk": {"S": PLAN_SK}}, ConsistentRead=True
        ).get("Item")
        return plan_from_item(item) if item else None

    def get_plan(self, tenant: str) -> Plan:
        """The tenant's plan, or the default plan when none was set."""
        return self.stored_plan(tenant) or self.default_plan

    def plan_and_registry(self, tenant: str, tenants_table: str) -> tuple[Plan, bool]:
        """The tenant's plan and whether the registry lets it call models, in ONE round trip
        (BatchGetItem over the plans table and the registry). Unprocessed keys (throttling) are
        read again, with a short backoff."""
        pending: dict[str, Any] = {
            self.name: {"Keys": [{"pk": {"S": tenant}, "sk": {"S": PLAN_SK}}], "ConsistentRead": True},
            tenants_table: {"Keys": [{registry.hash_key(): {"S": tenant}}], "ConsistentRead": True},
        }
        found: dict[str, list[dict[str, Any]]] = {}
        for attempt in range(self.max_attempts):
            answer = self.client.batch_get_item(RequestItems=pending)
            for table, items in (answer.get("Responses") or {}).items():
                found.setdefault(table, []).extend(items)
            pending = answer.get("UnprocessedKeys") or {}
            if not pending:
                break
            self.sleep(min(0.5, 0.01 * 2**attempt))
        else:
            raise StoreUnavailable("the plan and tenant registry could not be read (throttled); try again")
        plan_items, registry_items = found.get(self.name, []), found.get(tenants_table, [])
        plan = plan_from_item(plan_items[0]) if plan_items else self.default_plan
        return plan, registry.is_active_item(registry_items[0] if registry_items else None)

    def put_plan(self, tenant: str, plan: Plan) -> Plan:
        self.client.put_item(TableName=self.name, Item=plan_to_item(tenant, plan, iso(self.clock())))
        return plan

    def tenants(self, period: Period) -> list[str]:
        """Tenants with a plan or with counters in ``period`` (an admin's listing)."""
        found: set[str] = set()
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "FilterExpression": "sk = :plan OR sk = :period",
            "ProjectionExpression": "pk",
            "ExpressionAttributeValues": {
                ":plan": {"S": PLAN_SK},
                ":period": {"S": PERIOD_PREFIX + period.key},
            },
        }
        while True:
            page = self.client.scan(**kwargs)
            found.update(item["pk"]["S"] for item in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return sorted(found)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- counters ---------------------------------------------------------------------------------
    def period(self) -> Period:
        return period_at(self.clock(), self.zone)

    def _period_key(self, tenant: str, period: Period) -> dict[str, Any]:
        return {"pk": {"S": tenant}, "sk": {"S": PERIOD_PREFIX + period.key}}

    def spend(self, tenant: str, period: Period) -> Spend:
        item = (
            self.client.get_item(
                TableName=self.name, Key=self._period_key(tenant, period), ConsistentRead=True
            ).get("Item")
            or {}
        )
        return _spend(item)

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """Run ``call``, retrying transaction conflicts on the hot counter items with jittered backoff."""
        for attempt in range(self.max_attempts):
            try:
                return call()
            except Exception as exc:
                conflict = _error_code(exc) in _CONFLICT_CODES or (
                    _error_code(exc) == "TransactionCanceledException"
                    and any(r.get("Code") == "TransactionConflict" for r in _reasons(exc))
                )
                if not conflict or attempt == self.max_attempts - 1:
                    raise
                self.sleep(min(0.5, 0.01 * 2**attempt) * (0.5 + random.random() / 2))  # noqa: S311
        raise AssertionError("unreachable")

    def reserve(self, tenant: str, plan: Plan, estimate: Estimate) -> Reservation:
        """Admit one call: rate limits, then the hard budget, in ONE DynamoDB request.

        Raises RateLimited (429) or BudgetExhausted (402); a store error propagates (the caller
        decides fail-closed or fail-open).
        """
        now = self.clock()
        period = period_at(now, self.zone)
        retry_after = max(1, 60 - now.second)
        rate_update = None
        if plan.rate_limited:
            if plan.tokens_per_minute and estimate.tokens > plan.tokens_per_minute:
                raise RateLimited(
                    f"this call may use up to {estimate.tokens} tokens, more than the plan's "
                    f"{plan.tokens_per_minute} tokens per minute; lower parameters.maxTokenCount",
                    retry_after,
                )
            rate_update = self._minute_update(tenant, plan, estimate, now)
        period_update = self._period_update(tenant, plan, estimate, period)
        if period_update is None:  # this call alone is more than the whole budget
            raise self._exhausted(tenant, plan, period, self.spend(tenant, period))
        try:
            if rate_update is None:
                self._retrying(lambda: self.client.update_item(**period_update))
            else:
                items = [{"Update": rate_update}, {"Update": period_update}]
                self._retrying(lambda: self.client.transact_write_items(TransactItems=items))
        except Exception as exc:
            code = _error_code(exc)
            if code == "ConditionalCheckFailedException":
                raise self._exhausted(tenant, plan, period, _spend(exc.response.get("Item") or {})) from None
            if code == "TransactionCanceledException":
                reasons = _reasons(exc)
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    raise RateLimited(
                        f"tenant {tenant} reached its limit of {_limits(plan)}; retry after {retry_after} s",
                        retry_after,
                    ) from None
                if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                    item = reasons[1].get("Item") or {}
                    spend = _spend(item) if item else self.spend(tenant, period)
                    raise self._exhausted(tenant, plan, period, spend) from None
            raise
        return Reservation(tenant=tenant, period=period, cost=estimate.cost, tokens=estimate.tokens)

    def _minute_update(self, tenant: str, plan: Plan, estimate: Estimate, now: dt.datetime) -> dict[str, Any]:
        minute = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
        conditions, values = (
            [],
            {
                ":one": _n(1),
                ":tokens": _n(estimate.tokens),
                ":ttl": _n(int(now.timestamp()) + MINUTE_TTL_SECONDS),
            },
        )
        if plan.requests_per_minute:
            conditions.append("(attribute_not_exists(requests) OR requests <= :max_requests)")
            values[":max_requests"] = _n(plan.requests_per_minute - 1)
        if plan.tokens_per_minute:
            conditions.append("(attribute_not_exists(tokens) OR tokens <= :max_tokens)")
            values[":max_tokens"] = _n(plan.tokens_per_minute - estimate.tokens)
        return {
            "TableName": self.name,
            "Key": {"pk": {"S": tenant}, "sk": {"S": MINUTE_PREFIX + minute}},
            "UpdateExpression": "SET #ttl = if_not_exists(#ttl, :ttl) ADD requests :one, tokens :tokens",
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": {"#ttl": plans_schema()["ttl_attribute"]},
            "ExpressionAttributeValues": values,
        }

    def _period_update(
        self, tenant: str, plan: Plan, estimate: Estimate, period: Period
    ) -> dict[str, Any] | None:
        ttl = int(period.end.timestamp()) + PERIOD_TTL_DAYS * 86_400
        update: dict[str, Any] = {
            "TableName": self.name,
            "Key": self._period_key(tenant, period),
            "UpdateExpression": "SET #ttl = if_not_exists(#ttl, :ttl) ADD committed :cost",
            "ExpressionAttributeNames": {"#ttl": plans_schema()["ttl_attribute"]},
            "ExpressionAttributeValues": {":cost": _m(estimate.cost), ":ttl": _n(ttl)},
        }
        if plan.hard and plan.monthly_budget_usd is not None:
            limit = plan.monthly_budget_usd - estimate.cost
            if limit < 0:
                return None
            update["ConditionExpression"] = "attribute_not_exists(committed) OR committed <= :limit"
            update["ExpressionAttributeValues"][":limit"] = {
                "N": str(to_units(plan.monthly_budget_usd) - to_units(estimate.cost))
            }
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return update

    def _exhausted(self, tenant: str, plan: Plan, period: Period, spend: Spend) -> BudgetExhausted:
        budget = money.money_str(plan.monthly_budget_usd or money.ZERO)
        return BudgetExhausted(
            f"tenant {tenant} has no room in its monthly budget of {budget} USD for this call: "
            f"{money.money_str(spend.settled)} USD spent and "
            f"{money.money_str(spend.in_flight)} USD in flight in period {period.key}; "
            f"the budget resets at {iso(period.end)}"
        )

    def settle(self, reservation: Reservation, actual: Decimal) -> Spend:
        """Replace the reservation by the call's actual cost; returns the period's counters after.

        The cost is also added to the settled spend of the UTC day it settles on (``DAY_PREFIX``):
        the usage line was written just before, so the ledger counts it on the same UTC day (a
        call settled across midnight within those milliseconds is the exception)."""
        reservation.active = False
        day = self.clock().astimezone(dt.UTC).date().isoformat()
        response = self._retrying(
            lambda: self.client.update_item(
                TableName=self.name,
                Key=self._period_key(reservation.tenant, reservation.period),
                UpdateExpression="ADD committed :delta, settled :actual, calls :one, #day :actual",
                ExpressionAttributeNames={"#day": DAY_PREFIX + day},
                ExpressionAttributeValues={
                    ":delta": {"N": str(to_units(actual) - to_units(reservation.cost))},
                    ":actual": _m(actual),
                    ":one": _n(1),
                },
                ReturnValues="ALL_NEW",
            )
        )
        return _spend(response.get("Attributes") or {})

    def release(self, reservation: Reservation) -> None:
        """Give a failed call's reservation back (its spend is unchanged)."""
        if not reservation.active:
            return
        reservation.active = False
        self._retrying(
            lambda: self.client.update_item(
                TableName=self.name,
                Key=self._period_key(reservation.tenant, reservation.period),
                UpdateExpression="ADD committed :delta",
                ExpressionAttributeValues={":delta": {"N": str(-to_units(reservation.cost))}},
            )
        )

    def mark_alerted(self, tenant: str, period: Period, threshold: int) -> bool:
        """Record that ``threshold`` was announced in ``period``; False when another call already did."""
        try:
            self.client.update_item(
                TableName=self.name,
                Key=self._period_key(tenant, period),
                UpdateExpression="ADD alerted :set",
                ConditionExpression="attribute_not_exists(alerted) OR NOT contains(alerted, :t)",
                ExpressionAttributeValues={":set": {"NS": [str(threshold)]}, ":t": _n(threshold)},
            )
        except Exception as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def unmark_alerted(self, tenant: str, period: Period, threshold: int) -> None:
        self.client.update_item(
            TableName=self.name,
            Key=self._period_key(tenant, period),
            UpdateExpression="DELETE alerted :set",
            ExpressionAttributeValues={":set": {"NS": [str(threshold)]}},
        )

    def correct(self, tenant: str, period: Period, drift_by_day: dict[str, Decimal]) -> None:
        """Take the reconciliation's drift (counters minus ledger, per UTC day) out of the period's
        counters: each day's settled spend, ``settled`` and ``committed`` move by minus its drift
        (what is in flight is kept). One UpdateItem, so a concurrent settle is not lost."""
        days = sorted(drift_by_day)
        if not days:
            return
        names = {f"#d{i}": DAY_PREFIX + day for i, day in enumerate(days)}
        values = {f":d{i}": {"N": str(-to_units(drift_by_day[day]))} for i, day in enumerate(days)}
        total = sum((to_units(drift_by_day[day]) for day in days), 0)
        values[":total"] = {"N": str(-total)}
        self.client.update_item(
            TableName=self.name,
            Key=self._period_key(tenant, period),
            UpdateExpression="ADD committed :total, settled :total, "
            + ", ".join(f"#d{i} :d{i}" for i in range(len(days))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


def _reasons(exc: BaseException) -> list[dict[str, Any]]:
    response = getattr(exc, "response", None) or {}
    return list(response.get("CancellationReasons") or [])


def _spend(item: dict[str, Any]) -> Spend:
    alerted = item.get("alerted", {}).get("NS", [])
    return Spend(
        settled=_num(item, "settled"),
        committed=_num(item, "committed"),
        alerted=frozenset(int(Decimal(t)) for t in alerted),
        by_utc_day={
            name.removeprefix(DAY_PREFIX): _num(item, name) for name in item if name.startswith(DAY_PREFIX)
        },
    )


def _limits(plan: Plan) -> str:
    parts = []
    if plan.requests_per_minute:
        parts.append(f"{plan.requests_per_minute} requests per minute")
    if plan.tokens_per_minute:
        parts.append(f"{plan.tokens_per_minute} tokens per minute")
    return " and ".join(parts)


# -- thresholds and alerts --------------------------------------------------------------------------
def crossed(plan: Plan, spend: Spend) -> list[int]:
    """Thresholds reached by the settled spend and not yet announced this period."""
    budget = plan.monthly_budget_usd
    if budget is None or budget <= 0:
        return []
    return [t for t in plan.alert_thresholds if t not in spend.alerted and spend.settled * 100 >= budget * t]


def alert_message(tenant: str, period: Period, plan: Plan, spend: Spend, threshold: int) -> dict[str, Any]:
    budget = plan.monthly_budget_usd or money.ZERO
    return {
        "subject": f"Bedrock spend: tenant {tenant} reached {threshold}% of its monthly budget"[:100],
        "body": {
            "tenant": tenant,
            "period": period.key,
            "period_start": iso(period.start),
            "period_end": iso(period.end),
            "threshold_percent": threshold,
            "spend_usd": money.money_str(spend.settled),
            "budget_usd": money.money_str(budget),
            "hard": plan.hard,
        },
    }


class Alerts:
    """Publishes each threshold crossing once per period to an SNS topic."""

    def __init__(self, sns_client: Any, topic_arn: str):
        self.sns = sns_client
        self.topic_arn = topic_arn

    def announce(self, store: PlanStore, tenant: str, period: Period, plan: Plan, spend: Spend) -> list[int]:
        sent = []
        for threshold in crossed(plan, spend):
            if not store.mark_alerted(tenant, period, threshold):
                continue  # another call announced it
            message = alert_message(tenant, period, plan, spend, threshold)
            try:
                self.sns.publish(
                    TopicArn=self.topic_arn,
                    Subject=message["subject"],
                    Message=json.dumps(message["body"], indent=2),
                )
            except Exception:
                store.unmark_alerted(tenant, period, threshold)  # the next call tries again
                raise
            sent.append(threshold)
        return sent


# -- live status ------------------------------------------------------------------------------------
def status(tenant: str, plan: Plan, period: Period, spend: Spend) -> dict[str, Any]:
    budget = plan.monthly_budget_usd
    remaining = None if budget is None else max(money.ZERO, budget - spend.committed)
    return {
        "tenant": tenant,
        "plan": plan.to_dict(),
        "period": period.key,
        "period_start": iso(period.start),
        "period_end": iso(period.end),
        "resets_at": iso(period.end),
        "spend_settled": money.money_str(spend.settled),
        "spend_in_flight": money.money_str(spend.in_flight),
        "remaining": None if remaining is None else money.money_str(remaining),
    }


# -- enforcement around one model call --------------------------------------------------------------
@dataclass
class Enforcer:
    """What invoke_model wraps around the Bedrock call: admit, then settle or release."""

    store: PlanStore
    catalog: Catalog
    region: str
    fail_open: bool = False
    alerts: Alerts | None = None
    plan_cache_seconds: float = 30.0
    logger: Any = None
    # the tenant registry (token_profiler.tenants); empty: every tenant is active
    tenants_table: str = ""
    _plans: dict[str, tuple[float, Plan, bool]] = field(default_factory=dict)

    def plan_and_status(self, tenant: str) -> tuple[Plan, bool]:
        """The tenant's plan and whether it is active (not disabled in the registry), read together
        in one round trip and cached together per container for ``plan_cache_seconds``: a plan
        change or a disable takes effect within that time."""
        cached = self._plans.get(tenant)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1], cached[2]
        if self.tenants_table:
            plan, active = self.store.plan_and_registry(tenant, self.tenants_table)
        else:
            plan, active = self.store.get_plan(tenant), True
        if self.plan_cache_seconds > 0:
            self._plans[tenant] = (now + self.plan_cache_seconds, plan, active)
        return plan, active

    def _warn(self, message: str, **extra: Any) -> None:
        if self.logger is not None:
            self.logger.warning(message, extra=extra)

    def admit(
        self, tenant: str, model_id: str, model: Model, inputs: str, max_tokens: int | None
    ) -> tuple[Plan, Reservation] | None:
        """Check the plan's models, rate limits and budget; None when failing open."""
        try:
            plan, active = self.plan_and_status(tenant)
        except Exception as exc:
            if not (_is_store_error(exc) or isinstance(exc, StoreUnavailable)):
                raise
            return self._unreachable(exc)
        if not active:
            raise Forbidden(f"tenant {tenant} is disabled")
        if plan.models and model_id not in plan.models:
            raise Forbidden(f"model {model_id} is not in tenant {tenant}'s plan")
        estimate = worst_case(model_id, model, inputs, max_tokens, self.catalog, self.region)
        try:
            return plan, self.store.reserve(tenant, plan, estimate)
        except (RateLimited, BudgetExhausted):
            raise
        except Exception as exc:
            if not _is_store_error(exc):
                raise
            return self._unreachable(exc)

    def _unreachable(self, exc: BaseException) -> None:
        if self.fail_open:
            self._warn("plan store unreachable; call admitted (PLANS_FAIL_OPEN)", error=str(exc))
            return None
        raise StoreUnavailable(
            "the spend counters cannot be reached, so the call was refused (plans fail closed); try again"
        ) from None

    def finish(self, admitted: tuple[Plan, Reservation] | None, actual: Decimal | None) -> None:
        """Settle to ``actual`` (the call succeeded) or release (``actual`` is None). Never raises:
        the model already answered or failed; a counter left wrong is found by the reconciliation."""
        if admitted is None:
            return
        plan, reservation = admitted
        try:
            if actual is None:
                self.store.release(reservation)
                return
            spend = self.store.settle(reservation, actual)
            if self.alerts is not None:
                self.alerts.announce(self.store, reservation.tenant, reservation.period, plan, spend)
        except Exception as exc:  # noqa: BLE001 - logged; the ledger stays the source of truth
            self._warn("plan counters not updated", error=str(exc), tenant=reservation.tenant)


def guarded(
    enforcer: Enforcer | None,
    tenant: str,
    request: Any,
    call: Callable[[], Any],
    done: Callable[[Any], None] | None = None,
    cost_of: Callable[[Any], Decimal] | None = None,
) -> Any:
    """Run ``call`` (the model call) under the tenant's plan: admit, call, then settle or release.

    ``done(outcome)`` runs as soon as the call succeeded (the usage line), before the counters are
    settled. ``request`` is invoke's parsed Request; ``cost_of(outcome)`` is the call's actual cost (default:
    the ``usage.cost`` invoke answers with). With
    ``enforcer`` None (plans off) this is just ``call()``. A refused call raises before ``call``
    runs, so it writes no usage line.
    """
    if enforcer is None:
        outcome = call()
        if done is not None:
            done(outcome)
        return outcome
    admitted = enforcer.admit(
        tenant, request.model_id, request.model, request.inputs, request.inference.get("maxTokens")
    )
    try:
        outcome = call()
    except BaseException as exc:
        # a call billed although it failed (a timed-out line at its bounds) settles to that cost
        enforcer.finish(admitted, getattr(exc, "billed_cost", None))
        raise
    if done is not None:
        done(outcome)  # the usage line is written before the counters: billing never waits on them
    enforcer.finish(admitted, (cost_of or _answered_cost)(outcome))
    return outcome


def _answered_cost(outcome: Any) -> Decimal:
    return Decimal(outcome.body[0]["usage"]["cost"])


@cache
def counter_client(region: str | None = None) -> Any:
    """The DynamoDB client of the invoke path: short timeouts and two attempts, so an unreachable
    store refuses (or admits, failing open) within seconds instead of retrying for the whole call."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"})
    return boto3.client("dynamodb", region_name=region, config=config)


@cache
def sns_client(region: str | None = None) -> Any:
    """Short timeouts: an alert is published after the model answered, inside the caller's request."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"})
    return boto3.client("sns", region_name=region, config=config)


def store_from_settings(settings: Any, client: Any) -> PlanStore:
    return PlanStore(
        client,
        settings.plans_table,
        default_plan=parse_default_plan(settings.default_plan),
        zone=time_zone(settings.plan_time_zone),
    )


def enforcer_from_settings(settings: Any, catalog: Catalog, logger: Any = None) -> Enforcer | None:
    """The invoke path's Enforcer, or None when PLANS_TABLE is not set (plans off)."""
    if not settings.plans_table:
        return None
    alerts = Alerts(sns_client(), settings.alerts_topic_arn) if settings.alerts_topic_arn else None
    return Enforcer(
        store=store_from_settings(settings, counter_client()),
        catalog=catalog,
        region=settings.bedrock_region,
        fail_open=settings.plans_fail_open,
        alerts=alerts,
        plan_cache_seconds=settings.plan_cache_seconds,
        logger=logger,
        tenants_table=settings.tenants_table,
    )


def tenants_status(store: PlanStore, tenants: Iterable[str]) -> list[dict[str, Any]]:
    period = store.period()
    return [status(t, store.get_plan(t), period, store.spend(t, period)) for t in tenants]


__all__ = [
    "Alerts",
    "Enforcer",
    "Estimate",
    "Period",
    "Plan",
    "PlanStore",
    "Reservation",
    "Spend",
    "apply_changes",
    "enforcer_from_settings",
    "guarded",
    "crossed",
    "period_at",
    "status",
    "worst_case",
]


# -- the two routes ---------------------------------------------------------------------------------
def plan_request(
    store: PlanStore, caller: Any, body: Any, admin_group: str, catalog: Catalog
) -> dict[str, Any]:
    """POST /tenant_plan (admins): ``{"tenant"}`` reads the plan, any plan field sets it."""
    if not caller.is_member(admin_group):
        raise Forbidden("only members of the admin group may read or change tenant plans")
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    tenant = check_tenant(body.get("tenant"))
    changes = {k: v for k, v in body.items() if k != "tenant"}
    stored = store.stored_plan(tenant)
    plan = stored or store.default_plan
    if changes:
        plan = store.put_plan(tenant, apply_changes(plan, changes, catalog))
        stored = plan
    return {"tenant": tenant, "default": stored is None, **plan.to_dict()}


def status_request(store: PlanStore, caller: Any, body: Any, admin_group: str) -> Any:
    """POST /tenant_status: a tenant's own status; an admin's for ``{"tenant"}`` or every tenant."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"tenant"})
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    tenant = body.get("tenant")
    if not caller.is_member(admin_group):
        if tenant not in (None, "", caller.tenant_id):
            raise Forbidden("a tenant may read only its own status")
        return tenants_status(store, [caller.tenant_id])[0]
    if tenant in (None, ""):
        return tenants_status(store, store.tenants(store.period()))
    return tenants_status(store, [check_tenant(tenant)])[0]
