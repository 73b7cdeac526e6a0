"""Aggregation runs (token_profiler.runs) on an in-memory stand-in for the DynamoDB client: what a
start, a success and a failure store, what POST /cost_track_manual answers about them, and the
run_id check."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from token_profiler import runs
from token_profiler.errors import BadRequest, NotFound

pytestmark = pytest.mark.unit

TABLE = "runs-table"
THIRTY_DAYS = 30 * 24 * 60 * 60


class ConditionFailed(Exception):
    pass


class FakeRunsTable:
    """The three DynamoDB calls RunStore makes, on a dict; it checks the table name, the key, the
    put's condition and the SET expression the way DynamoDB reads them."""

    def __init__(self):
        self.items: dict[str, dict] = {}
        self.get_calls: list[dict] = []

    def put_item(self, TableName, Item, ConditionExpression=None):  # noqa: N803 - boto3's names
        assert TableName == TABLE
        key = Item["run_id"]["S"]
        if ConditionExpression is not None:
            assert ConditionExpression == "attribute_not_exists(run_id)"
            if key in self.items:
                raise ConditionFailed(key)
        self.items[key] = dict(Item)

    def update_item(
        self, TableName, Key, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues
    ):  # noqa: N803
        assert TableName == TABLE
        item = self.items.setdefault(Key["run_id"]["S"], dict(Key))
        assert UpdateExpression.startswith("SET ")
        for assignment in UpdateExpression[4:].split(","):
            name, value = (part.strip() for part in assignment.split("="))
            name = ExpressionAttributeNames.get(name, name)
            item[name] = ExpressionAttributeValues[value]

    def get_item(self, TableName, Key, ConsistentRead=False):  # noqa: N803
        assert TableName == TABLE
        self.get_calls.append({"key": Key, "consistent": ConsistentRead})
        item = self.items.get(Key["run_id"]["S"])
        return {} if item is None else {"Item": item}


class Clock:
    def __init__(self, value: float):
        self.value = value

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def table():
    return FakeRunsTable()


DAYS = [dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]


def test_a_range_longer_than_the_sync_limit_runs_asynchronously():
    assert runs.needs_async(DAYS, 2) is True
    assert runs.needs_async(DAYS, 3) is False  # exactly the limit still fits in the request
    assert runs.needs_async(DAYS, 4) is False
    assert runs.needs_async([], 0) is False


@pytest.mark.parametrize("value", ["0123456789abcdef0123456789abcdef", "f" * 32, "0" * 32])
def test_a_run_id_of_32_lowercase_hex_characters_is_accepted(value):
    assert runs.check_run_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["0" * 31, "0" * 33, "A" * 32, "g" * 32, " " + "0" * 31, "x" + "0" * 32, "", None, 12345, ["0" * 32]],
)
def test_anything_else_is_refused_as_a_run_id(value):
    with pytest.raises(BadRequest) as info:
        runs.check_run_id(value)
    assert str(info.value) == "run_id must be the 32 hexadecimal characters a started run answered with"


def test_a_start_stores_a_running_run_kept_thirty_days(table):
    store = runs.RunStore(table, TABLE, now=Clock(1_780_000_000.9))
    run_id = store.record_start(DAYS, requested_by="alice")
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert table.items[run_id] == {
        "run_id": {"S": run_id},
        "status": {"S": "running"},
        "dates": {"S": '["2026-02-27", "2026-02-28", "2026-03-01"]'},
        "requested_by": {"S": "alice"},
        "started_at": {"N": "1780000000"},
        "ttl": {"N": str(1_780_000_000 + 2_592_000)},
    }


def test_every_start_gets_a_new_run_id(table):
    store = runs.RunStore(table, TABLE, now=Clock(10.0))
    ids = {store.record_start(DAYS, "alice") for _ in range(5)}
    assert len(ids) == 5
    assert set(table.items) == ids


def test_a_success_stores_the_summary_as_sorted_json_and_the_end_time(table):
    clock = Clock(100.0)
    store = runs.RunStore(table, TABLE, now=clock)
    run_id = store.record_start(DAYS, "bob")
    clock.value = 175.7
    store.record_success(run_id, {"rows": 4, "day": dt.date(2026, 3, 1), "cost": "0.5"})
    item = table.items[run_id]
    assert item["status"] == {"S": "succeeded"}
    # keys sorted, the date written as text
    assert item["summary"] == {"S": '{"cost": "0.5", "day": "2026-03-01", "rows": 4}'}
    assert item["finished_at"] == {"N": "175"}
    assert item["started_at"] == {"N": "100"}
    assert "error" not in item


