"""retrieve() on an in-memory table: who sees what, every filter, pages, and the answer's shape.

The expected answer of each case is worked out here from the seeded rows with plain Python
filters and sorts, never by calling the retrieval code.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from token_profiler import retrieval
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, Forbidden
from token_profiler.storage import UsageTable

from tests.support.memory_dynamodb import MemoryDynamoDB

pytestmark = pytest.mark.unit

ADMIN_GROUP = "admin"
TENANTS = ("tenant-a", "tenant-b", "tenant-c")
MODELS = (
    "amazon.nova-micro-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.meta.llama3-70b-instruct-v1:0",
)
FIRST = dt.date(2025, 10, 1)
# days spread over more than a year, so the admin's long ranges read the whole table
DAYS = [(FIRST + dt.timedelta(days=n)).isoformat() for n in (0, 1, 2, 5, 40, 364, 365, 366, 367, 420)]
# the answer's numeric fields, as docs/api.md lists them
COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "invocations",
)
COSTS = ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost", "total_cost")
# the per-1K prices a row was billed at (rows written before rows recorded them have none)
PRICES = ("price_input", "price_output", "price_cache_read", "price_cache_write", "price_cache_write_1h")


def make_rows(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for tenant in TENANTS:
        for day in DAYS:
            for model in MODELS:
                if rng.random() < 0.35:
                    continue
                row = {"pk": tenant, "sk": f"{day}#{model}", "date": day, "name": tenant, "model_id": model}
                for name in COUNTS:
                    row[name] = rng.randrange(0, 10**7)
                for name in COSTS:
                    # normalized decimal strings: what the answer must show, digit for digit
                    row[name] = f"{rng.randrange(0, 10**4)}.{rng.randrange(1, 10**6):06d}".rstrip("0")
                row["unpriced"] = rng.random() < 0.3
                flag = rng.random() < 0.3
                if rng.random() < 0.25:
                    row["price_fallback"] = flag  # a row written before price_missing replaced it
                else:
                    row["price_missing"] = flag
                row["price_changed"] = rng.random() < 0.3
                row["price_region"] = rng.choice(["", "us-east-1", "eu-west-1+us-east-1"])
                row["ttl"] = 1_900_000_000
                if rng.random() < 0.5:
                    for name in PRICES:
                        row[name] = f"0.{rng.randrange(1, 10**5):05d}".rstrip("0")
                    row["price_as_of"] = "2025-09-30"
                    row["price_tier"] = rng.choice(["standard", "flex", "long_context"])
                rows.append(row)
    return rows


ROWS = make_rows()


def stored(row: dict) -> dict:
    """The row as the aggregator writes it: costs as Decimal."""
    return {key: Decimal(value) if key in COSTS + PRICES else value for key, value in row.items()}


def shown(row: dict) -> dict:
    """The API's item for a row, written out field by field."""
    item = {key: row[key] for key in ("date", "pk", "sk", "name", "model_id")}
    item.update({name: str(row[name]) for name in COUNTS})
    item.update({name: row[name] for name in COSTS})
    item.update(unpriced=row["unpriced"], price_region=row["price_region"])
    item["price_missing"] = (
        row["price_missing"] if "price_missing" in row else row.get("price_fallback", False)
    )
    item["price_changed"] = row.get("price_changed", False)
    item.update({name: row.get(name, "") for name in PRICES})
    item["price_tier"] = row.get("price_tier", "")
    item["price_as_of"] = row.get("price_as_of", "")
    return item


def expected(*, tenant=None, start=None, end=None, model=None) -> list[dict]:
    rows = [
        row
        for row in ROWS
        if (tenant is None or row["pk"] == tenant)
        and (start is None or row["date"] >= start)
        and (end is None or row["date"] <= end)
        and (model is None or row["model_id"] == model)
    ]
    return [shown(row) for row in sorted(rows, key=lambda row: (row["date"], row["pk"], row["model_id"]))]


def in_order(items: list[dict]) -> list[dict]:
    """Items in (date, tenant, model) order: an admin listing that scans comes in the table's order."""
    return sorted(items, key=lambda item: (item["date"], item["pk"], item["model_id"]))


