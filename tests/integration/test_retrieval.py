"""ddb_cost_retrieval end to end: admins see every tenant, tenants only their own rows, Query only."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, rest_event

pytestmark = pytest.mark.integration

TENANTS = [f"tenant-{n}" for n in range(6)]
MODELS = [
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "amazon.nova-micro-v1:0",
    "us.meta.llama3-70b-instruct-v1:0",
]
DAYS = [(dt.date(2026, 11, 1) + dt.timedelta(days=n)).isoformat() for n in range(10)]


def seed_rows(stack, count: int = 120, seed: int = 11) -> list[dict]:
    """Write rows straight into the table (as the aggregator would) and return them."""
    rng = random.Random(seed)
    rows = {}
    for _ in range(count):
        tenant, model, day = rng.choice(TENANTS), rng.choice(MODELS), rng.choice(DAYS)
        rows[(tenant, day, model)] = {
            "pk": tenant,
            "sk": f"{day}#{model}",
            "date": day,
            "name": tenant,
            "model_id": model,
            "input_tokens": rng.randrange(1, 10**6),
            "output_tokens": rng.randrange(1, 10**6),
            "cache_read_input_tokens": 0,
            "cache_write_input_tokens": 0,
            "invocations": rng.randrange(1, 1000),
            "input_cost": f"0.{rng.randrange(1, 10**9):09d}",
            "output_cost": "0.00423",
            "cache_read_cost": "0",
            "cache_write_cost": "0",
            "total_cost": "1.5",
            "unpriced": False,
            "price_region": "us-east-1",
            "price_missing": False,
            "price_changed": False,
            "ttl": 1830211200,
        }
    requests = []
    for row in rows.values():
        item = {}
        for key, value in row.items():
            if isinstance(value, bool):
                item[key] = {"BOOL": value}
            elif isinstance(value, int) or key.endswith("_cost"):
                item[key] = {"N": str(value)}
            else:
                item[key] = {"S": value}
        requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), 25):
        stack.ddb.batch_write_item(RequestItems={stack.table_name: requests[start : start + 25]})
    return list(rows.values())


class RecordingDynamoDB:
    """Records the operations used; ``page_limit`` forces small pages (moto ignores the 1 MB page size)."""

    def __init__(self, client, page_limit: int | None = None):
        self.client = client
        self.page_limit = page_limit
        self.operations: list[str] = []

    def query(self, **kwargs):
        self.operations.append("query")
        if self.page_limit:
            kwargs["Limit"] = self.page_limit
        return self.client.query(**kwargs)

    def scan(self, **kwargs):
        self.operations.append("scan")
        return self.client.scan(**kwargs)


@pytest.fixture
def retrieval(stack, monkeypatch):
    rows = seed_rows(stack)
    module, logs = load_handler("ddb_cost_retrieval")
    recorder = RecordingDynamoDB(stack.ddb)
    monkeypatch.setattr(module, "aws_client", lambda name: recorder)

    def call(body=None, tenant="tenant-1", groups=None, raw_body=None):
        event = rest_event(
            "/ddb_cost_retrieval",
            body=body,
            raw_body=raw_body,
            claims=claims_for(tenant, username=f"user-of-{tenant}", groups=groups),
            request_id="req-get",
        )
        response = module.lambda_handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    call.rows = rows
    call.recorder = recorder
    return call


def keys(items) -> set[tuple[str, str, str]]:
    return {(i["pk"], i["date"], i["model_id"]) for i in items}


def expected_keys(rows, tenant=None, start=None, end=None, model=None) -> set[tuple[str, str, str]]:
    return {
        (r["pk"], r["date"], r["model_id"])
        for r in rows
        if (tenant is None or r["pk"] == tenant)
        and (start is None or r["date"] >= start)
        and (end is None or r["date"] <= end)
        and (model is None or r["model_id"] == model)
    }


def test_a_tenant_gets_only_its_own_rows_by_query(retrieval):
    status, payload = retrieval(tenant="tenant-2")
    assert status == 200
    assert keys(payload["body"]) == expected_keys(retrieval.rows, tenant="tenant-2")
    assert "scan" not in retrieval.recorder.operations


def test_items_carry_the_documented_fields_as_strings(retrieval):
    status, payload = retrieval(tenant="tenant-1")
    source = {(r["pk"], r["date"], r["model_id"]): r for r in retrieval.rows}
    for item in payload["body"]:
        row = source[(item["pk"], item["date"], item["model_id"])]
        for name in ("input_tokens", "output_tokens", "invocations", "cache_read_input_tokens"):
            assert item[name] == str(row[name])
        assert Decimal(item["input_cost"]) == Decimal(row["input_cost"])
        assert "E" not in item["input_cost"] and item["output_cost"] == "0.00423"
        assert item["total_cost"] == "1.5" and item["name"] == row["pk"]
        assert item["unpriced"] is False
        assert "ttl" not in item


def test_an_admin_gets_every_tenant(retrieval):
    status, payload = retrieval(tenant="ops", groups="admin")
    assert status == 200 and keys(payload["body"]) == expected_keys(retrieval.rows)


def test_an_admin_filters_by_tenant_model_and_dates(retrieval):
    body = {"tenant": "tenant-3", "model_id": MODELS[1], "start_date": DAYS[2], "end_date": DAYS[6]}
    status, payload = retrieval(body, tenant="ops", groups="[admin, users]")
    assert status == 200
    assert keys(payload["body"]) == expected_keys(retrieval.rows, "tenant-3", DAYS[2], DAYS[6], MODELS[1])


def test_an_admin_listing_by_dates_uses_the_date_index(retrieval):
    status, payload = retrieval({"start_date": DAYS[3], "end_date": DAYS[5]}, tenant="ops", groups="admin")
    assert status == 200
    assert keys(payload["body"]) == expected_keys(retrieval.rows, start=DAYS[3], end=DAYS[5])
    assert retrieval.recorder.operations == ["query"] * 3


def test_a_tenant_asking_for_another_tenant_gets_403(retrieval):
    status, payload = retrieval({"tenant": "tenant-4"}, tenant="tenant-1")
    assert status == 403 and payload["request_id"] == "req-get"
    assert retrieval.recorder.operations == []


def test_a_tenant_may_name_itself(retrieval):
    status, payload = retrieval({"tenant": "tenant-1"}, tenant="tenant-1")
    assert status == 200 and keys(payload["body"]) == expected_keys(retrieval.rows, tenant="tenant-1")


@pytest.mark.parametrize(
    ("body", "raw", "fragment"),
    [
        ({"start_date": "11/01/2026"}, None, "YYYY-MM-DD"),
        ({"end_date": "2026-02-30"}, None, "not a valid date"),
        ({"start_date": DAYS[5], "end_date": DAYS[1]}, None, "before start_date"),
        ({"tenant": 5}, None, "tenant"),
        ({"model_id": ["x"]}, None, "model_id"),
        ({"user": "x"}, None, "unknown field"),
        (None, "nope", "not valid JSON"),
        (None, "[1]", "JSON object"),
    ],
)
def test_bad_filters_get_400(retrieval, body, raw, fragment):
    status, payload = retrieval(body, raw_body=raw)
    assert status == 400 and fragment in payload["message"]


def test_missing_identity_is_401(retrieval, stack):
    module, _ = load_handler("ddb_cost_retrieval")
    event = rest_event("/ddb_cost_retrieval", body={}, claims=None)
    assert module.lambda_handler(event, LambdaContext())["statusCode"] == 401


def test_many_rows_are_paginated_to_the_end(stack, monkeypatch):
    # one tenant with 1,200 rows, read 100 per page
    requests = []
    for n in range(1200):
        item = {
            "pk": {"S": "big"},
            "sk": {"S": f"2026-11-01#model-{n:05d}"},
            "date": {"S": "2026-11-01"},
            "model_id": {"S": f"model-{n:05d}"},
            "input_tokens": {"N": "1"},
        }
        requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), 25):
        stack.ddb.batch_write_item(RequestItems={stack.table_name: requests[start : start + 25]})
    module, _ = load_handler("ddb_cost_retrieval")
    recorder = RecordingDynamoDB(stack.ddb, page_limit=100)
    monkeypatch.setattr(module, "aws_client", lambda name: recorder)
    event = rest_event("/ddb_cost_retrieval", body={}, claims=claims_for("big"))
    payload = json.loads(module.lambda_handler(event, LambdaContext())["body"])
    assert len(payload["body"]) == 1200
    assert {item["model_id"] for item in payload["body"]} == {f"model-{n:05d}" for n in range(1200)}
    assert recorder.operations.count("query") >= 12


# -- property: a non-admin never receives another tenant's row ----------------------------------

tenant_names = st.sampled_from([*TENANTS, "tenant-x", "Tenant-1", "tenant-1 ", "tenant"])
maybe_day = st.none() | st.sampled_from(["2026-10-30", *DAYS, "2026-11-20"])
filters = st.fixed_dictionaries(
    {},
    optional={
        "tenant": tenant_names,
        "model_id": st.sampled_from([*MODELS, "acme.other"]),
        "start_date": maybe_day,
        "end_date": maybe_day,
    },
)
non_admin_groups = st.sampled_from([None, "", "users", "[users, readers]", "admins", "Admin", ["users"]])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(caller=tenant_names, groups=non_admin_groups, body=filters)
def test_property_a_non_admin_never_receives_another_tenants_row(retrieval, caller, groups, body):
    status, payload = retrieval(body, tenant=caller, groups=groups)
    me = caller.strip()
    start, end = body.get("start_date"), body.get("end_date")
    if start and end and end < start:  # a malformed body is refused before anything is read
        assert status == 400
        return
    if body.get("tenant") not in (None, "") and body["tenant"] != me:
        assert status == 403
        return
    assert status == 200
    assert all(item["pk"] == me and item["name"] == me for item in payload["body"])
    assert keys(payload["body"]) == expected_keys(retrieval.rows, me, start, end, body.get("model_id"))


@pytest.mark.parametrize(
    ("caller", "groups", "body"),
    [
        ("tenant-2", None, {}),
        ("ops", "admin", {}),
        ("ops", "admin", {"start_date": DAYS[1], "end_date": DAYS[8]}),
        ("ops", "admin", {"tenant": "tenant-4", "model_id": MODELS[0]}),
    ],
)
def test_pages_join_up_to_the_whole_answer_in_order(retrieval, caller, groups, body):
    status, whole = retrieval(body, tenant=caller, groups=groups)
    assert status == 200 and "next_token" not in whole
    pages, token = [], None
    while True:
        page_body = {**body, "limit": 7}
        if token:
            page_body["next_token"] = token
        status, payload = retrieval(page_body, tenant=caller, groups=groups)
        assert status == 200 and len(payload["body"]) <= 7
        pages += payload["body"]
        token = payload.get("next_token")
        if not token:
            break
    assert pages == whole["body"]
    order = [(i["date"], i["pk"], i["model_id"]) for i in pages]
    assert len(set(order)) == len(order)
    if groups != "admin" or body.get("tenant") or body.get("start_date"):
        assert order == sorted(order)  # an admin's listing of every tenant without dates is in table order


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 0},
        {"limit": 5001},
        {"limit": "10"},
        {"next_token": "%%%"},
        {"next_token": "WyJ4Il0"},
        {"next_token": 5},
    ],
)
def test_bad_paging_gets_400(retrieval, body):
    status, payload = retrieval(body)
    assert status == 400 and payload["message"]


def test_a_tenant_cannot_page_into_another_tenant(retrieval):
    import base64

    token = base64.urlsafe_b64encode(json.dumps([DAYS[0], "tenant-0", ""]).encode()).decode().rstrip("=")
    status, payload = retrieval({"next_token": token}, tenant="tenant-5")
    assert status == 200 and all(item["pk"] == "tenant-5" for item in payload["body"])


def test_a_six_megabyte_body_of_unknown_keys_gets_a_small_400(retrieval):
    body = {f"unknown-field-{n:050d}": 1 for n in range(95_000)}
    raw = json.dumps(body)
    assert len(raw) > 6_600_000
    status, payload = retrieval(raw_body=raw)
    assert status == 400
    assert len(json.dumps(payload)) < 1000 and "(95000 in all)" in payload["message"]


class StrictDynamoDB(RecordingDynamoDB):
    """What real DynamoDB checks and moto does not: ``BETWEEN :lo AND :hi`` with lo > hi is a
    ValidationException. Also counts the items each read evaluated (what a read is billed for)."""

    def __init__(self, client, page_limit=None):
        super().__init__(client, page_limit)
        self.items_read = 0
        self.between: list[tuple[str, str]] = []

    def _count(self, page):
        self.items_read += page.get("ScannedCount", page.get("Count", 0))
        return page

    def query(self, **kwargs):
        if "BETWEEN" in kwargs.get("KeyConditionExpression", ""):
            values = kwargs["ExpressionAttributeValues"]
            lo, hi = values[":lo"]["S"], values[":hi"]["S"]
            self.between.append((lo, hi))
            if lo > hi:
                from botocore.exceptions import ClientError

                raise ClientError(
                    {"Error": {"Code": "ValidationException", "Message": "Invalid KeyConditionExpression"}},
                    "Query",
                )
        return self._count(super().query(**kwargs))

    def scan(self, **kwargs):
        return self._count(super().scan(**kwargs))


def token_at(day: str, tenant: str = "", model: str = "") -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps([day, tenant, model]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("tenant", "groups"), [("tenant-1", None), ("ops", "admin")])
def test_a_token_past_end_date_answers_an_empty_page_without_an_inverted_range(
    retrieval, monkeypatch, tenant, groups
):
    strict = StrictDynamoDB(retrieval.recorder.client)
    module, _ = load_handler("ddb_cost_retrieval")
    monkeypatch.setattr(module, "aws_client", lambda name: strict)
    body = {"start_date": DAYS[0], "end_date": DAYS[3], "next_token": token_at(DAYS[6], "tenant-1")}
    if groups:
        body["tenant"] = "tenant-1"
    event = rest_event("/ddb_cost_retrieval", body=body, claims=claims_for(tenant, groups=groups))
    response = module.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"]) == {"body": []}
    assert all(lo <= hi for lo, hi in strict.between)


def test_an_admin_listing_without_dates_reads_each_item_about_once(stack, monkeypatch):
    # Given 2,800 rows: 28 tenants x 100 days, one model
    day0 = dt.date(2026, 1, 1)
    requests = [
        {
            "PutRequest": {
                "Item": {
                    "pk": {"S": f"t-{t:02d}"},
                    "sk": {"S": f"{day0 + dt.timedelta(days=d)}#m"},
                    "date": {"S": str(day0 + dt.timedelta(days=d))},
                    "model_id": {"S": "m"},
                    "input_tokens": {"N": "1"},
                }
            }
        }
        for t in range(28)
        for d in range(100)
    ]
    for start in range(0, len(requests), 25):
        stack.ddb.batch_write_item(RequestItems={stack.table_name: requests[start : start + 25]})
    module, _ = load_handler("ddb_cost_retrieval")
    strict = StrictDynamoDB(stack.ddb)
    monkeypatch.setattr(module, "aws_client", lambda name: strict)
    # When an admin pages through everything, 100 rows a page
    seen, token, pages = [], None, 0
    while True:
        body = {"limit": 100, **({"next_token": token} if token else {})}
        event = rest_event("/ddb_cost_retrieval", body=body, claims=claims_for("ops", groups="admin"))
        payload = json.loads(module.lambda_handler(event, LambdaContext())["body"])
        pages += 1
        seen += [(i["pk"], i["date"]) for i in payload["body"]]
        token = payload.get("next_token")
        if not token:
            break
    # Then every row comes once, in 28 full pages (and perhaps one empty last page) ...
    assert len(seen) == 2800 and len(set(seen)) == 2800
    assert pages in (28, 29)
    # ... and the reads evaluate each item about once: 2,800, not 28 x 2,800 = 78,400
    assert 2800 <= strict.items_read <= 2800 + 100


def test_a_tenant_cannot_use_a_scan_token_to_read_other_rows(retrieval):
    import base64

    token = base64.urlsafe_b64encode(json.dumps({"pk": "tenant-0", "sk": DAYS[0]}).encode()).decode()
    status, payload = retrieval({"next_token": token.rstrip("=")}, tenant="tenant-5")
    assert status == 400 and "next_token" in payload["message"]
    # the same token is an admin's scan position, and a tenant's position token is not
    assert retrieval({"next_token": token.rstrip("=")}, tenant="ops", groups="admin")[0] == 200
    status, payload = retrieval({"next_token": token_at(DAYS[0], "tenant-0")}, tenant="ops", groups="admin")
    assert status == 400 and "next_token" in payload["message"]