def test_a_failure_stores_the_first_thousand_characters_of_the_reason(table):
    clock = Clock(5.0)
    store = runs.RunStore(table, TABLE, now=clock)
    run_id = store.record_start(DAYS, "bob")
    clock.value = 9.2
    reason = "QueryFailed: " + "x" * 987 + "TAIL-NOT-KEPT"
    store.record_failure(run_id, reason)
    item = table.items[run_id]
    assert item["status"] == {"S": "failed"}
    assert item["error"] == {"S": "QueryFailed: " + "x" * 987}
    assert len(item["error"]["S"]) == 1000
    assert item["finished_at"] == {"N": "9"}
    assert "summary" not in item


def test_status_of_a_running_run(table):
    store = runs.RunStore(table, TABLE, now=Clock(1.0))
    run_id = store.record_start(DAYS[:1], "carol")
    assert store.status_of(run_id) == {"run_id": run_id, "status": "running", "dates": ["2026-02-27"]}
    assert table.get_calls == [{"key": {"run_id": {"S": run_id}}, "consistent": True}]


def test_status_of_a_succeeded_run_holds_its_summary(table):
    store = runs.RunStore(table, TABLE, now=Clock(1.0))
    run_id = store.record_start(DAYS, "carol")
    store.record_success(run_id, {"rows_written": 7, "skipped": {"bad_json": 1}})
    assert store.status_of(run_id) == {
        "run_id": run_id,
        "status": "succeeded",
        "dates": ["2026-02-27", "2026-02-28", "2026-03-01"],
        "summary": {"rows_written": 7, "skipped": {"bad_json": 1}},
    }


def test_status_of_a_failed_run_holds_its_error(table):
    store = runs.RunStore(table, TABLE, now=Clock(1.0))
    run_id = store.record_start(DAYS, "carol")
    store.record_failure(run_id, "ThrottlingException")
    assert store.status_of(run_id) == {
        "run_id": run_id,
        "status": "failed",
        "dates": ["2026-02-27", "2026-02-28", "2026-03-01"],
        "error": "ThrottlingException",
    }


def test_status_of_an_unknown_run_is_not_found(table):
    store = runs.RunStore(table, TABLE)
    unknown = "ab" * 16
    with pytest.raises(NotFound) as info:
        store.status_of(unknown)
    assert str(info.value) == f"no aggregation run {unknown}"


def test_status_of_a_malformed_run_id_is_refused_before_reading(table):
    store = runs.RunStore(table, TABLE)
    with pytest.raises(BadRequest):
        store.status_of("../other")
    assert table.get_calls == []


def test_the_default_clock_is_the_wall_clock(table):
    import time

    before = int(time.time())
    run_id = runs.RunStore(table, TABLE).record_start(DAYS, "dave")
    after = int(time.time())
    started = int(table.items[run_id]["started_at"]["N"])
    assert before <= started <= after
    assert int(table.items[run_id]["ttl"]["N"]) - started == THIRTY_DAYS
    assert json.loads(table.items[run_id]["dates"]["S"]) == [d.isoformat() for d in DAYS]


def test_a_run_id_drawn_twice_never_overwrites_the_first_run(table, monkeypatch):
    # Given uuid4 drawing the same id twice (as unlikely as it is)
    import uuid

    same = uuid.UUID("0123456789abcdef0123456789abcdef")
    monkeypatch.setattr(uuid, "uuid4", lambda: same)
    store = runs.RunStore(table, TABLE, now=Clock(1.0))
    first = store.record_start(DAYS, "alice")
    # When a second run starts, the conditional put refuses it
    with pytest.raises(ConditionFailed):
        store.record_start(DAYS[:1], "mallory")
    # Then the first run is intact
    assert table.items[first]["requested_by"] == {"S": "alice"}
    assert store.status_of(first)["dates"] == ["2026-02-27", "2026-02-28", "2026-03-01"]
