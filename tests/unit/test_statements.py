"""Monthly statements built from in-memory daily rows.

Every expected figure is worked out here from the tokens and per-1K prices the test chose (an
independent Decimal sum at a precision far above any bill), never read back from the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from decimal import Context, Decimal

import pytest
from token_profiler import statements
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, Forbidden, NotFound
from token_profiler.storage import UsageTable

from tests.support.memory_dynamodb import MemoryDynamoDB

pytestmark = pytest.mark.unit

EXACT = Context(prec=80)
ADMIN = "admin"
KINDS = ("input", "output", "cache_read", "cache_write")
TOKEN_NAMES = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
# per-1K rates as strings: (input, output, cache_read, cache_write)
NOVA_US = ("0.00006", "0.00024", "0.000015", "0")
NOVA_EU = ("0.000078", "0.000312", "0.0000195", "0")
HAIKU_OLD = ("0.00025", "0.00125", "0.00003", "0.0003")
HAIKU_NEW = ("0.0008", "0.004", "0.00008", "0.001")
TODAY = dt.date(2026, 11, 30)


def cost_of(tokens: int, rate: str) -> Decimal:
    return EXACT.multiply(Decimal(tokens), Decimal(rate)) / 1000


def row(tenant, day, model, tokens, rates, region="us-east-1", as_of="2025-01-01", **extra):
    """A daily row as the aggregator writes it: exact Decimal costs and the prices it used."""
    costs = [cost_of(n, r) for n, r in zip(tokens, rates, strict=True)] if rates else [Decimal(0)] * 4
    item = {
        "pk": tenant,
        "sk": f"{day}#{model}",
        "date": day,
        "name": tenant,
        "model_id": model,
        **dict(zip(TOKEN_NAMES, tokens, strict=True)),
        "invocations": extra.pop("invocations", 3),
        **{f"{k}_cost": c for k, c in zip(KINDS, costs, strict=True)},
        "total_cost": sum(costs, Decimal(0)),
        "unpriced": rates is None,
        "price_region": region if rates else "",
        "price_missing": False,
        "price_changed": False,
    }
    if rates:
        item.update({f"price_{k}": Decimal(r) for k, r in zip(KINDS, rates, strict=True)})
        item["price_tier"] = "standard"
        item["price_as_of"] = as_of
    item.update(extra)
    return item


def independent_total(rows) -> Decimal:
    return sum((Decimal(str(r["total_cost"])) for r in rows), Decimal(0))


def test_one_model_one_price_sums_every_day_exactly():
    rng = random.Random(3)
    rows = []
    expected = Decimal(0)
    tokens_in = 0
    for day in range(1, 31):
        tokens = [rng.randrange(0, 10**7) for _ in range(4)]
        tokens_in += tokens[0]
        rows.append(row("t1", f"2026-09-{day:02d}", "amazon.nova-lite-v1:0", tokens, NOVA_US))
        expected += sum((cost_of(n, r) for n, r in zip(tokens, NOVA_US, strict=True)), Decimal(0))
    statement = statements.build("t1", "2026-09", rows, "final")
    assert Decimal(statement["total_usd"]) == expected
    assert len(statement["lines"]) == 1
    line = statement["lines"][0]
    assert line["input_tokens"] == tokens_in
    assert line["days"] == 30 and line["first_day"] == "2026-09-01" and line["last_day"] == "2026-09-30"
    assert [line[f"price_{k}"] for k in KINDS] == ["0.00006", "0.00024", "0.000015", "0"]
    assert line["invocations"] == 90
    assert Decimal(line["total_cost"]) == expected
    assert statement["needs_review"] is False and statement["warnings"] == []


def test_each_region_and_each_price_period_is_its_own_line():
    rows = [
        row("t1", "2026-10-01", "amazon.nova-lite-v1:0", [1000, 2000, 0, 0], NOVA_US, "us-east-1"),
        row("t1", "2026-10-02", "amazon.nova-lite-v1:0", [3000, 500, 7, 0], NOVA_EU, "eu-west-1"),
        row("t1", "2026-10-03", "amazon.nova-lite-v1:0", [11, 13, 0, 0], NOVA_US, "us-east-1"),
        row("t1", "2026-10-05", "haiku", [100, 200, 300, 400], HAIKU_OLD, as_of="2024-03-01"),
        row("t1", "2026-10-20", "haiku", [500, 600, 700, 800], HAIKU_NEW, as_of="2026-10-20"),
    ]
    statement = statements.build("t1", "2026-10", rows, "final")
    lines = {
        (line["model_id"], line["price_region"], line["price_input"]): line for line in statement["lines"]
    }
    assert set(lines) == {
        ("amazon.nova-lite-v1:0", "us-east-1", "0.00006"),
        ("amazon.nova-lite-v1:0", "eu-west-1", "0.000078"),
        ("haiku", "us-east-1", "0.00025"),
        ("haiku", "us-east-1", "0.0008"),
    }
    us = lines[("amazon.nova-lite-v1:0", "us-east-1", "0.00006")]
    assert us["input_tokens"] == 1011 and us["days"] == 2 and us["rows"] == 2
    assert Decimal(us["total_cost"]) == sum(
        (
            cost_of(n, r)
            for t in ([1000, 2000, 0, 0], [11, 13, 0, 0])
            for n, r in zip(t, NOVA_US, strict=True)
        ),
        Decimal(0),
    )
    assert lines[("haiku", "us-east-1", "0.0008")]["price_as_of"] == "2026-10-20"
    assert Decimal(statement["total_usd"]) == independent_total(rows)
    # the line totals add up to the statement total, exactly
    assert sum((Decimal(line["total_cost"]) for line in statement["lines"]), Decimal(0)) == Decimal(
        statement["total_usd"]
    )
    assert statement["totals"]["input_tokens"] == 1000 + 3000 + 11 + 100 + 500
    assert statement["totals"]["invocations"] == 3 * len(rows)
    assert Decimal(statement["totals"]["input_cost"]) == sum(
        (Decimal(str(r["input_cost"])) for r in rows), Decimal(0)
    )


def test_same_rates_in_two_periods_are_one_line_naming_both():
    rows = [
        row("t1", "2026-10-01", "m", [10, 10, 0, 0], NOVA_US, as_of="2025-01-01"),
        row("t1", "2026-10-09", "m", [10, 10, 0, 0], NOVA_US, as_of="2026-10-09"),
    ]
    (line,) = statements.build("t1", "2026-10", rows, "final")["lines"]
    assert line["price_as_of"] == "2025-01-01 2026-10-09"


def test_unpriced_and_unrecorded_rows_are_flagged_and_never_given_a_price():
    priced = row("t1", "2026-10-01", "m", [10, 10, 0, 0], NOVA_US)
    unpriced = row("t1", "2026-10-02", "new.model", [50, 50, 0, 0], None)
    # a row priced at two Regions' prices recorded no single price (the aggregator leaves them out)
    mixed = row("t1", "2026-10-03", "m", [1000, 1000, 0, 0], NOVA_US, region="eu-west-1+us-east-1")
    for name in ("price_input", "price_output", "price_cache_read", "price_cache_write", "price_tier"):
        del mixed[name]
    fallback = row("t1", "2026-10-04", "m", [5, 5, 0, 0], NOVA_US, price_fallback=True)
    del fallback["price_missing"]
    statement = statements.build("t1", "2026-10", [priced, unpriced, mixed, fallback], "final")
    by_model = {
        (line["model_id"], line["prices_recorded"], line["price_region"]): line for line in statement["lines"]
    }
    assert by_model[("new.model", False, "")]["unpriced"] is True
    assert by_model[("new.model", False, "")]["price_input"] == ""
    assert by_model[("new.model", False, "")]["total_cost"] == "0"
    unrecorded = by_model[("m", False, "eu-west-1+us-east-1")]
    assert all(unrecorded[f"price_{k}"] == "" for k in KINDS) and unrecorded["price_tier"] == ""
    assert Decimal(unrecorded["total_cost"]) == Decimal(str(mixed["total_cost"]))  # the row's cost, kept
    assert by_model[("m", True, "us-east-1")]["price_missing"] is True  # legacy price_fallback
    assert statement["flagged_rows"] == {
        "unpriced": 1,
        "price_missing": 1,
        "price_changed": 0,
        "prices_not_recorded": 2,
    }
    assert statement["needs_review"] is True
    assert statement["warnings"] == [
        "1 daily row(s) of a model without a price were counted at cost 0",
        "1 daily row(s) had no price in the Region called: those calls cost 0",
        "1 daily row(s) recorded no single price: their lines show no prices",
    ]
    assert Decimal(statement["total_usd"]) == independent_total([priced, unpriced, mixed, fallback])


def test_empty_month_is_a_zero_statement():
    statement = statements.build("t1", "2026-02", [], "final")
    assert statement["lines"] == [] and statement["total_usd"] == "0"
    assert statement["daily_rows"] == 0 and statement["days_with_usage"] == 0
    assert statement["period_start"] == "2026-02-01" and statement["period_end"] == "2026-02-28"
    assert statement["needs_review"] is False
    records = list(csv.DictReader(io.StringIO(statements.render_csv(statement).decode())))
    assert [r["record"] for r in records] == ["total"] and records[0]["total_cost"] == "0"


def test_rows_of_other_tenants_and_other_months_are_left_out():
    mine = row("t1", "2026-10-31", "m", [7, 7, 0, 0], NOVA_US)
    rows = [
        mine,
        row("t2", "2026-10-15", "m", [10**6, 0, 0, 0], NOVA_US),
        row("t1", "2026-11-01", "m", [10**6, 0, 0, 0], NOVA_US),
        row("t1", "2026-09-30", "m", [10**6, 0, 0, 0], NOVA_US),
    ]
    statement = statements.build("t1", "2026-10", rows, "final")
    assert Decimal(statement["total_usd"]) == independent_total([mine])
    assert statement["daily_rows"] == 1


def test_same_rows_in_any_order_give_the_same_bytes():
    rng = random.Random(11)
    rows = [
        row("t1", f"2026-10-{d:02d}", m, [rng.randrange(10**6) for _ in range(4)], rates, region)
        for d in range(1, 29)
        for m, rates, region in (
            ("a", NOVA_US, "us-east-1"),
            ("b", NOVA_EU, "eu-west-1"),
            ("c", HAIKU_NEW, "us-east-1"),
        )
    ]
    shuffled = rows[:]
    rng.shuffle(shuffled)
    one = statements.build("t1", "2026-10", rows, "final")
    two = statements.build("t1", "2026-10", shuffled, "final")
    for fmt in statements.FORMATS:
        assert statements.RENDER[fmt](one) == statements.RENDER[fmt](two)
    assert b"generated" not in statements.render_json(one)


def test_csv_lines_add_up_to_its_total_record_and_cells_are_inert():
    rows = [
        row("t1", "2026-10-01", "=HYPERLINK(evil)", [1234567, 7654321, 11, 13], HAIKU_NEW),
        row("t1", "2026-10-02", "b", [999, 1, 0, 0], NOVA_EU, "eu-west-1"),
    ]
    statement = statements.build("t1", "2026-10", rows, "provisional")
    records = list(csv.DictReader(io.StringIO(statements.render_csv(statement).decode())))
    lines = [r for r in records if r["record"] == "line"]
    (total,) = [r for r in records if r["record"] == "total"]
    assert {r["model_id"] for r in lines} == {"'=HYPERLINK(evil)", "b"}
    assert sum((Decimal(r["total_cost"]) for r in lines), Decimal(0)) == Decimal(total["total_cost"])
    assert Decimal(total["total_cost"]) == independent_total(rows)
    assert int(total["input_tokens"]) == 1234567 + 999
    assert {r["status"] for r in records} == {"provisional"}
    assert any("provisional" in w for w in statement["warnings"])
    # JSON keeps the figures as exact strings
    data = json.loads(statements.render_json(statement))
    assert Decimal(data["total_usd"]) == independent_total(rows)


def test_one_hour_cache_writes_are_shown_when_rows_record_them():
    with_1h = row("t1", "2026-10-01", "m", [0, 0, 0, 500], HAIKU_NEW, cache_write_1h_input_tokens=200)
    without = row("t1", "2026-10-02", "m", [0, 0, 0, 100], HAIKU_NEW)
    (line,) = statements.build("t1", "2026-10", [with_1h, without], "final")["lines"]
    assert line["cache_write_1h_input_tokens"] == 200 and line["cache_write_input_tokens"] == 600
    (line,) = statements.build("t1", "2026-10", [without], "final")["lines"]
    assert line["cache_write_1h_input_tokens"] == ""


# -- months ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", 202601, None, "1969-12", ""]
)
def test_bad_months_are_refused(bad):
    with pytest.raises(BadRequest, match="YYYY-MM"):
        statements.parse_month(bad, TODAY)


def test_future_month_is_refused_and_the_current_one_is_provisional():
    with pytest.raises(BadRequest, match="future"):
        statements.parse_month("2026-12", TODAY)
    assert statements.parse_month("2026-11", TODAY) == "2026-11"
    assert statements.month_status("2026-11", TODAY) == "provisional"
    assert statements.month_status("2026-11", dt.date(2026, 12, 1)) == "final"
    assert statements.month_status("2026-10", TODAY) == "final"


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2025-02", "2025-02-01", "2025-02-28"),
        ("2026-12", "2026-12-01", "2026-12-31"),
        ("2026-04", "2026-04-01", "2026-04-30"),
    ],
)
def test_month_bounds(month, first, last):
    assert [d.isoformat() for d in statements.month_bounds(month)] == [first, last]


def test_previous_month_crosses_the_year():
    assert statements.previous_month(dt.date(2027, 1, 1)) == "2026-12"
    assert statements.previous_month(dt.date(2026, 3, 31)) == "2026-02"


# -- S3 and requests ------------------------------------------------------------------------------
class FakeS3:
    """put/get/head/list/presign on a dict of one bucket, answering as S3 does: a missing key is a
    404 on HeadObject, an empty listing has no Contents, pages of two keys."""

    BUCKET = "bucket"

    def __init__(self, missing_code: str = "404"):
        self.objects: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.prefixes: list[str] = []
        self.missing_code = missing_code

    def _bucket(self, name):
        assert name == self.BUCKET, name

    def put_object(self, Bucket, Key, Body, ContentType):  # noqa: N803
        self._bucket(Bucket)
        self.objects[Key] = Body
        self.types[Key] = ContentType

    def get_object(self, Bucket, Key):  # noqa: N803
        self._bucket(Bucket)
        return {"Body": io.BytesIO(self.objects[Key])}

    def head_object(self, Bucket, Key):  # noqa: N803
        from botocore.exceptions import ClientError

        self._bucket(Bucket)
        if Key not in self.objects:
            raise ClientError({"Error": {"Code": self.missing_code, "Message": "x"}}, "HeadObject")
        return {}

    def list_objects_v2(self, Bucket, Prefix, ContinuationToken=None):  # noqa: N803
        self._bucket(Bucket)
        self.prefixes.append(Prefix)
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start : start + 2]
        more = start + 2 < len(keys)
        answer = {"IsTruncated": more}
        if page:
            answer["Contents"] = [{"Key": k} for k in page]
        if more:
            answer["NextContinuationToken"] = str(start + 2)
        return answer

    def generate_presigned_url(self, operation, Params, ExpiresIn):  # noqa: N803
        self.presigned = (operation, Params, ExpiresIn)
        return f"https://s3.example/{Params['Key']}?expires={ExpiresIn}"


def caller(tenant, admin=False):
    return Caller(tenant_id=tenant, groups=frozenset({ADMIN} if admin else ()))


@pytest.fixture
def world():
    client = MemoryDynamoDB("usage", page_size=2)
    table = UsageTable(client, "usage")
    rows = [
        row("t1", "2026-10-01", "m", [1000, 100, 0, 0], NOVA_US),
        row("t1", "2026-10-31", "m", [2000, 200, 0, 0], NOVA_US),
        row("a/b", "2026-10-15", "m", [3000, 300, 0, 0], NOVA_EU, "eu-west-1"),
        row("t3", "2026-11-02", "m", [5, 5, 0, 0], NOVA_US),
    ]
    table.put_rows(rows)
    return table, FakeS3(), rows


def test_generate_writes_every_tenant_with_rows_and_totals_match(world):
    table, s3, rows = world
    written = statements.generate(table, s3, "bucket", "2026-10", TODAY)
    assert [(w["tenant"], w["status"]) for w in written] == [("a/b", "final"), ("t1", "final")]
    assert sorted(s3.objects) == [
        "statements/a%2Fb/2026-10/statement.csv",
        "statements/a%2Fb/2026-10/statement.json",
        "statements/t1/2026-10/statement.csv",
        "statements/t1/2026-10/statement.json",
    ]
    t1 = json.loads(s3.objects["statements/t1/2026-10/statement.json"])
    assert Decimal(t1["total_usd"]) == independent_total(rows[:2])
    # the current month is provisional, and says so in both files
    statements.generate(table, s3, "bucket", "2026-11", TODAY)
    assert json.loads(s3.objects["statements/t3/2026-11/statement.json"])["status"] == "provisional"
    assert ",provisional," in s3.objects["statements/t3/2026-11/statement.csv"].decode()


def test_scheduled_run_writes_the_previous_month(world):
    table, s3, _ = world
    answer = statements.scheduled_run(table, s3, "bucket", {}, dt.date(2026, 11, 1))
    assert answer["month"] == "2026-10"
    assert {w["tenant"] for w in answer["statements"]} == {"t1", "a/b"}


def test_a_tenant_lists_and_downloads_only_its_own(world):
    table, s3, _ = world
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    own = statements.list_request(s3, "bucket", caller("t1"), {}, ADMIN, TODAY)
    assert [(s["tenant"], s["month"], s["formats"]) for s in own["statements"]] == [
        ("t1", "2026-10", ["csv", "json"])
    ]
    with pytest.raises(Forbidden):
        statements.list_request(s3, "bucket", caller("t1"), {"tenant": "a/b"}, ADMIN, TODAY)
    with pytest.raises(Forbidden):
        statements.download_request(
            s3, "bucket", caller("t1"), {"tenant": "a/b", "month": "2026-10", "format": "csv"}, ADMIN, TODAY
        )
    answer = statements.download_request(
        s3, "bucket", caller("t1"), {"month": "2026-10", "format": "json"}, ADMIN, TODAY
    )
    assert answer["expires_in"] == 300 and "statements/t1/2026-10/statement.json" in answer["url"]
    with pytest.raises(NotFound, match="2026-09"):
        statements.download_request(
            s3, "bucket", caller("t1"), {"month": "2026-09", "format": "csv"}, ADMIN, TODAY
        )
    with pytest.raises(Forbidden):
        statements.generate_request(table, s3, "bucket", caller("t1"), {"month": "2026-10"}, ADMIN, TODAY)


def test_a_tenant_named_like_a_prefix_of_another_sees_nothing_of_it(world):
    table, s3, _ = world
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    assert statements.list_request(s3, "bucket", caller("t"), {}, ADMIN, TODAY) == {"statements": []}
    assert statements.list_request(s3, "bucket", caller("a"), {}, ADMIN, TODAY) == {"statements": []}


def test_an_admin_lists_all_or_one_and_generates_one(world):
    table, s3, rows = world
    answer = statements.generate_request(
        table, s3, "bucket", caller("ops", True), {"month": "2026-10", "tenant": "t1"}, ADMIN, TODAY
    )
    assert [w["tenant"] for w in answer["statements"]] == ["t1"]
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    every = statements.list_request(s3, "bucket", caller("ops", True), {"month": "2026-10"}, ADMIN, TODAY)
    assert {(s["tenant"], Decimal(s["total_usd"])) for s in every["statements"]} == {
        ("t1", independent_total(rows[:2])),
        ("a/b", independent_total(rows[2:3])),
    }
    one = statements.list_request(s3, "bucket", caller("ops", True), {"tenant": "a/b"}, ADMIN, TODAY)
    assert [s["tenant"] for s in one["statements"]] == ["a/b"]
    url = statements.download_request(
        s3,
        "bucket",
        caller("ops", True),
        {"tenant": "a/b", "month": "2026-10", "format": "csv"},
        ADMIN,
        TODAY,
    )["url"]
    assert "statements/a%2Fb/2026-10/statement.csv" in url
    with pytest.raises(BadRequest, match="tenant is required"):
        statements.download_request(
            s3, "bucket", caller("ops", True), {"month": "2026-10", "format": "csv"}, ADMIN, TODAY
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"month": "2026-10", "format": "pdf"}, "format must be one of csv, json"),
        ({"month": "2026-10"}, "format must be one of"),
        ({"format": "csv"}, "month is required"),
        ({"month": "2027-01", "format": "csv"}, "future"),
        ({"month": "2026-10", "format": "csv", "extra": 1}, "unknown field"),
        ({"month": "2026-10", "format": "csv", "tenant": 5}, "tenant must be"),
        ([], "JSON object"),
        (None, "JSON object"),
    ],
)
def test_bad_download_requests_name_the_problem(world, body, message):
    _, s3, _ = world
    with pytest.raises(BadRequest, match=message):
        statements.download_request(s3, "bucket", caller("t1"), body, ADMIN, TODAY)


def test_a_null_body_is_refused_by_the_listing(world):
    _, s3, _ = world
    with pytest.raises(BadRequest, match="JSON object"):
        statements.list_request(s3, "bucket", caller("t1"), None, ADMIN, TODAY)


def test_generate_requires_a_month(world):
    table, s3, _ = world
    with pytest.raises(BadRequest, match="month is required"):
        statements.generate_request(table, s3, "bucket", caller("ops", True), {}, ADMIN, TODAY)


def test_a_tenant_without_usage_gets_no_statement(world):
    table, s3, _ = world
    answer = statements.generate_request(
        table, s3, "bucket", caller("ops", True), {"month": "2026-10", "tenant": "typo"}, ADMIN, TODAY
    )
    assert answer == {"statements": []} and s3.objects == {}


# -- edges the mutation run asked about -------------------------------------------------------------
def test_flags_each_alone_make_a_statement_need_review():
    plain = row("t1", "2026-10-01", "m", [10, 10, 0, 0], NOVA_US)
    missing = row("t1", "2026-10-02", "m", [10, 10, 0, 0], NOVA_US, price_missing=True)
    statement = statements.build("t1", "2026-10", [plain, missing], "final")
    assert statement["needs_review"] is True
    assert statement["flagged_rows"] == {
        "unpriced": 0,
        "price_missing": 1,
        "price_changed": 0,
        "prices_not_recorded": 0,
    }
    assert statement["warnings"] == ["1 daily row(s) had no price in the Region called: those calls cost 0"]
    (line,) = statement["lines"]
    assert (line["price_missing"], line["unpriced"], line["price_changed"]) == (True, False, False)
    unpriced = statements.build(
        "t1", "2026-10", [plain, row("t1", "2026-10-03", "x", [1, 1, 0, 0], None)], "final"
    )
    assert unpriced["needs_review"] is True
    assert unpriced["warnings"] == ["1 daily row(s) of a model without a price were counted at cost 0"]
    changed = statements.build(
        "t1", "2026-10", [row("t1", "2026-10-04", "m", [1, 1, 0, 0], NOVA_US, price_changed=True)], "final"
    )
    assert changed["needs_review"] is False and changed["flagged_rows"]["price_changed"] == 1
    assert changed["lines"][0]["price_changed"] is True


def test_rows_written_by_older_versions_read_as_zero_and_unflagged():
    old = row("t1", "2026-10-01", "m", [100, 200, 0, 0], NOVA_US)
    for name in (
        "cache_read_input_tokens",
        "cache_write_input_tokens",
        "cache_read_cost",
        "cache_write_cost",
        "price_missing",
        "price_changed",
        "price_region",
        "price_tier",
        "price_as_of",
    ):
        del old[name]
    statement = statements.build("t1", "2026-10", [old], "final")
    (line,) = statement["lines"]
    assert line["cache_read_input_tokens"] == 0 and line["cache_write_input_tokens"] == 0
    assert line["cache_read_cost"] == "0" and line["cache_write_cost"] == "0"
    assert (line["price_region"], line["price_tier"], line["price_as_of"]) == ("", "", "")
    assert line["prices_recorded"] is True and line["price_input"] == "0.00006"
    assert (line["price_missing"], line["price_changed"]) == (False, False)
    assert (
        statement["totals"]["cache_read_input_tokens"] == 0 and statement["totals"]["cache_read_cost"] == "0"
    )
    assert statement["needs_review"] is False


def test_a_row_recording_some_kinds_only_shows_the_others_empty():
    embed = row("t1", "2026-10-01", "embed", [1000, 0, 0, 0], ("0.00002", "0", "0", "0"))
    for name in ("price_output", "price_cache_read", "price_cache_write"):
        del embed[name]
    (line,) = statements.build("t1", "2026-10", [embed], "final")["lines"]
    assert [line[f"price_{k}"] for k in (*KINDS, "cache_write_1h")] == ["0.00002", "", "", "", ""]


def test_an_unpriced_row_shows_no_price_even_if_it_carries_columns():
    odd = row("t1", "2026-10-01", "m", [10, 10, 0, 0], NOVA_US, as_of="2026-01-01")
    odd["unpriced"] = True
    (line,) = statements.build("t1", "2026-10", [odd], "final")["lines"]
    assert line["prices_recorded"] is False
    assert (line["price_input"], line["price_tier"], line["price_as_of"]) == ("", "", "")


def test_lines_are_ordered_by_model_region_and_price():
    rows = [
        row("t1", "2026-10-01", "b", [1, 1, 0, 0], NOVA_US),
        row("t1", "2026-10-01", "a", [1, 1, 0, 0], NOVA_EU, "us-east-1"),
        row("t1", "2026-10-02", "a", [1, 1, 0, 0], NOVA_US, "eu-west-1"),
        row("t1", "2026-10-03", "a", [1, 1, 0, 0], NOVA_US, "us-east-1"),
    ]
    lines = statements.build("t1", "2026-10", rows, "final")["lines"]
    assert [(x["model_id"], x["price_region"], x["price_input"]) for x in lines] == [
        ("a", "eu-west-1", "0.00006"),
        ("a", "us-east-1", "0.00006"),
        ("a", "us-east-1", "0.000078"),
        ("b", "us-east-1", "0.00006"),
    ]


def test_a_negative_cost_is_refused_naming_the_column():
    bad = row("t1", "2026-10-01", "m", [1, 1, 0, 0], NOVA_US)
    bad["output_cost"] = Decimal(-1)
    with pytest.raises(ValueError, match="output_cost"):
        statements.build("t1", "2026-10", [bad], "final")


def test_other_tenants_rows_before_mine_do_not_stop_the_reading():
    mine = row("t2", "2026-10-05", "m", [5, 5, 0, 0], NOVA_US)
    rows = [
        row("t1", "2026-10-01", "m", [1, 1, 0, 0], NOVA_US),
        row("t2", "2026-09-30", "m", [1, 1, 0, 0], NOVA_US),
        mine,
    ]
    statement = statements.build("t2", "2026-10", rows, "final")
    assert statement["daily_rows"] == 1 and Decimal(statement["total_usd"]) == independent_total([mine])


def test_files_are_utf8_sorted_json_and_unix_csv():
    rows = [row("Zürich", "2026-10-01", "m", [1, 1, 0, 0], NOVA_US)]
    statement = statements.build("Zürich", "2026-10", rows, "final")
    text = statements.render_json(statement).decode("utf-8")
    assert '"tenant": "Zürich"' in text and text.endswith("}\n")
    assert text.splitlines()[1].startswith('  "currency"')  # two-space indent, keys sorted
    assert list(json.loads(text)) == sorted(json.loads(text))
    data = json.loads(text)
    assert (data["schema"], data["version"], data["currency"]) == (
        "bedrock-token-profiler/statement",
        1,
        "USD",
    )
    csv_text = statements.render_csv(statement).decode("utf-8")
    assert "\r" not in csv_text and csv_text.count("\n") == 3
    records = list(csv.DictReader(io.StringIO(csv_text)))
    assert records[0]["tenant"] == "Zürich"
    assert (records[0]["unpriced"], records[0]["prices_recorded"]) == ("false", "true")
    total = records[1]
    assert (total["model_id"], total["price_input"], total["unpriced"], total["rows"]) == ("", "", "", "")


def test_months_as_written_and_the_first_year():
    assert statements.parse_month("1970-01", TODAY) == "1970-01"
    with pytest.raises(BadRequest, match="^month must be a month as YYYY-MM"):
        statements.parse_month("x", TODAY)
    with pytest.raises(BadRequest, match="^month 2027-01 is in the future"):
        statements.parse_month("2027-01", TODAY)
    assert [statements.previous_month(dt.date(2026, m, 15)) for m in (1, 2, 11, 12)] == [
        "2025-12",
        "2026-01",
        "2026-10",
        "2026-11",
    ]


def test_tenant_rows_read_exactly_the_month(world):
    table, _, rows = world
    table.put_rows(
        [
            row("t1", "2026-09-30", "m", [1, 1, 0, 0], NOVA_US),
            row("t1", "2026-11-01", "m", [1, 1, 0, 0], NOVA_US),
        ]
    )
    got = statements.tenant_rows(table, "t1", "2026-10")
    assert sorted(r["date"] for r in got) == ["2026-10-01", "2026-10-31"]


def test_files_go_to_the_bucket_with_their_types(world):
    table, s3, _ = world
    statement = statements.build("t1", "2026-10", [], "final")
    keys = statements.put_statement(s3, "bucket", statement)
    assert keys == ["statements/t1/2026-10/statement.csv", "statements/t1/2026-10/statement.json"]
    assert s3.types == {keys[0]: "text/csv; charset=utf-8", keys[1]: "application/json"}
    assert statements.tenant_part("a@b+c=d:e~f_g.h-i") == "a@b+c=d:e~f_g.h-i"
    assert statements.tenant_part("a/b c") == "a%2Fb%20c"


def test_a_listing_reads_one_tenants_prefix_newest_first_and_skips_strays(world, monkeypatch):
    table, s3, _ = world
    table.put_rows(
        [
            row("t1", "2026-09-03", "m", [1, 1, 0, 0], NOVA_US),
            row("t0", "2026-10-03", "m", [1, 1, 0, 0], NOVA_US),
        ]
    )
    for month in ("2026-09", "2026-10", "2026-11"):
        statements.generate(table, s3, "bucket", month, TODAY)
    s3.objects["statements/t1/2026-08/statement.csv"] = b"stray"  # no JSON beside it
    s3.prefixes.clear()
    own = statements.list_request(s3, "bucket", caller("t1"), {}, ADMIN, TODAY)["statements"]
    assert set(s3.prefixes) == {"statements/t1/"}  # one prefix, page after page
    assert [s["month"] for s in own] == ["2026-10", "2026-09"]
    assert (
        statements.list_request(s3, "bucket", caller("t1"), {"month": "2026-09"}, ADMIN, TODAY)["statements"][
            0
        ]["month"]
        == "2026-09"
    )
    every = statements.list_request(s3, "bucket", caller("ops", True), {}, ADMIN, TODAY)["statements"]
    assert [(s["month"], s["tenant"]) for s in every] == [
        ("2026-11", "t3"),
        ("2026-10", "t1"),
        ("2026-10", "t0"),
        ("2026-10", "a/b"),
        ("2026-09", "t1"),
    ]
    october = statements.list_request(s3, "bucket", caller("ops", True), {"month": "2026-10"}, ADMIN, TODAY)
    assert [s["tenant"] for s in october["statements"]] == ["t1", "t0", "a/b"]
    assert every[0]["needs_review"] is False
    monkeypatch.setattr(statements, "MAX_LISTED", 2)
    assert (
        len(statements.list_request(s3, "bucket", caller("ops", True), {}, ADMIN, TODAY)["statements"]) == 2
    )


def test_a_download_link_names_the_file_and_lasts_300_seconds(world):
    table, s3, _ = world
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    answer = statements.download_request(
        s3, "bucket", caller("t1"), {"month": "2026-10", "format": "csv"}, ADMIN, TODAY
    )
    assert answer["expires_in"] == 300
    assert s3.presigned == (
        "get_object",
        {
            "Bucket": "bucket",
            "Key": "statements/t1/2026-10/statement.csv",
            "ResponseContentDisposition": 'attachment; filename="statement-t1-2026-10.csv"',
            "ResponseContentType": "text/csv; charset=utf-8",
        },
        300,
    )


@pytest.mark.parametrize("code", ["404", "NoSuchKey", "NotFound"])
def test_each_way_s3_says_missing_is_a_404(code):
    s3 = FakeS3(missing_code=code)
    assert statements.exists(s3, "bucket", "statements/x") is False
    s3.objects["statements/x"] = b"1"
    assert statements.exists(s3, "bucket", "statements/x") is True


def test_access_denied_from_s3_is_not_taken_for_missing():
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        statements.exists(FakeS3(missing_code="AccessDenied"), "bucket", "statements/x")


def test_refusals_say_what_and_why(world):
    table, s3, _ = world
    with pytest.raises(Forbidden, match="^a tenant may only list its own statements$"):
        statements.list_request(s3, "bucket", caller("t1"), {"tenant": "t2"}, ADMIN, TODAY)
    with pytest.raises(Forbidden, match="^a tenant may only download its own statements$"):
        statements.download_request(
            s3, "bucket", caller("t1"), {"tenant": "t2", "month": "2026-10", "format": "csv"}, ADMIN, TODAY
        )
    with pytest.raises(Forbidden, match="^generating statements requires membership in the admin group$"):
        statements.generate_request(table, s3, "bucket", caller("t1"), {"month": "2026-10"}, ADMIN, TODAY)
    with pytest.raises(BadRequest, match=r"^month is required \(YYYY-MM\)$"):
        statements.download_request(s3, "bucket", caller("t1"), {"format": "csv"}, ADMIN, TODAY)
    with pytest.raises(BadRequest, match=r"^month is required \(YYYY-MM\)$"):
        statements.generate_request(table, s3, "bucket", caller("ops", True), {}, ADMIN, TODAY)
    with pytest.raises(BadRequest, match="^tenant is required for an administrator's download$"):
        statements.download_request(
            s3, "bucket", caller("ops", True), {"month": "2026-10", "format": "csv"}, ADMIN, TODAY
        )
    with pytest.raises(BadRequest, match="^body must be a JSON object$"):
        statements.list_request(s3, "bucket", caller("t1"), [], ADMIN, TODAY)
    with pytest.raises(NotFound, match="^no csv statement of 2026-10 for tenant t1$"):
        statements.download_request(
            s3, "bucket", caller("t1"), {"month": "2026-10", "format": "csv"}, ADMIN, TODAY
        )


@pytest.mark.parametrize("tenant", [" ", "", "x" * 257, 7])
def test_bad_tenant_ids_are_refused(world, tenant):
    _, s3, _ = world
    with pytest.raises(BadRequest, match="^tenant must be a non-empty string of at most 256 characters$"):
        statements.list_request(s3, "bucket", caller("ops", True), {"tenant": tenant}, ADMIN, TODAY)


def test_a_tenant_id_of_256_characters_is_accepted(world):
    _, s3, _ = world
    assert statements.list_request(
        s3, "bucket", caller("ops", True), {"tenant": "x" * 256}, ADMIN, TODAY
    ) == {"statements": []}


def test_the_scheduled_run_takes_a_month_from_its_event(world):
    table, s3, rows = world
    answer = statements.scheduled_run(table, s3, "bucket", {"month": "2026-10"}, dt.date(2026, 12, 5))
    assert answer["month"] == "2026-10" and {w["tenant"] for w in answer["statements"]} == {"t1", "a/b"}
    assert statements.scheduled_run(table, s3, "bucket", None, dt.date(2026, 12, 5))["month"] == "2026-11"
    with pytest.raises(BadRequest, match="future"):
        statements.scheduled_run(table, s3, "bucket", {"month": "2027-01"}, dt.date(2026, 12, 5))


def test_a_newer_csv_without_its_json_is_skipped_and_older_statements_still_listed(world):
    table, s3, _ = world
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    s3.objects["statements/t1/2026-11/statement.csv"] = b"stray"  # newer than t1's October, no JSON
    own = statements.list_request(s3, "bucket", caller("t1"), {}, ADMIN, TODAY)["statements"]
    assert [(s["tenant"], s["month"]) for s in own] == [("t1", "2026-10")]


class LeakyS3(FakeS3):
    """A listing that ignores its prefix (every key of the bucket): what a prefix bug would give."""

    def list_objects_v2(self, Bucket, Prefix, ContinuationToken=None):  # noqa: N803
        return super().list_objects_v2(Bucket, statements.PREFIX, ContinuationToken)


def test_a_tenants_listing_never_answers_with_another_tenants_key(world):
    table, _s3, _ = world
    s3 = LeakyS3()
    statements.generate(table, s3, "bucket", "2026-10", TODAY)
    statements.generate(table, s3, "bucket", "2026-11", TODAY)  # t3's, newer than t1's October
    assert sorted(s3.objects) == [
        "statements/a%2Fb/2026-10/statement.csv",
        "statements/a%2Fb/2026-10/statement.json",
        "statements/t1/2026-10/statement.csv",
        "statements/t1/2026-10/statement.json",
        "statements/t3/2026-11/statement.csv",
        "statements/t3/2026-11/statement.json",
    ]
    own = statements.list_request(s3, "bucket", caller("t1"), {}, ADMIN, TODAY)["statements"]
    assert [(s["tenant"], s["month"]) for s in own] == [("t1", "2026-10")]
    one = statements.list_request(s3, "bucket", caller("ops", True), {"tenant": "a/b"}, ADMIN, TODAY)
    assert [(s["tenant"], s["month"]) for s in one["statements"]] == [("a/b", "2026-10")]


def test_an_s3_error_without_an_error_part_is_raised_not_taken_for_missing():
    from botocore.exceptions import ClientError

    class Bare(FakeS3):
        def head_object(self, Bucket, Key):  # noqa: N803
            raise ClientError({}, "HeadObject")

    with pytest.raises(ClientError):
        statements.exists(Bare(), "bucket", "statements/x")


def test_a_line_shows_the_tier_its_rows_recorded_and_each_tier_is_its_own_line():
    standard = row("t1", "2026-10-01", "m", [1000, 0, 0, 0], NOVA_US)
    flex = row("t1", "2026-10-02", "m", [1000, 0, 0, 0], NOVA_US, price_tier="flex")
    lines = statements.build("t1", "2026-10", [standard, flex], "final")["lines"]
    assert [(x["price_tier"], x["rows"], x["first_day"]) for x in lines] == [
        ("flex", 1, "2026-10-02"),
        ("standard", 1, "2026-10-01"),
    ]


def test_price_dates_of_a_line_leave_out_rows_that_recorded_none():
    old = row("t1", "2026-10-01", "m", [10, 10, 0, 0], NOVA_US)
    del old["price_as_of"]  # written before rows recorded the price list's date
    new = row("t1", "2026-10-09", "m", [10, 10, 0, 0], NOVA_US, as_of="2026-10-09")
    (line,) = statements.build("t1", "2026-10", [old, new], "final")["lines"]
    assert line["price_as_of"] == "2026-10-09" and line["rows"] == 2


def test_a_bad_recorded_price_is_refused_naming_its_column():
    bad = row("t1", "2026-10-01", "m", [1, 1, 0, 0], NOVA_US)
    bad["price_output"] = Decimal(-1)
    with pytest.raises(ValueError, match="^price_output must be a finite number >= 0"):
        statements.build("t1", "2026-10", [bad], "final")
