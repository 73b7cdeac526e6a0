"""Tenant plans through the real invoke_model handler, counters on the moto server.

Bedrock is a small fake client (thread-safe, unlike botocore's Stubber): it answers each call
with the worst case the plan reserved for it (the prompt's UTF-8 bytes + 16 input tokens, and
``maxTokens`` output tokens), so actual cost equals the reservation and the budget is tested at
its edge. Its failure modes raise the botocore errors Bedrock raises.

moto's threaded server is NOT serialized: it checks a condition and applies the update in
separate steps of one request thread, and under 16 clients two conditional updates both passed
(53 calls admitted for a budget of 50). DynamoDB applies each conditional write atomically, so the
concurrency test runs against a moto server that handles one request at a time
(``start_serial_moto_server``), which gives that atomicity; the handlers still run in 16 threads.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from token_profiler import plans, reconcile
from token_profiler.plans import Plan, PlanStore
from token_profiler.signing import sign
from token_profiler.storage import UsageTable

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, log_records, rest_event
from tests.support.moto_server import start_serial_moto_server
from tests.support.timezones import ZONES, local_time_zone
from tests.support.usage_lines import TEST_KEYRING

pytestmark = pytest.mark.integration

REGION = "us-east-1"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "hello"
MAX_TOKENS = 100
CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "functions" / "token_profiler" / "catalog.json").read_text()
)
FIXED_NOW = dt.datetime(2026, 11, 30, 5, 12, 7, tzinfo=dt.UTC)


def call_cost(model_id: str = SONNET, prompt: str = PROMPT, max_tokens: int = MAX_TOKENS) -> Decimal:
    """One call's cost at the fake's worst-case usage, from catalog.json's strings."""
    price = CATALOG["models"][model_id]["prices"]["us-east-1"]
    input_tokens = len(prompt.encode("utf-8")) + 16
    return (input_tokens * Decimal(price["input"]) + max_tokens * Decimal(price["output"])) / 1000