def scans(caller, filters) -> bool:
    """Whether this listing pages through the table itself, worked out from the rule as documented:
    an admin, no tenant, and no date range of fewer than 366 days."""
    if caller is not ADMIN or "tenant" in filters:
        return False
    start, end = filters.get("start_date"), filters.get("end_date")
    if start is None or end is None:
        return True
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days >= 366


@pytest.fixture
def client():
    memory = MemoryDynamoDB("usage", page_size=4)
    UsageTable(memory, "usage").put_rows([stored(row) for row in ROWS])
    memory.calls.clear()
    return memory


@pytest.fixture
def table(client):
    return UsageTable(client, "usage")


ADMIN = Caller("operator", frozenset({"users", ADMIN_GROUP}))
TENANT_B = Caller("tenant-b", frozenset({"users"}))


def read_all(table, caller, body) -> list[dict]:
    """Every page of an answer, following next_token, joined."""
    items, token = retrieval.retrieve(table, caller, body, ADMIN_GROUP)
    pages = 1
    while token is not None:
        more, token = retrieval.retrieve(table, caller, {**body, "next_token": token}, ADMIN_GROUP)
        items += more
        pages += 1
        assert pages < 500
    return items


def test_the_seed_covers_every_case():
    assert len(ROWS) > 40
    assert {row["pk"] for row in ROWS} == set(TENANTS)
    assert any(row["unpriced"] for row in ROWS) and any(not row["unpriced"] for row in ROWS)
    missing = [shown(row)["price_missing"] for row in ROWS]
    assert any(missing) and not all(missing)
    assert any("price_fallback" in row for row in ROWS) and any("price_missing" in row for row in ROWS)
    assert any(row["price_changed"] for row in ROWS) and not all(row["price_changed"] for row in ROWS)
    assert any("price_input" in row for row in ROWS) and any("price_input" not in row for row in ROWS)


def test_a_tenant_gets_its_own_rows_only(table, client):
    items, token = retrieval.retrieve(table, TENANT_B, {}, ADMIN_GROUP)
    assert token is None
    assert items == expected(tenant="tenant-b")
    assert set(client.calls) == {"query"}  # its own partition, never a scan


def test_a_tenant_may_name_itself_and_filter(table):
    body = {"tenant": "tenant-b", "start_date": DAYS[1], "end_date": DAYS[6], "model_id": MODELS[1]}
    items, _ = retrieval.retrieve(table, TENANT_B, body, ADMIN_GROUP)
    assert items == expected(tenant="tenant-b", start=DAYS[1], end=DAYS[6], model=MODELS[1])
    assert items


def test_a_tenant_asking_for_another_tenant_is_forbidden(table):
    with pytest.raises(Forbidden) as caught:
        retrieval.retrieve(table, TENANT_B, {"tenant": "tenant-a"}, ADMIN_GROUP)
    assert caught.value.status == 403
    assert caught.value.message == "a tenant may only read its own usage"


def test_a_group_named_like_the_admin_group_is_not_admin(table):
    almost = Caller("tenant-b", frozenset({"admins", "Admin", "users"}))
    items, _ = retrieval.retrieve(table, almost, {}, ADMIN_GROUP)
    assert items == expected(tenant="tenant-b")


def test_an_admin_gets_every_tenant(table, client):
    items = read_all(table, ADMIN, {})
    assert len(items) == len(ROWS)
    assert in_order(items) == expected()
    assert set(client.calls) == {"scan"}  # no dates: the table, paged by DynamoDB


