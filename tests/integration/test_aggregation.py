"""The aggregator end to end on moto: CloudWatch Logs in, DynamoDB rows and an S3 CSV out.

Expected rows are computed here from the generated lines with Fractions, independently of the
code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import threading
from fractions import Fraction

import pytest
from token_profiler import jobs

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, rest_event
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.integration

# per 1,000 tokens: input, output, cache read, cache write (from the research notes, by hand)
PRICES = {
    "anthropic.claude-3-sonnet-20240229-v1:0": ("0.003", "0.015", "0", "0"),
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": ("0.0008", "0.004", "0.00008", "0.001"),
    "amazon.nova-micro-v1:0": ("0.000035", "0.00014", "0", "0"),
    "meta.llama3-70b-instruct-v1:0": ("0.00265", "0.0035", "0", "0"),
    "amazon.titan-embed-text-v2:0": ("0.00002", "0", "0", "0"),
    "acme.not-in-catalog-v1": None,
}
DECIMAL = re.compile(r"^\d+(\.\d+)?$")


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def day_start_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)


def generate(day: dt.date, count: int, seed: int, tenants: int = 12, prefix: str = "req"):
    """count usage lines spread over the day, plus what they must sum to."""
    rng = random.Random(seed)
    start = day_start_ms(day)
    span = 86_400_000 - 1
    if day == utc_today():
        span = max(1, int(dt.datetime.now(dt.UTC).timestamp() * 1000) - start - 60_000)
    events, records = [], []
    for n in range(count):
        model = rng.choice(list(PRICES))
        counts = [rng.randrange(0, 4000), rng.randrange(0, 2000), 0, 0]
        if model.startswith("us.anthropic"):
            counts[2], counts[3] = rng.randrange(0, 500), rng.randrange(0, 500)
        record = (f"tenant-{rng.randrange(tenants)}", model, *counts)
        records.append(record)
        message = usage_line(
            keyring=TEST_KEYRING,
            day=day.isoformat(),
            tenant=record[0],
            request_id=f"{prefix}-{seed}-{n}",
            model_id=model,
            input_tokens=counts[0],
            output_tokens=counts[1],
            cache_read=counts[2],
            cache_write=counts[3],
        )
        events.append((start + rng.randrange(0, span), message))
    return events, records


def expected_rows(records) -> dict[tuple[str, str], dict]:
    sums: dict[tuple[str, str], list[int]] = {}
    for tenant, model, *counts in records:
        acc = sums.setdefault((tenant, model), [0, 0, 0, 0, 0])
        for k in range(4):
            acc[k] += counts[k]
        acc[4] += 1
    out = {}
    for key, acc in sums.items():
        price = PRICES[key[1]]
        costs = (
            [Fraction(acc[k]) * Fraction(price[k]) / 1000 for k in range(4)] if price else [Fraction(0)] * 4
        )
        out[key] = {"tokens": acc, "costs": costs, "unpriced": price is None}
    return out


def assert_rows_match(items: list[dict], day: dt.date, expected: dict) -> None:
    assert len(items) == len(expected)
    for item in items:
        key = (item["pk"]["S"], item["model_id"]["S"])
        want = expected[key]
        assert item["sk"]["S"] == f"{day.isoformat()}#{key[1]}"
        assert item["date"]["S"] == day.isoformat() and item["name"]["S"] == key[0]
        tokens = [
            int(item[name]["N"])
            for name in (
                "input_tokens",
                "output_tokens",
                "cache_read_input_tokens",
                "cache_write_input_tokens",
                "invocations",
            )
        ]
        assert tokens == want["tokens"], key
        for name, cost in zip(
            ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost"), want["costs"], strict=True
        ):
            assert DECIMAL.match(item[name]["N"]), item[name]
            assert Fraction(item[name]["N"]) == cost, (key, name)
        assert Fraction(item["total_cost"]["N"]) == sum(want["costs"])
        assert item["unpriced"]["BOOL"] is want["unpriced"]
        ttl = int(item["ttl"]["N"])
        assert ttl == day_start_ms(day) // 1000 + 400 * 86_400


@pytest.fixture
def scheduled(stack):
    module, logs = load_handler("cost_tracking")

    def run(event):
        return module.lambda_handler(event, LambdaContext())

    run.module = module
    run.logs = logs
    return run


def test_a_day_of_25000_lines_is_counted_exactly(stack, scheduled, monkeypatch):
    # Given 25,000 usage lines over yesterday, plus foreign lines and repeated request ids
    day = utc_today() - dt.timedelta(days=1)
    events, records = generate(day, 25_000, seed=1)
    base = day_start_ms(day)
    junk = [
        (base + 1000, "START RequestId: 0f0e Version: $LATEST (TOKEN_USAGE)"),
        (base + 2000, '{"message":"TOKEN_USAGE","token_usage":{"schema_version":1}}'),
        (base + 3000, json.dumps({"message": "TOKEN_USAGE", "token_usage": {"schema_version": 2}})),
        (base + 4000, "TOKEN_USAGE but not json"),
    ]
    repeats = [(ts + 1, message) for ts, message in events[:3]]
    stack.put_lines(events + junk + repeats)
    # When yesterday is aggregated (the scheduled default)
    pages = []
    real_client = jobs.aws_client

    class CountingLogs:
        def __init__(self, client):
            self.client = client
            self.exceptions = client.exceptions

        def filter_log_events(self, **kwargs):
            page = self.client.filter_log_events(**kwargs)
            pages.append(len(page["events"]))
            return page

    counting = CountingLogs(real_client("logs"))
    monkeypatch.setattr(jobs, "aws_client", lambda name: counting if name == "logs" else real_client(name))
    result = scheduled({})
    assert len(pages) >= 3 and max(pages) <= 10_000  # read past the 10,000-row ceiling of one call
    # Then every (tenant, model) row holds the exact sums and prices
    summary = result["summary"]
    assert result["body"] == "Calculation Finished!"
    assert summary["dates"] == [day.isoformat()]
    assert (summary["lines_read"], summary["lines_counted"]) == (25_007, 25_000)
    assert (summary["lines_skipped"], summary["duplicates"]) == (4, 3)
    expected = expected_rows(records)
    assert summary["rows_written"] == len(expected)
    assert summary["tenants"] == len({tenant for tenant, _ in expected})
    assert any("acme.not-in-catalog-v1" in w for w in summary["warnings"])
    unpriced = sum(1 for tenant, model in expected if model == "acme.not-in-catalog-v1")
    assert (summary["unpriced_rows"], summary["price_missing_rows"]) == (unpriced, 0)
    items = stack.items()
    assert_rows_match(items, day, expected)
    # and the CSV report holds the same rows
    rows = list(csv.DictReader(io.StringIO(stack.report(day.isoformat()))))
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[(row["pk"], row["model_id"])]
        assert int(row["input_tokens"]) == want["tokens"][0]
        assert Fraction(row["total_cost"]) == sum(want["costs"])

    # Running the same day again leaves identical rows
    again = scheduled({"date": day.isoformat()})
    assert again["summary"]["rows_written"] == len(expected)
    assert stack.items() == items


class Killed(BaseException):
    """Stands in for the Lambda being killed: nothing catches it."""


def test_killed_midway_then_rerun_gives_identical_rows(stack, scheduled, monkeypatch):
    # Given a day whose rows take several DynamoDB batches
    day = utc_today() - dt.timedelta(days=1)
    events, records = generate(day, 3000, seed=2, tenants=40)
    stack.put_lines(events)
    expected = expected_rows(records)
    assert len(expected) > 60  # more than two batches of 25
    # When the run dies after its second batch
    from token_profiler.storage import UsageTable

    real = UsageTable._write_batch
    calls = {"n": 0}

    def dying(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed
        return real(self, batch)

    monkeypatch.setattr(UsageTable, "_write_batch", dying)
    with pytest.raises(Killed):
        scheduled({"date": day.isoformat()})
    assert len(stack.items()) == 50  # two batches landed
    # Then a rerun writes every row, exactly
    monkeypatch.setattr(UsageTable, "_write_batch", real)
    scheduled({"date": day.isoformat()})
    assert_rows_match(stack.items(), day, expected)


def test_two_runs_at_once_give_identical_rows(stack, scheduled):
    day = utc_today() - dt.timedelta(days=1)
    events, records = generate(day, 4000, seed=3, tenants=30)
    stack.put_lines(events)
    results, errors = [], []

    def worker():
        try:
            results.append(scheduled({"date": day.isoformat()}))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(results) == 2
    assert results[0]["summary"]["lines_counted"] == results[1]["summary"]["lines_counted"] == 4000
    assert_rows_match(stack.items(), day, expected_rows(records))


def test_a_late_line_for_yesterday_is_picked_up_by_rerunning_yesterday(stack, scheduled):
    day = utc_today() - dt.timedelta(days=1)
    events, records = generate(day, 500, seed=4, tenants=3)
    stack.put_lines(events)
    scheduled({})
    assert_rows_match(stack.items(), day, expected_rows(records))
    # a line stamped yesterday 23:59:59.999 arrives after the run (new stream, as a late flush would)
    late = ("tenant-0", "anthropic.claude-3-sonnet-20240229-v1:0", 1234, 567, 0, 0)
    message = usage_line(
        day=day.isoformat(),
        keyring=TEST_KEYRING,
        tenant=late[0],
        request_id="late-1",
        model_id=late[1],
        input_tokens=late[2],
        output_tokens=late[3],
    )
    stack.put_lines([(day_start_ms(day) + 86_400_000 - 1, message)])
    scheduled({"date": day.isoformat()})
    assert_rows_match(stack.items(), day, expected_rows([*records, late]))


def test_a_line_just_after_midnight_belongs_to_the_next_day(stack, scheduled):
    day = utc_today() - dt.timedelta(days=2)
    next_day = day + dt.timedelta(days=1)
    model = "amazon.nova-micro-v1:0"
    last_ms = day_start_ms(next_day) - 1
    stack.put_lines(
        [
            (
                last_ms,
                usage_line(
                    day=day.isoformat(),
                    keyring=TEST_KEYRING,
                    tenant="t-a",
                    request_id="a",
                    model_id=model,
                    input_tokens=100,
                    output_tokens=1,
                ),
            ),
            (
                last_ms + 1,
                usage_line(
                    day=next_day.isoformat(),
                    keyring=TEST_KEYRING,
                    tenant="t-a",
                    request_id="b",
                    model_id=model,
                    input_tokens=7,
                    output_tokens=1,
                ),
            ),
        ]
    )
    scheduled({"start_date": day.isoformat(), "end_date": next_day.isoformat()})
    items = stack.items()
    by_day = {item["date"]["S"]: item for item in items}
    assert int(by_day[day.isoformat()]["input_tokens"]["N"]) == 100
    assert int(by_day[next_day.isoformat()]["input_tokens"]["N"]) == 7


class FlakyDynamoDB:
    """Forwards to moto but hands back part of every batch as UnprocessedItems, as a throttled table does."""

    def __init__(self, client, rounds: int):
        self.client = client
        self.rounds = rounds
        self.calls = 0
        self.refused = 0

    def batch_write_item(self, RequestItems):  # noqa: N803 - boto3's argument name
        self.calls += 1
        if self.calls > self.rounds:
            return self.client.batch_write_item(RequestItems=RequestItems)
        ((table, requests),) = RequestItems.items()
        # write at least one item per call, so the writer's bounded retries always make progress
        half = max(1, len(requests) // 2)
        keep, refuse = requests[:half], requests[half:]
        self.refused += len(refuse)
        if keep:
            self.client.batch_write_item(RequestItems={table: keep})
        return {"UnprocessedItems": {table: refuse} if refuse else {}}

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_unprocessed_items_are_retried_without_loss(stack, scheduled, monkeypatch):
    day = utc_today() - dt.timedelta(days=1)
    events, records = generate(day, 2000, seed=5, tenants=25)
    stack.put_lines(events)
    flaky = FlakyDynamoDB(stack.ddb, rounds=24)
    real = jobs.aws_client
    monkeypatch.setattr(jobs, "aws_client", lambda name: flaky if name == "dynamodb" else real(name))
    monkeypatch.setattr("token_profiler.storage.time.sleep", lambda seconds: None)
    scheduled({"date": day.isoformat()})
    assert flaky.refused > 40 and flaky.calls > 24
    assert_rows_match(stack.items(), day, expected_rows(records))


def test_missing_log_group_gives_an_empty_day(stack, scheduled, monkeypatch):
    stack.logs.delete_log_group(logGroupName=stack.log_group)
    result = scheduled({})
    assert result["summary"]["lines_read"] == 0 and result["summary"]["rows_written"] == 0
    assert stack.items() == []


# -- the manual route ---------------------------------------------------------------------------


@pytest.fixture
def manual(stack, monkeypatch):
    monkeypatch.setenv("MAX_RANGE_DAYS", "7")
    module, logs = load_handler("cost_tracking_manual")

    def call(body=None, groups="admin", raw_body=None, tenant="ops"):
        event = rest_event(
            "/cost_track_manual",
            body=body,
            raw_body=raw_body,
            claims=claims_for(tenant, username="someone", groups=groups),
            request_id="req-manual",
        )
        response = module.lambda_handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    return call


def test_manual_run_aggregates_today_by_default(stack, manual):
    day = utc_today()
    events, records = generate(day, 300, seed=6, tenants=4)
    stack.put_lines(events)
    status, payload = manual()
    assert status == 200
    assert payload["body"] == "Calculation Finished!"
    assert payload["summary"]["dates"] == [day.isoformat()]
    assert payload["summary"]["lines_counted"] == 300
    assert_rows_match(stack.items(), day, expected_rows(records))


@pytest.mark.parametrize(
    "groups",
    [None, "", "users", "administrators", "[users, guests]", ["users"], "x,admin", "[admin]", "users,admin"],
)
def test_manual_run_is_for_admins_only(stack, manual, groups):
    stack.put_lines(generate(utc_today(), 10, seed=7)[0])
    status, payload = manual(groups=groups)
    assert status == 403 and payload["request_id"] == "req-manual"
    assert stack.items() == []


@pytest.mark.parametrize(
    "groups", ["admin", "[admin, users]", "[x,admin, admin]", ["users", "admin"], ["[admin]", "admin"]]
)
def test_every_shape_of_the_groups_claim_is_understood(stack, manual, groups):
    assert manual(groups=groups)[0] == 200


def test_manual_run_accepts_a_date_and_a_range(stack, manual):
    today = utc_today()
    status, payload = manual({"date": (today - dt.timedelta(days=3)).isoformat()})
    assert status == 200 and payload["summary"]["dates"] == [(today - dt.timedelta(days=3)).isoformat()]
    start, end = today - dt.timedelta(days=6), today
    status, payload = manual({"start_date": start.isoformat(), "end_date": end.isoformat()})
    assert status == 200 and len(payload["summary"]["dates"]) == 7


@pytest.mark.parametrize(
    ("body", "raw", "fragment"),
    [
        ({"date": "2026-13-01"}, None, "not a valid date"),
        ({"date": "yesterday"}, None, "YYYY-MM-DD"),
        ({"date": 20261126}, None, "YYYY-MM-DD"),
        ({"date": "FUTURE"}, None, "in the future"),
        ({"start_date": "2026-01-01"}, None, "go together"),
        ({"start_date": "PAST8", "end_date": "TODAY"}, None, "longer than the maximum of 7"),
        ({"start_date": "TODAY", "end_date": "PAST8"}, None, "before start_date"),
        ({"date": "TODAY", "start_date": "TODAY", "end_date": "TODAY"}, None, "either"),
        ({"tenant": "x"}, None, "unknown field"),
        (None, "{oops", "not valid JSON"),
        (None, "[]", "JSON object"),
    ],
)
def test_manual_run_rejects_bad_dates(stack, manual, body, raw, fragment):
    today = utc_today()
    words = {
        "FUTURE": (today + dt.timedelta(days=1)).isoformat(),
        "TODAY": today.isoformat(),
        "PAST8": (today - dt.timedelta(days=7)).isoformat(),
    }
    if body is not None:
        body = {k: words.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    status, payload = manual(body, raw_body=raw)
    assert status == 400
    assert fragment in payload["message"] and payload["request_id"] == "req-manual"
    assert stack.items() == []


@pytest.mark.parametrize(
    "body", [{"date": "0001-01-01"}, {"start_date": "1969-12-30", "end_date": "1970-01-02"}]
)
def test_a_day_before_1970_gets_400_naming_the_days_held(stack, manual, monkeypatch, body):
    status, payload = manual(body=body)
    today = utc_today()
    first = today - dt.timedelta(days=29)  # LOG_RETENTION_DAYS defaults to 30
    assert status == 400
    assert f"{first.isoformat()} to {today.isoformat()}" in payload["message"]
    assert stack.items() == []


def test_a_timed_out_line_is_billed_at_its_bounds_and_reported(stack, manual):
    today = utc_today()
    noon = int(dt.datetime.combine(today, dt.time(0, 0, 1), tzinfo=dt.UTC).timestamp() * 1000)
    sonnet = "anthropic.claude-3-sonnet-20240229-v1:0"
    stack.put_lines(
        [
            (
                noon,
                usage_line(
                    day=today.isoformat(),
                    tenant="t",
                    request_id="slow",
                    model_id=sonnet,
                    input_tokens=34,
                    output_tokens=1000,
                    timed_out=True,
                    keyring=TEST_KEYRING,
                ),
            ),  # noqa: E501
            (
                noon + 1,
                usage_line(
                    day=today.isoformat(),
                    tenant="t",
                    request_id="ok",
                    model_id=sonnet,
                    input_tokens=10,
                    output_tokens=20,
                    keyring=TEST_KEYRING,
                ),
            ),
        ]
    )
    status, payload = manual()
    assert status == 200
    assert payload["summary"]["lines_timed_out"] == 1
    assert any("timed out" in w for w in payload["summary"]["warnings"])
    (item,) = stack.items()
    assert (item["input_tokens"]["N"], item["output_tokens"]["N"]) == ("44", "1020")
    # 44 x 0.003 / 1000 + 1020 x 0.015 / 1000 = 0.000132 + 0.0153
    assert item["total_cost"]["N"] == "0.015432"


def test_a_run_emits_what_the_alarms_watch(stack, manual, capsys):
    from tests.integration.test_invoke_model import emf_records

    today = utc_today()
    start = int(dt.datetime.combine(today, dt.time(0, 0, 1), tzinfo=dt.UTC).timestamp() * 1000)
    stack.put_lines(
        [
            (
                start,
                usage_line(
                    day=today.isoformat(),
                    tenant="t",
                    request_id="a",
                    model_id="acme.unknown-v1",
                    input_tokens=1,
                    output_tokens=1,
                    keyring=TEST_KEYRING,
                ),
            ),  # noqa: E501
            (
                start + 1,
                usage_line(
                    day=today.isoformat(),
                    tenant="t",
                    request_id="b",
                    model_id="acme.unknown-v1",
                    input_tokens=1,
                    output_tokens=1,
                    keyring=TEST_KEYRING,
                ),
            ),  # noqa: E501
            (start + 2, '{"message":"TOKEN_USAGE","token_usage":{"schema_version":1}}'),
        ]
    )
    capsys.readouterr()
    status, payload = manual()
    assert status == 200 and payload["summary"]["lines_unpriced"] == 2
    (record,) = emf_records(capsys.readouterr().out)
    assert record["_dimensions"] == ["service"]
    assert (record["AggregationSucceeded"], record["UnpricedLines"], record["SkippedLines"]) == (1, 2, 1)
    assert record["RejectedUsageLines"] == 0  # every line here is signed or malformed, none forged
    # the two unknown-model lines make one unpriced row; no row lacks a Region's price
    assert (record["UnpricedRows"], record["PriceMissingRows"]) == (1, 0)


# -- manual runs longer than the API's 29 s ------------------------------------------------------


class HandOver:
    """Stands in for Lambda's asynchronous Invoke: records the call; the test then runs the
    scheduled aggregator with the payload, as Lambda would."""

    def __init__(self):
        self.calls: list[dict] = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        return {"StatusCode": 202}


@pytest.fixture
def runs_table(stack, monkeypatch):
    name = f"{stack.table_name}_runs"  # one per test: the moto server is shared
    stack.ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "run_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "run_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("RUNS_TABLE", name)
    monkeypatch.setenv("AGGREGATOR_FUNCTION", "demo_cost_tracking")
    monkeypatch.setenv("MANUAL_SYNC_MAX_DAYS", "1")
    handover = HandOver()
    real = jobs.aws_client
    monkeypatch.setattr(jobs, "aws_client", lambda name: handover if name == "lambda" else real(name))
    return handover


def test_a_long_manual_range_answers_202_and_its_status_follows_the_run(stack, runs_table, manual, scheduled):
    # Given three days of usage
    today = utc_today()
    days = [today - dt.timedelta(days=n) for n in (3, 2, 1)]
    all_records = {}
    for n, day in enumerate(days):
        events, records = generate(day, 200, seed=40 + n, tenants=3, prefix=f"long{n}")
        stack.put_lines(events)
        all_records[day] = records
    # When an admin asks for the range
    status, started = manual({"start_date": days[0].isoformat(), "end_date": days[-1].isoformat()})
    # Then the answer is 202 with a run id, and the run was handed to the aggregator asynchronously
    assert status == 202
    assert started["status"] == "running" and re.fullmatch(r"[0-9a-f]{32}", started["run_id"])
    assert started["dates"] == [d.isoformat() for d in days]
    [call] = runs_table.calls
    assert call["FunctionName"] == "demo_cost_tracking" and call["InvocationType"] == "Event"
    payload = json.loads(call["Payload"])
    assert payload == {
        "start_date": days[0].isoformat(),
        "end_date": days[-1].isoformat(),
        "run_id": started["run_id"],
    }
    assert stack.items() == []  # nothing aggregated within the request
    status, running = manual({"run_id": started["run_id"]})
    assert status == 200 and running["status"] == "running" and "summary" not in running
    # When the aggregator runs the handed-over event
    scheduled(payload)
    # Then the status holds the summary and the rows are every day's exact sums
    status, done = manual({"run_id": started["run_id"]})
    assert status == 200 and done["status"] == "succeeded"
    assert done["summary"]["dates"] == [d.isoformat() for d in days]
    assert done["summary"]["lines_counted"] == 600
    items = stack.items()
    for day in days:
        assert_rows_match(
            [i for i in items if i["date"]["S"] == day.isoformat()], day, expected_rows(all_records[day])
        )


def test_a_single_day_keeps_the_synchronous_answer(stack, runs_table, manual):
    status, payload = manual({"date": (utc_today() - dt.timedelta(days=1)).isoformat()})
    assert status == 200 and payload["body"] == "Calculation Finished!"
    assert runs_table.calls == []


def test_a_failed_run_is_recorded_with_its_reason(stack, runs_table, manual, scheduled, monkeypatch):
    today = utc_today()
    status, started = manual(
        {"start_date": (today - dt.timedelta(days=2)).isoformat(), "end_date": today.isoformat()}
    )
    assert status == 202
    payload = json.loads(runs_table.calls[0]["Payload"])
    stack.s3.delete_bucket(Bucket=stack.bucket)  # the CSV report cannot be written
    with pytest.raises(Exception, match="NoSuchBucket"):
        scheduled(payload)
    status, failed = manual({"run_id": started["run_id"]})
    assert status == 200 and failed["status"] == "failed" and "NoSuchBucket" in failed["error"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"run_id": "not-a-run"}, 400, "32 hexadecimal"),
        ({"run_id": 12}, 400, "32 hexadecimal"),
        ({"run_id": "0" * 32}, 404, "no aggregation run"),
        ({"run_id": "0" * 32, "date": "2026-01-01"}, 400, "run_id alone"),
    ],
)
def test_reading_a_run_checks_the_id(stack, runs_table, manual, body, status, fragment):
    answer_status, payload = manual(body)
    assert answer_status == status and fragment in payload["message"]


def test_only_admins_read_a_run(stack, runs_table, manual):
    today = utc_today()
    _, started = manual(
        {"start_date": (today - dt.timedelta(days=1)).isoformat(), "end_date": today.isoformat()}
    )
    status, _ = manual({"run_id": started["run_id"]}, groups="users")
    assert status == 403
