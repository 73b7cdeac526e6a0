"""Usage-line parsing and per-(tenant, model, day) sums, checked against independent arithmetic."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from token_profiler.aggregate import DayAggregate, aggregate_lines, build_rows, ttl_for
from token_profiler.prices import load_catalog

from tests.support.usage_lines import usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-26"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def line(**kwargs) -> str:
    base = {"tenant": "t1", "request_id": "r1", "model_id": SONNET, "input_tokens": 10, "output_tokens": 282}
    base.update(kwargs)
    return usage_line(**base)


def test_one_line_gives_the_seed_row():
    agg, rows, warnings = aggregate_lines(DAY, [line()], load_catalog(), retention_days=0)
    assert warnings == []
    assert rows == [
        {
            "pk": "t1",
            "sk": f"{DAY}#{SONNET}",
            "date": DAY,
            "name": "t1",
            "model_id": SONNET,
            "input_tokens": 10,
            "output_tokens": 282,
            "cache_read_input_tokens": 0,
            "cache_write_input_tokens": 0,
            "invocations": 1,
            "input_cost": Decimal("0.00003"),
            "output_cost": Decimal("0.00423"),
            "cache_read_cost": Decimal(0),
            "cache_write_cost": Decimal(0),
            "total_cost": Decimal("0.00426"),
            "unpriced": False,
            "price_region": "us-east-1",
            "price_missing": False,
            "price_changed": False,
        }
    ]


def test_spaced_json_is_parsed_like_compact_json():
    agg = DayAggregate(DAY)
    assert agg.add(
        usage_line(
            tenant="t", request_id="a", model_id=SONNET, input_tokens=1, output_tokens=2, compact=False
        )
    )
    assert agg.add(usage_line(tenant="t", request_id="b", model_id=SONNET, input_tokens=3, output_tokens=4))
    assert agg.sums == {("t", SONNET, "us-east-1", "standard"): [4, 6, 0, 0, 2, 0]}


MALFORMED = [
    "START RequestId: 1f0e Version: $LATEST",
    "not json but mentions TOKEN_USAGE",
    "",
    "[1, 2, 3]",
    '"TOKEN_USAGE"',
    json.dumps({"message": "TOKEN_USAGE"}),
    json.dumps({"message": "other", "token_usage": json.loads(line())["token_usage"]}),
    json.dumps({"message": "TOKEN_USAGE", "token_usage": "text"}),
    json.dumps({"message": "TOKEN_USAGE", "token_usage": [1]}),
    line(schema_version=3),
    line(schema_version="1"),
    line(input_tokens=-1),
    line(output_tokens=1.5),
    line(output_tokens="3"),
    line(input_tokens=True),
    line(cache_read=-5),
    line(tenant=""),
    line(tenant=7),
    line(request_id=""),
    line(request_id=None),
    line(model_id=""),
    line(region=None),
    line()[:-20],  # truncated
    line().replace('"input_tokens":10,', ""),
    '{"message":"TOKEN_USAGE","token_usage":{"schema_version":1,',
]


@pytest.mark.parametrize("message", MALFORMED)
def test_malformed_and_foreign_lines_are_skipped_and_counted(message):
    agg = DayAggregate(DAY)
    assert agg.add(message) is False
    assert (agg.lines_read, agg.lines_skipped, agg.sums) == (1, 1, {})


@pytest.mark.parametrize("prefix", ['{"message":"TOKEN_USAGE","token_usage":', ""], ids=["in-usage", "whole"])
def test_a_line_nested_deeper_than_the_decoder_is_skipped_not_a_crash(prefix):
    agg = DayAggregate(DAY)
    assert agg.add(prefix + "[" * 100_000 + "]" * 100_000 + ("}" if prefix else "")) is False
    assert (agg.lines_read, agg.lines_skipped, agg.sums) == (1, 1, {})


def test_a_request_id_counts_once_and_the_first_wins():
    agg = DayAggregate(DAY)
    agg.add(line(request_id="same", input_tokens=5))
    agg.add(line(request_id="same", input_tokens=500))
    assert agg.duplicates == 1 and agg.lines_counted == 1
    assert agg.sums[("t1", SONNET, "us-east-1", "standard")][0] == 5


def test_unknown_model_is_counted_unpriced_with_a_warning():
    lines = [
        line(model_id="acme.mystery-v9", request_id=f"r{n}", input_tokens=100, output_tokens=7)
        for n in range(3)
    ]
    _, rows, warnings = aggregate_lines(DAY, lines, load_catalog())
    (row,) = rows
    assert (row["input_tokens"], row["output_tokens"], row["invocations"]) == (300, 21, 3)
    assert row["total_cost"] == 0 and row["unpriced"] is True
    assert warnings and "acme.mystery-v9" in warnings[0]


def test_region_without_price_is_flagged_never_priced_at_another_regions_rate():
    # Claude 3 Sonnet has no price in eu-central-1: the row is counted, costs 0 and says so
    _, rows, warnings = aggregate_lines(DAY, [line(region="eu-central-1")], load_catalog())
    assert rows[0]["price_missing"] is True and rows[0]["price_region"] == ""
    assert rows[0]["total_cost"] == 0 and rows[0]["input_tokens"] == 10 and rows[0]["unpriced"] is False
    assert warnings == [
        f"model {SONNET} has no price in eu-central-1 on {DAY}: counted with cost 0 and flagged price_missing"
    ]


def test_ttl_is_the_day_plus_retention():
    assert ttl_for("2026-11-26", 400) == 1764115200 + (365 + 400) * 86400  # 2025-11-26 + 1 y + 400 d
    assert ttl_for("2026-11-26", 0) is None
    _, rows, _ = aggregate_lines(DAY, [line()], load_catalog(), retention_days=0)
    assert "ttl" not in rows[0]


# per 1,000 tokens, as fractions, written here independently of the catalog
PRICES = {
    SONNET: (Fraction("0.003"), Fraction("0.015"), Fraction(0), Fraction(0)),
    HAIKU35: (Fraction("0.0008"), Fraction("0.004"), Fraction("0.00008"), Fraction("0.001")),
    "amazon.nova-micro-v1:0": (Fraction("0.000035"), Fraction("0.00014"), Fraction(0), Fraction(0)),
}


def test_sums_and_costs_match_independent_arithmetic():
    rng = random.Random(7)
    lines, expected = [], {}
    for n in range(3000):
        tenant = f"tenant-{rng.randrange(7)}"
        model = rng.choice(list(PRICES))
        counts = [
            rng.randrange(0, 5000),
            rng.randrange(0, 3000),
            rng.randrange(0, 200),
            rng.randrange(0, 200),
        ]
        if model == SONNET or model == "amazon.nova-micro-v1:0":
            counts[2] = counts[3] = 0
        lines.append(
            usage_line(
                tenant=tenant,
                request_id=f"req-{n}",
                model_id=model,
                input_tokens=counts[0],
                output_tokens=counts[1],
                cache_read=counts[2],
                cache_write=counts[3],
                compact=bool(n % 2),
            )
        )
        acc = expected.setdefault((tenant, model), [0, 0, 0, 0, 0])
        for k in range(4):
            acc[k] += counts[k]
        acc[4] += 1
    lines += ["garbage", lines[0], lines[1]]  # one foreign line, two duplicates
    agg, rows, _ = aggregate_lines(DAY, lines, load_catalog())
    assert (agg.lines_read, agg.lines_skipped, agg.duplicates, agg.lines_counted) == (3003, 1, 2, 3000)
    assert {(r["pk"], r["model_id"]) for r in rows} == set(expected)
    for row in rows:
        sums = expected[(row["pk"], row["model_id"])]
        price = PRICES[row["model_id"]]
        assert [row["input_tokens"], row["output_tokens"], row["cache_read_input_tokens"]] == sums[:3]
        assert [row["cache_write_input_tokens"], row["invocations"]] == sums[3:]
        costs = [Fraction(sums[k]) * price[k] / 1000 for k in range(4)]
        assert Fraction(row["input_cost"]) == costs[0]
        assert Fraction(row["output_cost"]) == costs[1]
        assert Fraction(row["cache_read_cost"]) == costs[2]
        assert Fraction(row["cache_write_cost"]) == costs[3]
        assert Fraction(row["total_cost"]) == sum(costs)


def test_same_lines_in_any_order_give_identical_rows():
    lines = [line(request_id=f"r{n}", tenant=f"t{n % 3}", input_tokens=n) for n in range(200)]
    first = build_rows(aggregate_lines(DAY, lines, load_catalog())[0], load_catalog())
    shuffled = lines[:]
    random.Random(1).shuffle(shuffled)
    second = build_rows(aggregate_lines(DAY, shuffled, load_catalog())[0], load_catalog())
    assert first == second


def test_unpriced_and_price_missing_rows_are_published_as_metrics(capsys, monkeypatch):
    from token_profiler import jobs

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    jobs.emit_price_metrics(jobs.RunSummary(unpriced_rows=2, price_missing_rows=5))
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    values = {
        name: line[name] for line in lines for name in ("UnpricedRows", "PriceMissingRows") if name in line
    }
    assert values == {"UnpricedRows": [2.0], "PriceMissingRows": [5.0]}
    (namespace,) = {line["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in lines}
    assert namespace == "BedrockTokenProfiler"