@pytest.mark.parametrize(
    "filters",
    [
        {"tenant": "tenant-c"},
        {"model_id": MODELS[2]},
        {"tenant": "tenant-a", "model_id": MODELS[0], "start_date": DAYS[2]},
        {"start_date": DAYS[1], "end_date": DAYS[4]},  # a short range: the date index, day by day
        {"start_date": DAYS[1], "end_date": DAYS[4], "model_id": MODELS[1]},
        {"start_date": DAYS[2], "end_date": DAYS[8]},  # over a year: one read of the table
        {"start_date": DAYS[2], "end_date": DAYS[8], "model_id": MODELS[0]},
        {"start_date": DAYS[5]},  # no end: the table, from the start day on
        {"end_date": DAYS[6]},  # no start: the table, up to the end day
        {"end_date": DAYS[6], "model_id": MODELS[2]},
        {"start_date": DAYS[4], "end_date": DAYS[4]},
    ],
)
def test_an_admin_filters_by_tenant_model_and_dates(table, filters):
    body = {key: value for key, value in filters.items()}
    want = expected(
        tenant=filters.get("tenant"),
        start=filters.get("start_date"),
        end=filters.get("end_date"),
        model=filters.get("model_id"),
    )
    assert want
    got = read_all(table, ADMIN, body)
    items, _ = retrieval.retrieve(table, ADMIN, {**body, "limit": 3}, ADMIN_GROUP)
    if scans(ADMIN, filters):
        # the table's own order: the same items, each once
        assert len(got) == len(want) and in_order(got) == want
        assert len(items) == 3 and all(item in want for item in items)
    else:
        assert got == want
        assert items == want[:3]


@pytest.mark.parametrize(
    ("start", "end", "reads"),
    [
        (FIRST, FIRST + dt.timedelta(days=365), {"query:by_date"}),  # 366 days: the index, day by day
        (FIRST, FIRST + dt.timedelta(days=366), {"scan"}),  # 367 days: one read of the table
    ],
)
def test_an_admin_range_reads_the_index_up_to_a_year(table, client, start, end, reads):
    body = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    items, token = retrieval.retrieve(table, ADMIN, body, ADMIN_GROUP)
    assert token is None
    assert in_order(items) == expected(start=start.isoformat(), end=end.isoformat())
    assert set(client.calls) == reads


@pytest.mark.parametrize("limit", [1, 2, 5, 17])
@pytest.mark.parametrize(
    ("caller", "filters"),
    [
        (ADMIN, {}),
        (ADMIN, {"start_date": DAYS[0], "end_date": DAYS[3]}),
        (ADMIN, {"model_id": MODELS[0]}),
        (TENANT_B, {}),
        (TENANT_B, {"start_date": DAYS[1], "end_date": DAYS[7]}),
    ],
)
def test_pages_join_up_to_the_whole_answer(table, caller, filters, limit):
    tenant = "tenant-b" if caller is TENANT_B else None
    want = expected(
        tenant=tenant,
        start=filters.get("start_date"),
        end=filters.get("end_date"),
        model=filters.get("model_id"),
    )
    pages = []
    body = {**filters, "limit": limit}
    items, token = retrieval.retrieve(table, caller, body, ADMIN_GROUP)
    pages.append(items)
    while token is not None:
        items, token = retrieval.retrieve(table, caller, {**body, "next_token": token}, ADMIN_GROUP)
        pages.append(items)
        assert len(pages) <= len(want) + 1, "the pages never end"
    joined = [item for page in pages for item in page]
    assert all(len(page) == limit for page in pages[:-1])
    if scans(caller, filters):
        # the table's order; a scan may stop on a row the filter drops, so its last page may be empty
        assert len(joined) == len(want) and in_order(joined) == want
        assert len(pages[-1]) <= limit
    else:
        assert joined == want
        assert 1 <= len(pages[-1]) <= limit or want == []


def test_a_full_last_page_has_no_token(table):
    want = expected(tenant="tenant-b")
    items, token = retrieval.retrieve(table, TENANT_B, {"limit": len(want)}, ADMIN_GROUP)
    assert items == want and token is None
    items, token = retrieval.retrieve(table, TENANT_B, {"limit": len(want) - 1}, ADMIN_GROUP)
    assert items == want[:-1] and token is not None