def create_plans_table(client, name: str) -> None:
    schema = json.loads(plans.PLANS_SCHEMA_PATH.read_text())
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in schema["attributes"]
        ],
        KeySchema=[
            {"AttributeName": schema["hash_key"], "KeyType": "HASH"},
            {"AttributeName": schema["range_key"], "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


class FakeBedrock:
    """converse() answering with the worst-case usage, or raising ``fail`` (a ClientError code)."""

    def __init__(self):
        self.fail: str | None = None
        self.calls = 0
        self.lock = threading.Lock()

    def converse(self, **kwargs):
        with self.lock:
            self.calls += 1
        if self.fail == "ReadTimeout":
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.fake")
        if self.fail:
            status = 429 if self.fail == "ThrottlingException" else 500
            raise ClientError(
                {
                    "Error": {"Code": self.fail, "Message": "fake"},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                },
                "Converse",
            )
        text = kwargs["messages"][0]["content"][0]["text"]
        output = kwargs.get("inferenceConfig", {}).get("maxTokens", 4096)
        usage = {"inputTokens": len(text.encode("utf-8")) + 16, "outputTokens": output}
        usage["totalTokens"] = usage["inputTokens"] + output
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
            "stopReason": "end_turn",
            "usage": usage,
        }


@pytest.fixture
def plan_env(aws_env, signing_secret, monkeypatch):
    """A plans table on moto and a factory of cold-started invoke_model handlers using it."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    table = f"plans-{uuid.uuid4().hex[:10]}"
    create_plans_table(ddb, table)
    monkeypatch.setenv("PLANS_TABLE", table)
    monkeypatch.setenv("BEDROCK_REGION", REGION)
    monkeypatch.delenv("ENABLED_MODELS", raising=False)
    bedrock = FakeBedrock()

    class Env:
        def __init__(self):
            self.ddb = ddb
            self.table = table
            self.bedrock = bedrock
            self.store = PlanStore(ddb, table)

        def handler(self, clock=None, **env):
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            module, logs = load_handler("invoke_model")
            monkeypatch.setattr(module, "get_client", lambda *args: bedrock)
            if clock is not None and module.ENFORCER is not None:
                module.ENFORCER.store.clock = clock

            def call(tenant="tenant-p", model_id=SONNET, max_tokens=MAX_TOKENS, prompt=PROMPT):
                event = rest_event(
                    "/invoke_model",
                    body={"inputs": prompt, "parameters": {"maxTokenCount": max_tokens}},
                    claims=claims_for(tenant),
                    query={"model_id": model_id},
                )
                response = module.lambda_handler(event, LambdaContext())
                return response, json.loads(response["body"])

            module.call = call
            module.logs = logs
            return module

        def counters(self, tenant="tenant-p", period="2026-11"):
            item = ddb.get_item(
                TableName=table,
                Key={"pk": {"S": tenant}, "sk": {"S": f"period#{period}"}},
                ConsistentRead=True,
            ).get("Item", {})
            # money is stored in whole units of 10^-18 US$ (plans.MONEY_SCALE)
            money_fields = {"committed", "settled"}
            return {
                k: Decimal(v["N"]) / 10**18 if k in money_fields else Decimal(v["N"])
                for k, v in item.items()
                if "N" in v and k != "ttl" and not k.startswith(plans.DAY_PREFIX)  # the period's totals
            }

    return Env()


def usage_lines(logs) -> list[dict]:
    return [r for r in log_records(logs) if r.get("message") == "TOKEN_USAGE"]


def fixed_clock(moment: dt.datetime):
    return lambda: moment


@pytest.fixture
def serial_aws(aws_env, monkeypatch):
    url, stop = start_serial_moto_server()
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    stop()


def test_sixteen_clients_never_pass_a_hard_budget(serial_aws, plan_env):
    # Given a hard budget of 50.5 calls' worst case
    cost = call_cost()
    budget = cost * Decimal("50.5")
    most = int(budget // cost)  # 50: computed here, not by the code under test
    plan_env.store.put_plan("tenant-p", Plan(monthly_budget_usd=budget, hard=True, alert_thresholds=()))
    handlers = [plan_env.handler(clock=fixed_clock(FIXED_NOW)) for _ in range(16)]
    assert plan_env.ddb.meta.endpoint_url == serial_aws
    statuses: list[int] = []
    refusals: list[dict] = []
    lock = threading.Lock()

    # When 16 clients call until the budget refuses them
    def client(module):
        while True:
            response, body = module.call()
            with lock:
                statuses.append(response["statusCode"])
            if response["statusCode"] == 402:
                with lock:
                    refusals.append(body)
                return
            assert response["statusCode"] == 200, body

    threads = [threading.Thread(target=client, args=(m,)) for m in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then the settled spend is within the budget and the accepted calls are the most it allows
    accepted = statuses.count(200)
    counters = plan_env.counters()
    print(
        f"\nconcurrency: budget {budget} USD, per call {cost} USD, most {most}, "
        f"accepted {accepted}, settled {counters['settled']} USD, refused {statuses.count(402)}"
    )
    assert counters["settled"] <= budget
    assert most - 1 <= accepted <= most
    assert counters["settled"] == cost * accepted
    assert counters["committed"] == counters["settled"]  # nothing left reserved
    assert plan_env.bedrock.calls == accepted  # refused calls never reached Bedrock
    assert sum(len(usage_lines(m.logs)) for m in handlers) == accepted
    assert len(refusals) == 16
    assert all("budget" in r["message"] and "2026-12-01T00:00:00+00:00" in r["message"] for r in refusals)


def test_requests_per_minute_admit_exactly_the_limit_per_window(plan_env):
    plan_env.store.put_plan("tenant-p", Plan(requests_per_minute=5))
    moment = {"now": FIXED_NOW}
    module = plan_env.handler(clock=lambda: moment["now"])
    first = [module.call() for _ in range(8)]
    assert [r["statusCode"] for r, _ in first] == [200] * 5 + [429] * 3
    waits = {
        str(r.get("multiValueHeaders", {}).get("Retry-After", r.get("headers", {}).get("Retry-After")))
        for r, _ in first[5:]
    }
    assert waits <= {str(60 - FIXED_NOW.second), str([str(60 - FIXED_NOW.second)])}, waits
    assert "5 requests per minute" in first[5][1]["message"]
    moment["now"] = FIXED_NOW + dt.timedelta(minutes=1)
    second = [module.call()[0]["statusCode"] for _ in range(7)]
    assert second == [200] * 5 + [429] * 2
    assert len(usage_lines(module.logs)) == 10
    print("\nrate limit: 5 requests per minute -> accepted 5 + 5 in two windows, 5 refused with 429")


def test_tokens_per_minute_admit_what_fits_per_window(plan_env):
    per_call = len(PROMPT.encode()) + 16 + MAX_TOKENS  # 121 tokens reserved per call
    limit = per_call * 3 + per_call // 2
    plan_env.store.put_plan("tenant-p", Plan(tokens_per_minute=limit))
    moment = {"now": FIXED_NOW}
    module = plan_env.handler(clock=lambda: moment["now"])
    codes = [module.call()[0]["statusCode"] for _ in range(5)]
    assert codes == [200] * 3 + [429] * 2
    moment["now"] = FIXED_NOW + dt.timedelta(minutes=1)
    assert [module.call()[0]["statusCode"] for _ in range(4)] == [200] * 3 + [429]
    # a call larger than the whole per-minute limit is refused with advice, in any window
    response, body = module.call(max_tokens=limit)
    assert response["statusCode"] == 429 and "maxTokenCount" in body["message"]
    print(f"\nrate limit: {limit} tokens per minute, {per_call} per call -> accepted 3 per window")


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 429), ("InternalServerException", 502)])
def test_a_failed_bedrock_call_releases_its_reservation(plan_env, code, status):
    cost = call_cost()
    plan_env.store.put_plan("tenant-p", Plan(monthly_budget_usd=cost * 3, hard=True))
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW))
    assert module.call()[0]["statusCode"] == 200
    plan_env.bedrock.fail = code
    for _ in range(5):  # more failures than the budget has room for: each gave its reservation back
        assert module.call()[0]["statusCode"] == status
    assert plan_env.counters() == {"committed": cost, "settled": cost, "calls": 1}
    plan_env.bedrock.fail = None
    assert [module.call()[0]["statusCode"] for _ in range(3)] == [200, 200, 402]
    assert len(usage_lines(module.logs)) == 3


def test_a_timed_out_call_settles_to_what_its_usage_line_bills(plan_env):
    # a call we stopped waiting for is billed at its bounds (issue 13): the plan counts that spend
    plan_env.store.put_plan("tenant-p", Plan(monthly_budget_usd=call_cost() * 3, hard=True))
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW))
    plan_env.bedrock.fail = "ReadTimeout"
    assert module.call()[0]["statusCode"] == 504
    (record,) = usage_lines(module.logs)
    line = record["token_usage"]
    assert line["timed_out"] is True
    # the bounds: input estimated at 3 characters a token (rounded up), output = maxTokens sent
    assert (line["input_tokens"], line["output_tokens"]) == (-(-len(PROMPT) // 3), MAX_TOKENS)
    price = CATALOG["models"][SONNET]["prices"]["us-east-1"]
    billed = (2 * Decimal(price["input"]) + MAX_TOKENS * Decimal(price["output"])) / 1000
    assert plan_env.counters() == {"committed": billed, "settled": billed, "calls": 1}


def test_a_model_outside_the_plan_is_forbidden_by_name(plan_env):
    plan_env.store.put_plan("tenant-p", Plan(models=(HAIKU,)))
    module = plan_env.handler()
    response, body = module.call(model_id=SONNET)
    assert response["statusCode"] == 403
    assert SONNET in body["message"]
    assert plan_env.bedrock.calls == 0
    assert module.call(model_id=HAIKU)[0]["statusCode"] == 200


def test_an_unreachable_store_refuses_unless_fail_open(plan_env, monkeypatch):
    module = plan_env.handler(PLANS_TABLE="no-such-table")
    response, body = module.call()
    assert response["statusCode"] == 503
    assert "refused" in body["message"] and body["request_id"]
    assert plan_env.bedrock.calls == 0 and not usage_lines(module.logs)
    module = plan_env.handler(PLANS_TABLE="no-such-table", PLANS_FAIL_OPEN="true")
    assert module.call()[0]["statusCode"] == 200
    assert len(usage_lines(module.logs)) == 1


def test_default_plan_from_the_environment_applies_to_a_tenant_without_a_plan(plan_env):
    cost = call_cost()
    default = {"monthly_budget_usd": str(cost * 2), "hard": True}
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW), DEFAULT_PLAN=json.dumps(default))
    assert [module.call(tenant="fresh")[0]["statusCode"] for _ in range(3)] == [200, 200, 402]


def test_soft_budget_admits_past_the_budget(plan_env):
    cost = call_cost()
    plan_env.store.put_plan("tenant-p", Plan(monthly_budget_usd=cost, hard=False))
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW))
    assert [module.call()[0]["statusCode"] for _ in range(3)] == [200] * 3
    assert plan_env.counters()["settled"] == cost * 3


def test_plans_off_makes_no_dynamodb_call(plan_env, monkeypatch):
    monkeypatch.delenv("PLANS_TABLE")
    module = plan_env.handler()
    assert module.ENFORCER is None
    assert module.call()[0]["statusCode"] == 200


# -- the routes -------------------------------------------------------------------------------------
ADMIN = claims_for("ops", username="admin-1", groups="admin")


@pytest.fixture
def routes(plan_env, monkeypatch):
    monkeypatch.setenv("ADMIN_GROUP", "admin")
    plan_module, _ = load_handler("tenant_plan")
    status_module, _ = load_handler("tenant_status")

    def call(module, path, body, claims):
        event = rest_event(path, body=body, claims=claims)
        response = module.lambda_handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    return {
        "plan": lambda body, claims=ADMIN: call(plan_module, "/tenant_plan", body, claims),
        "status": lambda body, claims: call(status_module, "/tenant_status", body, claims),
        "status_module": status_module,
    }


def test_admin_sets_and_reads_a_plan_and_a_tenant_is_refused(routes):
    status, body = routes["plan"]({"tenant": "t-9"})
    assert status == 200 and body["default"] is True and body["monthly_budget_usd"] is None
    status, body = routes["plan"](
        {
            "tenant": "t-9",
            "monthly_budget_usd": "12.50",
            "hard": True,
            "requests_per_minute": 30,
            "models": [SONNET],
        }
    )
    assert status == 200
    assert body == {
        "tenant": "t-9",
        "default": False,
        "monthly_budget_usd": "12.5",
        "hard": True,
        "alert_thresholds": [50, 80, 100],
        "requests_per_minute": 30,
        "tokens_per_minute": 0,
        "models": [SONNET],
    }
    # a later change keeps the other fields
    status, body = routes["plan"]({"tenant": "t-9", "tokens_per_minute": 1000})
    assert (body["tokens_per_minute"], body["requests_per_minute"], body["monthly_budget_usd"]) == (
        1000,
        30,
        "12.5",
    )
    status, body = routes["plan"]({"tenant": "t-9", "monthly_budget_usd": "5"}, claims_for("t-9"))
    assert status == 403 and "admin" in body["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "tenant"),
        ({"tenant": "t-9", "monthly_budget_usd": 12.5}, "monthly_budget_usd"),
        ({"tenant": "t-9", "requests_per_minute": -1}, "requests_per_minute"),
        ({"tenant": "t-9", "models": ["vendor.nothing-v1"]}, "vendor.nothing-v1"),
        ({"tenant": "t-9", "colour": "red"}, "colour"),
        ([], "JSON object"),
    ],
)
def test_bad_plan_input_is_a_400_naming_the_problem(routes, body, named):
    status, answer = routes["plan"](body)
    assert status == 400 and named in answer["message"]


def test_status_shows_live_spend_to_the_tenant_and_to_admins(routes, plan_env):
    cost = call_cost()
    routes["plan"]({"tenant": "t-a", "monthly_budget_usd": str(cost * 10)})
    module = plan_env.handler()
    for _ in range(3):
        assert module.call(tenant="t-a")[0]["statusCode"] == 200
    module.call(tenant="t-b")
    status, own = routes["status"]({}, claims_for("t-a"))
    assert status == 200
    assert own["tenant"] == "t-a"
    assert Decimal(own["spend_settled"]) == cost * 3
    assert own["spend_in_flight"] == "0"
    assert Decimal(own["remaining"]) == cost * 7
    assert own["plan"]["monthly_budget_usd"] == plans.money.money_str(cost * 10)
    now = dt.datetime.now(dt.UTC)
    assert own["period_start"] == f"{now.year:04d}-{now.month:02d}-01T00:00:00+00:00"
    # a tenant may not read another tenant
    status, body = routes["status"]({"tenant": "t-b"}, claims_for("t-a"))
    assert status == 403
    # an admin reads one, or all of them
    status, one = routes["status"]({"tenant": "t-b"}, ADMIN)
    assert status == 200 and Decimal(one["spend_settled"]) == cost and one["remaining"] is None
    status, every = routes["status"]({}, ADMIN)
    assert {s["tenant"] for s in every} >= {"t-a", "t-b"}
    status, body = routes["status"]({"tenant": "bad tenant"}, ADMIN)
    assert status == 400 and "tenant" in body["message"]


# -- alerts -----------------------------------------------------------------------------------------
def test_each_threshold_is_announced_once_per_period(plan_env, monkeypatch):
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    cost = call_cost()
    budget = cost * 10
    plan_env.store.put_plan("tenant-p", Plan(monthly_budget_usd=budget, hard=False))
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW), ALERTS_TOPIC_ARN=topic)

    def drain():
        messages = []
        while True:
            page = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not page.get("Messages"):
                return messages
            for message in page["Messages"]:
                messages.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    # 12 calls of a tenth of the budget each: 50% at call 5, 80% at call 8, 100% at call 10
    for _ in range(12):
        assert module.call()[0]["statusCode"] == 200
    messages = drain()
    assert sorted(m["threshold_percent"] for m in messages) == [50, 80, 100]
    by_threshold = {m["threshold_percent"]: m for m in messages}
    assert Decimal(by_threshold[50]["spend_usd"]) == cost * 5
    assert Decimal(by_threshold[80]["spend_usd"]) == cost * 8
    assert Decimal(by_threshold[100]["spend_usd"]) == cost * 10
    assert {(m["tenant"], m["period"], Decimal(m["budget_usd"])) for m in messages} == {
        ("tenant-p", "2026-11", budget)
    }
    # the same spend again in the same period (and from a new container) announces nothing
    module = plan_env.handler(clock=fixed_clock(FIXED_NOW), ALERTS_TOPIC_ARN=topic)
    for _ in range(12):
        assert module.call()[0]["statusCode"] == 200
    assert drain() == []
    # the next period starts afresh
    module = plan_env.handler(
        clock=fixed_clock(dt.datetime(2026, 12, 2, tzinfo=dt.UTC)), ALERTS_TOPIC_ARN=topic
    )
    for _ in range(5):
        module.call()
    assert [(m["period"], m["threshold_percent"]) for m in drain()] == [("2026-12", 50)]


# -- reconciliation ---------------------------------------------------------------------------------
def test_aggregation_reports_counter_drift_against_the_ledger(plan_env, stack, monkeypatch):
    # Given 4 calls with plans on (counters) whose usage lines reach the log group (the ledger)
    cost = call_cost()
    module = plan_env.handler()
    for _ in range(4):
        assert module.call(tenant="t-r")[0]["statusCode"] == 200
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    lines = [text for text in module.logs.getvalue().splitlines() if '"TOKEN_USAGE"' in text]
    assert len(lines) == 4
    stack.put_lines([(now_ms, text) for text in lines])
    monkeypatch.setenv("ADMIN_GROUP", "admin")
    aggregator, _ = load_handler("cost_tracking_manual")

    def drift_of(tenant):
        event = rest_event("/cost_track_manual", body={}, claims=ADMIN)
        response = aggregator.lambda_handler(event, LambdaContext())
        assert response["statusCode"] == 200, response["body"]
        report = json.loads(response["body"])["summary"]["drift"]
        return next(entry for entry in report if entry["tenant"] == tenant)

    # When the aggregation runs, the counters and the ledger agree
    entry = drift_of("t-r")
    assert Decimal(entry["counter_settled"]) == cost * 4
    assert Decimal(entry["counter_window"]) == Decimal(entry["ledger_window"]) == cost * 4
    assert Decimal(entry["drift"]) == 0 and entry["drift_by_day"] == {}
    # A call the counters missed (e.g. admitted failing open) shows as negative drift ...
    # (a genuine line of the deployment: signed with its key, as invoke_model signs)
    missed = json.loads(lines[0])
    usage = {k: v for k, v in missed["token_usage"].items() if k != "sig"}
    missed["token_usage"] = sign({**usage, "request_id": "missed-1"}, TEST_KEYRING)
    stack.put_lines([(now_ms, json.dumps(missed, separators=(",", ":")))])
    entry = drift_of("t-r")
    assert Decimal(entry["ledger_window"]) == cost * 5
    assert Decimal(entry["drift"]) == -cost
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert {day: Decimal(value) for day, value in entry["drift_by_day"].items()} == {today: -cost}
    # ... and taking the reported drift out of the counters clears it
    drift_by_day = {day: Decimal(value) for day, value in entry["drift_by_day"].items()}
    plan_env.store.correct("t-r", plan_env.store.period(), drift_by_day)
    assert Decimal(drift_of("t-r")["drift"]) == 0
    assert plan_env.counters("t-r", plan_env.store.period().key)["committed"] == cost * 5


def test_a_released_reservation_of_a_tiny_cost_leaves_a_readable_zero(plan_env):
    # a first call that fails leaves committed at exactly zero; the next call must still be counted
    module = plan_env.handler()
    plan_env.bedrock.fail = "ThrottlingException"
    assert module.call(model_id="amazon.nova-lite-v1:0", max_tokens=8)[0]["statusCode"] == 429
    plan_env.bedrock.fail = None
    response, body = module.call(model_id="amazon.nova-lite-v1:0", max_tokens=8)
    assert response["statusCode"] == 200, body
    counters = plan_env.counters("tenant-p", plan_env.store.period().key)
    assert counters["settled"] == counters["committed"] == Decimal(body[0]["usage"]["cost"])


def test_the_usage_line_is_written_before_the_counters_and_survives_a_failed_settle(plan_env):
    module = plan_env.handler()
    seen_at_settle = []

    def failing_settle(reservation, actual):
        seen_at_settle.append(len(usage_lines(module.logs)))
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem")

    module.ENFORCER.store.settle = failing_settle
    response, body = module.call()
    assert response["statusCode"] == 200, body
    assert seen_at_settle == [1]  # the line was already written when settling began
    assert len(usage_lines(module.logs)) == 1
    # the counters missed it: committed still holds the reservation, settled nothing (reconciliation shows it)
    assert plan_env.counters("tenant-p", plan_env.store.period().key).get("settled", Decimal(0)) == 0


@pytest.mark.parametrize("zone", ZONES)
def test_reconciliation_compares_the_same_utc_days_whatever_the_plan_time_zone(plan_env, stack, zone):
    """A period in PLAN_TIME_ZONE starts hours away from a UTC midnight, the ledger's days are UTC
    days: the comparison must cover the same instants on both sides, and find no drift when the
    counters and the ledger hold the same calls."""
    utc, local = dt.UTC, ZoneInfo(zone)
    at = lambda text: dt.datetime.fromisoformat(text).replace(tzinfo=utc)  # noqa: E731
    # calls around both ends of November in UTC, New York (UTC-4 on 1 Nov) and Tokyo (UTC+9)
    instants = [
        at("2026-10-31T10:00"),
        at("2026-10-31T16:00"),
        at("2026-10-31T23:30"),
        at("2026-11-01T02:00"),
        at("2026-11-01T05:00"),
        at("2026-11-15T12:00"),
        at("2026-11-16T00:30"),
    ]
    costs = [Decimal("0.000123456789") * (n + 1) for n in range(len(instants))]
    now, through = at("2026-11-16T01:00"), dt.date(2026, 11, 15)
    clock = {"now": now}
    store = PlanStore(plan_env.ddb, plan_env.table, zone=plans.time_zone(zone), clock=lambda: clock["now"])
    for moment, cost in zip(instants, costs, strict=True):
        clock["now"] = moment
        reservation = store.reserve("tenant-tz", Plan(), plans.Estimate(tokens=10, cost=cost))
        store.settle(reservation, cost)
    clock["now"] = now
    # the ledger: every call in the row of its UTC day (as the aggregation writes them)
    by_day: dict[str, Decimal] = {}
    for moment, cost in zip(instants, costs, strict=True):
        by_day[moment.date().isoformat()] = by_day.get(moment.date().isoformat(), Decimal(0)) + cost
    table = UsageTable(stack.ddb, stack.table_name)
    table.put_rows(
        [
            {"pk": "tenant-tz", "sk": f"{day}#{SONNET}", "date": day, "model_id": SONNET, "total_cost": total}
            for day, total in by_day.items()
        ]
    )

    # expected, from zoneinfo alone: November's start in the zone, the UTC days from that day on
    start = dt.datetime(2026, 11, 1, tzinfo=local).astimezone(utc)
    first_day = start.date()
    in_window = [c for m, c in zip(instants, costs, strict=True) if first_day <= m.date() <= through]
    in_november = [c for m, c in zip(instants, costs, strict=True) if m.astimezone(local).month == 11]
    in_both = [
        c
        for m, c in zip(instants, costs, strict=True)
        if m.astimezone(local).month == 11 and first_day <= m.date() <= through
    ]
    with local_time_zone("Pacific/Auckland"):  # the machine's own zone must not matter
        (entry,) = reconcile.drift(store, table, through)
    assert entry["tenant"] == "tenant-tz" and entry["period"] == "2026-11"
    assert entry["period_start"] == start.astimezone(local).isoformat()
    assert entry["window_start"] == f"{first_day.isoformat()}T00:00:00+00:00"
    assert entry["window_end"] == "2026-11-16T00:00:00+00:00"
    assert Decimal(entry["counter_settled"]) == sum(in_november)
    assert Decimal(entry["counter_window"]) == Decimal(entry["ledger_window"]) == sum(in_window)
    assert Decimal(entry["drift"]) == 0 and entry["drift_by_day"] == {}
    assert Decimal(entry["counter_outside_window"]) == sum(in_november) - sum(in_both)
    if zone != "UTC":
        # what comparing the period's total with the ledger's UTC days of the month would give
        month_days = sum(
            c for m, c in zip(instants, costs, strict=True) if dt.date(2026, 11, 1) <= m.date() <= through
        )
        assert sum(in_november) - costs[-1] != month_days

    # a call the counters missed on the period's first UTC day: negative drift on that day only
    missed = Decimal("0.5")
    day = first_day.isoformat()
    table.put_rows(
        [{"pk": "tenant-tz", "sk": f"{day}#{HAIKU}", "date": day, "model_id": HAIKU, "total_cost": missed}]
    )
    (entry,) = reconcile.drift(store, table, through)
    assert Decimal(entry["drift"]) == -missed
    assert {d: Decimal(v) for d, v in entry["drift_by_day"].items()} == {day: -missed}
    store.correct("tenant-tz", store.period(), {d: Decimal(v) for d, v in entry["drift_by_day"].items()})
    (entry,) = reconcile.drift(store, table, through)
    assert Decimal(entry["drift"]) == 0
    assert Decimal(entry["counter_settled"]) == sum(in_november) + missed