def test_the_token_names_the_last_row_given():
    want = expected(tenant="tenant-b")
    memory = MemoryDynamoDB("usage")
    table = UsageTable(memory, "usage")
    table.put_rows([stored(row) for row in ROWS])
    items, token = retrieval.retrieve(table, TENANT_B, {"limit": 2}, ADMIN_GROUP)
    last = want[1]
    padded = token + "=" * (-len(token) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == [last["date"], last["pk"], last["model_id"]]
    assert "=" not in token


class LeakyTable:
    """A table whose tenant query also returns another tenant's row (a defect the second check catches)."""

    def __init__(self, rows):
        self.rows = rows

    def query_tenant(self, tenant, start=None, end=None, model_id=None):
        return iter(self.rows)

    def query_day(self, day, model_id=None):  # pragma: no cover - never reached for a tenant
        raise AssertionError("a tenant's read must not use the date index")

    def scan_all(self, model_id=None):  # pragma: no cover - never reached for a tenant
        raise AssertionError("a tenant's read must not scan")


def test_a_tenant_never_receives_another_tenants_row_even_from_a_faulty_read():
    mine = [stored(row) for row in ROWS if row["pk"] == "tenant-b"][:3]
    theirs = [stored(row) for row in ROWS if row["pk"] == "tenant-a"][:2]
    leaky = LeakyTable([theirs[0], mine[0], theirs[1], mine[1], mine[2]])
    items, _ = retrieval.retrieve(leaky, TENANT_B, {}, ADMIN_GROUP)
    assert [item["pk"] for item in items] == ["tenant-b"] * 3
    assert [item["sk"] for item in items] == [row["sk"] for row in mine]


def test_the_answer_shape():
    first = next(row for row in ROWS if "price_input" in row)  # a row that records its prices
    row = stored(first) | {
        "unpriced": True,
        "price_missing": True,
        "price_changed": True,
        "price_region": "eu-west-1+us-east-1",
    }
    item = retrieval.present(row)
    assert item == shown(row | {name: first[name] for name in COSTS + PRICES})
    assert item["unpriced"] is True and item["price_missing"] is True and item["price_changed"] is True
    assert item["price_region"] == "eu-west-1+us-east-1"
    row = stored(first) | {
        "unpriced": False,
        "price_missing": False,
        "price_changed": False,
        "price_region": "us-east-1",
    }
    item = retrieval.present(row)
    assert item["unpriced"] is False and item["price_missing"] is False and item["price_changed"] is False
    # a row from before price_missing: its price_fallback says the same thing
    old = {k: v for k, v in stored(first).items() if k != "price_missing"}
    assert retrieval.present(old | {"price_fallback": True})["price_missing"] is True
    assert retrieval.present(old | {"price_fallback": False})["price_missing"] is False
    assert item["price_region"] == "us-east-1"


def test_a_sparse_row_gets_every_field_with_defaults():
    item = retrieval.present({"pk": "tenant-a", "input_cost": Decimal("1.50")})
    assert item == {
        "date": "",
        "pk": "tenant-a",
        "sk": "",
        "name": "tenant-a",
        "model_id": "",
        **{name: "0" for name in COUNTS},
        **{name: "0" for name in COSTS},
        "input_cost": "1.5",
        "unpriced": False,
        "price_region": "",
        "price_missing": False,
        "price_changed": False,
        **{name: "" for name in PRICES},
        "price_tier": "",
        "price_as_of": "",
    }
    priced = retrieval.present({"price_input": Decimal("0.00300"), "price_as_of": "2025-09-30"})
    assert (priced["price_input"], priced["price_output"], priced["price_as_of"]) == (
        "0.003",
        "",
        "2025-09-30",
    )


def token_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "body must be a JSON object"),
        ("x", "body must be a JSON object"),
        ({"tenant_id": "a"}, "unknown field(s): tenant_id"),
        ({"b": 1, "a": 2, "limit": 1}, "unknown field(s): a, b"),
        ({"tenant": 7}, "tenant must be a string of at most 256 characters"),
        ({"tenant": "t" * 257}, "tenant must be a string of at most 256 characters"),
        ({"model_id": ["m"]}, "model_id must be a string of at most 256 characters"),
        ({"model_id": "m" * 257}, "model_id must be a string of at most 256 characters"),
        ({"start_date": "2026/01/01"}, "start_date must be a date as YYYY-MM-DD"),
        ({"end_date": "2026-02-30"}, "end_date is not a valid date: 2026-02-30"),
        ({"start_date": "2026-01-02", "end_date": "2026-01-01"}, "end_date is before start_date"),
        ({"limit": 0}, "limit must be an integer between 1 and 5000"),
        ({"limit": 5001}, "limit must be an integer between 1 and 5000"),
        ({"limit": True}, "limit must be an integer between 1 and 5000"),
        ({"limit": 2.0}, "limit must be an integer between 1 and 5000"),
        ({"limit": "2"}, "limit must be an integer between 1 and 5000"),
        ({"next_token": 5}, "next_token is not valid"),
        ({"next_token": "a" * 2049}, "next_token is not valid"),
        ({"next_token": "!!!"}, "next_token is not valid"),
        ({"next_token": token_of({"date": "2026-01-01"})}, "next_token is not valid"),
        ({"next_token": token_of(["2026-01-01", "t"])}, "next_token is not valid"),
        ({"next_token": token_of(["2026-01-01", "t", "m", "x"])}, "next_token is not valid"),
        ({"next_token": token_of(["2026-01-01", "t", 3])}, "next_token is not valid"),
        ({"next_token": token_of([20260101, "t", "m"])}, "next_token is not valid"),
        ({"next_token": token_of(["yesterday", "t", "m"])}, "next_token must be a date as YYYY-MM-DD"),
    ],
)
def test_every_refusal_names_the_problem(table, body, message):
    with pytest.raises(BadRequest) as caught:
        retrieval.retrieve(table, ADMIN, body, ADMIN_GROUP)
    assert caught.value.message == message
    assert caught.value.status == 400


def test_accepted_filters():
    token = token_of(["2026-01-01", "tenant-a", "m"])
    filters = retrieval.parse_filters(
        {
            "tenant": "t" * 256,
            "model_id": "",
            "start_date": "2026-01-01",
            "end_date": "2026-01-01",
            "limit": 5000,
            "next_token": token,
        }
    )
    assert filters == {
        "tenant": "t" * 256,
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 1, 1),
        "limit": 5000,
        "next_token": ("2026-01-01", "tenant-a", "m"),
    }
    assert retrieval.parse_filters(None) == {}
    assert retrieval.parse_filters({"tenant": None, "start_date": "", "limit": 1, "next_token": ""}) == {
        "limit": 1
    }


def test_tokens_round_trip():
    position = ("2026-01-01", "tenant-é", "us.model:0")
    assert retrieval.decode_token(retrieval.encode_token(position)) == position


def test_a_token_of_2048_characters_is_accepted():
    """1,536 bytes of JSON encode to exactly 2,048 base64 characters (no padding)."""
    base = ["2026-01-01", "", "m"]
    filler = 1536 - len(json.dumps(base).encode())
    token = token_of(["2026-01-01", "t" * filler, "m"])
    assert len(token) == 2048
    assert retrieval.parse_filters({"next_token": token})["next_token"] == ("2026-01-01", "t" * filler, "m")


def test_a_continuation_reads_from_the_day_of_its_token(client, table):
    """Reads resume at the token's day at the latest: the days before it are not read again."""
    body = {"start_date": DAYS[0], "end_date": DAYS[4]}  # a short range: one index query per day
    want = expected(start=DAYS[0], end=DAYS[4])
    first_day_rows = [item for item in want if item["date"] == DAYS[0]]
    items, token = retrieval.retrieve(table, ADMIN, {**body, "limit": len(first_day_rows) + 1}, ADMIN_GROUP)
    assert items[-1]["date"] == DAYS[1] and token is not None
    client.calls.clear()
    rest, _ = retrieval.retrieve(table, ADMIN, {**body, "next_token": token}, ADMIN_GROUP)
    assert items + rest == want
    reread = MemoryDynamoDB("usage", page_size=4)
    UsageTable(reread, "usage").put_rows([stored(row) for row in ROWS if row["date"] >= DAYS[1]])
    reread.calls.clear()
    retrieval.retrieve(UsageTable(reread, "usage"), ADMIN, {**body, "next_token": token}, ADMIN_GROUP)
    # no more reads than a table without the first day needs (fewer is fine: a key to start after)
    assert len(client.calls) <= len(reread.calls)


def test_a_tenant_continuation_reads_from_the_day_of_its_token(client, table):
    want = expected(tenant="tenant-b")
    items, token = retrieval.retrieve(table, TENANT_B, {"limit": len(want) - 2}, ADMIN_GROUP)
    client.calls.clear()
    rest, _ = retrieval.retrieve(table, TENANT_B, {"next_token": token}, ADMIN_GROUP)
    assert items + rest == want
    from_day = items[-1]["date"]
    rows_read = sum(1 for row in ROWS if row["pk"] == "tenant-b" and row["date"] >= from_day)
    pages = max(1, -(-rows_read // client.page_size))  # the pages holding the rows from that day on
    assert set(client.calls) == {"query"}
    assert len(client.calls) <= pages


def test_the_name_is_shown_and_falls_back_to_the_tenant():
    assert retrieval.present({"pk": "tenant-a", "name": "Acme Corp"})["name"] == "Acme Corp"
    assert retrieval.present({"pk": "tenant-a"})["name"] == "tenant-a"
    empty = retrieval.present({})
    assert (empty["pk"], empty["name"], empty["date"], empty["model_id"]) == ("", "", "", "")


def test_a_token_from_before_the_start_date_does_not_widen_the_range(table):
    """A continuation never reads before start_date, even with a token from an earlier day."""
    early = token_of([DAYS[0], "tenant-b", MODELS[0]])
    for caller, tenant in ((TENANT_B, "tenant-b"), (ADMIN, None)):
        body = {"start_date": DAYS[3], "end_date": DAYS[5], "next_token": early}
        items, _ = retrieval.retrieve(table, caller, body, ADMIN_GROUP)
        assert items == expected(tenant=tenant, start=DAYS[3], end=DAYS[5])
        assert items


def test_an_answer_holds_at_most_5000_items_by_default():
    memory = MemoryDynamoDB("usage", page_size=1000)
    table = UsageTable(memory, "usage")
    rows = [
        {"pk": "tenant-b", "sk": f"2026-01-01#m{n:05d}", "date": "2026-01-01", "model_id": f"m{n:05d}"}
        for n in range(5001)
    ]
    table.put_rows(rows)
    items, token = retrieval.retrieve(table, TENANT_B, {}, ADMIN_GROUP)
    assert len(items) == 5000
    assert [item["model_id"] for item in items] == [f"m{n:05d}" for n in range(5000)]
    rest, last = retrieval.retrieve(table, TENANT_B, {"next_token": token}, ADMIN_GROUP)
    assert [item["model_id"] for item in rest] == ["m05000"] and last is None


def table_order(rows: list[dict]) -> list[dict]:
    """The in-memory table's scan order (keys descending), worked out here from the seed."""
    return sorted(rows, key=lambda row: (row["pk"], row["sk"]), reverse=True)


def test_a_scan_token_holds_the_key_it_stopped_at_and_resumes_after_it(client, table):
    """An admin listing of the whole table pages by DynamoDB's key: the token is {pk, sk} of the
    last row read, and the next page starts right after it, without reading the table again."""
    order = table_order(ROWS)
    items, token = retrieval.retrieve(table, ADMIN, {"limit": 5}, ADMIN_GROUP)
    assert items == [shown(row) for row in order[:5]]
    padded = token + "=" * (-len(token) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == {"pk": order[4]["pk"], "sk": order[4]["sk"]}
    assert "=" not in token
    assert retrieval.decode_token(token) == {"pk": order[4]["pk"], "sk": order[4]["sk"]}
    client.calls.clear()
    more, token = retrieval.retrieve(table, ADMIN, {"limit": 5, "next_token": token}, ADMIN_GROUP)
    assert more == [shown(row) for row in order[5:10]]
    assert client.calls == ["scan", "scan"]  # 5 items at 4 a page: two reads, from the key on
    assert retrieval.decode_token(token) == {"pk": order[9]["pk"], "sk": order[9]["sk"]}


def test_a_filtered_scan_page_reads_no_more_than_it_may_answer(client, table):
    """Limit counts the items DynamoDB reads: a filtered page stops at the limit-th match, and the
    token is the key of the last row read (which may be one the filter dropped)."""
    order = table_order(ROWS)
    body = {"model_id": MODELS[1], "limit": 2}
    items, token = retrieval.retrieve(table, ADMIN, body, ADMIN_GROUP)
    matches = [row for row in order if row["model_id"] == MODELS[1]]
    assert items == [shown(row) for row in matches[:2]]
    assert retrieval.decode_token(token) == {"pk": matches[1]["pk"], "sk": matches[1]["sk"]}
    # it stopped on the second match: the rest of the table was not read
    assert 1 <= len(client.calls) <= order.index(matches[1]) + 1


def test_a_long_range_scan_keeps_only_its_days(table):
    body = {"start_date": DAYS[1], "end_date": DAYS[8], "model_id": MODELS[0], "limit": 3}
    pages = []
    token = ""
    while token is not None:
        items, token = retrieval.retrieve(table, ADMIN, {**body, "next_token": token}, ADMIN_GROUP)
        pages.append(items)
        assert len(pages) <= len(ROWS)
    want = [
        shown(row)
        for row in table_order(ROWS)
        if DAYS[1] <= row["date"] <= DAYS[8] and row["model_id"] == MODELS[0]
    ]
    assert [item for page in pages for item in page] == want
    assert all(len(page) == 3 for page in pages[:-1])


@pytest.mark.parametrize(
    ("caller", "body"),
    [
        (ADMIN, {}),  # the table
        (ADMIN, {"start_date": DAYS[0], "end_date": DAYS[8]}),  # over a year: the table
        (ADMIN, {"end_date": DAYS[3]}),  # no start: the table
    ],
)
def test_a_position_token_does_not_page_a_scan(table, caller, body):
    with pytest.raises(BadRequest) as caught:
        retrieval.retrieve(
            table, caller, {**body, "next_token": token_of([DAYS[0], "tenant-a", MODELS[0]])}, "admin"
        )
    assert caught.value.message == "next_token does not belong to these filters"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("caller", "body"),
    [
        (TENANT_B, {}),
        (ADMIN, {"tenant": "tenant-a"}),
        (ADMIN, {"start_date": DAYS[0], "end_date": DAYS[3]}),  # a short range: the date index
    ],
)
def test_a_scan_token_does_not_page_an_ordered_listing(table, caller, body):
    with pytest.raises(BadRequest) as caught:
        retrieval.retrieve(
            table, caller, {**body, "next_token": token_of({"pk": "tenant-b", "sk": "x"})}, "admin"
        )
    assert caught.value.message == "next_token does not belong to these filters"


@pytest.mark.parametrize(
    "value",
    [
        {"pk": "tenant-a"},
        {"sk": "2025-10-01#m"},
        {"pk": "tenant-a", "sk": "2025-10-01#m", "date": "2025-10-01"},
        {"pk": "", "sk": "2025-10-01#m"},
        {"pk": "tenant-a", "sk": ""},
        {"pk": 1, "sk": "2025-10-01#m"},
        {"pk": "tenant-a", "sk": ["x"]},
        {},
    ],
)
def test_a_malformed_scan_token_is_refused(table, value):
    with pytest.raises(BadRequest) as caught:
        retrieval.retrieve(table, ADMIN, {"next_token": token_of(value)}, ADMIN_GROUP)
    assert caught.value.message == "next_token is not valid"


def test_scan_tokens_round_trip():
    key = {"pk": "tenant-é", "sk": "2026-01-01#us.model:0"}
    token = retrieval.encode_token(key)
    assert retrieval.decode_token(token) == key
    assert retrieval.parse_filters({"next_token": token}) == {"next_token": key}
    assert json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == key


@pytest.mark.parametrize(
    ("caller", "body"),
    [
        (TENANT_B, {"end_date": DAYS[5]}),
        (TENANT_B, {"start_date": DAYS[0], "end_date": DAYS[5]}),
        (ADMIN, {"start_date": DAYS[0], "end_date": DAYS[5]}),
        (ADMIN, {"tenant": "tenant-a", "end_date": DAYS[5]}),
    ],
)
def test_a_token_past_end_date_answers_an_empty_page(client, table, caller, body):
    """A token from a later day than end_date (the filters changed between pages): nothing is left,
    and nothing is read."""
    late = token_of([DAYS[6], "tenant-b", MODELS[0]])
    items, token = retrieval.retrieve(table, caller, {**body, "next_token": late}, ADMIN_GROUP)
    assert (items, token) == ([], None)
    assert client.calls == []
    # the same token on end_date's own day still reads that day
    same_day = token_of([DAYS[5], "", ""])
    items, _ = retrieval.retrieve(table, caller, {**body, "next_token": same_day}, ADMIN_GROUP)
    tenant = "tenant-b" if caller is TENANT_B else body.get("tenant")
    assert items == expected(tenant=tenant, start=DAYS[5], end=DAYS[5])
    assert items
