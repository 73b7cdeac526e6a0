"""Usage-line parsing and per-(tenant, model, day) sums, checked against independent arithmetic."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from token_profiler.aggregate import DayAggregate, aggregate_lines, build_rows, ttl_for
from token_profiler.prices import Catalog, load_catalog

from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-26"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


KEYS = TEST_KEYRING.keys


def signed_line(**kwargs) -> str:
    return line(keyring=TEST_KEYRING, **kwargs)


def line(**kwargs) -> str:
    base = {"tenant": "t1", "request_id": "r1", "model_id": SONNET, "input_tokens": 10, "output_tokens": 282}
    base.update(kwargs)
    return usage_line(**base)


def test_one_line_gives_the_seed_row():
    agg, rows, warnings = aggregate_lines(
        DAY, [line()], load_catalog(), retention_days=0, accept_unsigned=True
    )
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
            # the per-1K rates used, from catalog.json by hand (no cache rates: none recorded)
            "price_input": Decimal("0.003"),
            "price_output": Decimal("0.015"),
            "price_tier": "standard",
            "price_as_of": "2024-03-04",
        }
    ]


def test_spaced_json_is_parsed_like_compact_json():
    agg = DayAggregate(DAY, accept_unsigned=True)
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
    line(schema_version=4),
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
    agg = DayAggregate(DAY, accept_unsigned=True)
    assert agg.add(message) is False
    assert (agg.lines_read, agg.lines_skipped, agg.sums) == (1, 1, {})


@pytest.mark.parametrize("prefix", ['{"message":"TOKEN_USAGE","token_usage":', ""], ids=["in-usage", "whole"])
def test_a_line_nested_deeper_than_the_decoder_is_skipped_not_a_crash(prefix):
    agg = DayAggregate(DAY, accept_unsigned=True)
    assert agg.add(prefix + "[" * 100_000 + "]" * 100_000 + ("}" if prefix else "")) is False
    assert (agg.lines_read, agg.lines_skipped, agg.sums) == (1, 1, {})


def test_a_request_id_counts_once_and_the_first_wins():
    agg = DayAggregate(DAY, accept_unsigned=True)
    agg.add(line(request_id="same", input_tokens=5))
    agg.add(line(request_id="same", input_tokens=500))
    assert agg.duplicates == 1 and agg.lines_counted == 1
    assert agg.sums[("t1", SONNET, "us-east-1", "standard")][0] == 5


def test_unknown_model_is_counted_unpriced_with_a_warning():
    lines = [
        line(model_id="acme.mystery-v9", request_id=f"r{n}", input_tokens=100, output_tokens=7)
        for n in range(3)
    ]
    _, rows, warnings = aggregate_lines(DAY, lines, load_catalog(), accept_unsigned=True)
    (row,) = rows
    assert (row["input_tokens"], row["output_tokens"], row["invocations"]) == (300, 21, 3)
    assert row["total_cost"] == 0 and row["unpriced"] is True
    assert warnings and "acme.mystery-v9" in warnings[0]


def test_region_without_price_is_flagged_never_priced_at_another_regions_rate():
    # Claude 3 Sonnet has no price in eu-central-1: the row is counted, costs 0 and says so
    _, rows, warnings = aggregate_lines(DAY, [signed_line(region="eu-central-1")], load_catalog(), keys=KEYS)
    assert rows[0]["price_missing"] is True and rows[0]["price_region"] == ""
    assert rows[0]["total_cost"] == 0 and rows[0]["input_tokens"] == 10 and rows[0]["unpriced"] is False
    assert warnings == [
        f"model {SONNET} has no price in eu-central-1 on {DAY}: counted with cost 0 and flagged price_missing"
    ]


def test_ttl_is_the_day_plus_retention():
    assert ttl_for("2026-11-26", 400) == 1764115200 + (365 + 400) * 86400  # 2025-11-26 + 1 y + 400 d
    assert ttl_for("2026-11-26", 0) is None
    _, rows, _ = aggregate_lines(DAY, [line()], load_catalog(), retention_days=0, accept_unsigned=True)
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
    agg, rows, _ = aggregate_lines(DAY, lines, load_catalog(), accept_unsigned=True)
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
    first = build_rows(aggregate_lines(DAY, lines, load_catalog(), accept_unsigned=True)[0], load_catalog())
    shuffled = lines[:]
    random.Random(1).shuffle(shuffled)
    second = build_rows(
        aggregate_lines(DAY, shuffled, load_catalog(), accept_unsigned=True)[0], load_catalog()
    )
    assert first == second


def test_unpriced_and_price_missing_rows_are_published_as_metrics(capsys, monkeypatch):
    from token_profiler import jobs, telemetry

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    metrics = telemetry.new_metrics("cost_tracking")
    telemetry.run_metrics(metrics, jobs.RunSummary(unpriced_rows=2, price_missing_rows=5).as_dict())
    metrics.flush_metrics()
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    values = {
        name: line[name] for line in lines for name in ("UnpricedRows", "PriceMissingRows") if name in line
    }
    assert {name: value if isinstance(value, list) else [value] for name, value in values.items()} == {
        "UnpricedRows": [2.0],
        "PriceMissingRows": [5.0],
    }
    (namespace,) = {line["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in lines}
    assert namespace == "BedrockTokenProfiler"


MONTH = {
    "models": {
        "m.x": {
            "prices": {
                "us-east-1": {
                    "from": "2026-11-15",
                    "input": "0.002",
                    "output": "0.006",
                    "history": [{"from": "2026-11-01", "input": "0.001", "output": "0.004"}],
                },
                "eu-west-3": {"from": "2026-11-01", "input": "0.003", "output": "0.009"},
            }
        }
    }
}


@pytest.mark.parametrize(
    ("day", "inp", "out", "changed"),
    [
        ("2026-11-01", "0.001", "0.004", False),
        ("2026-11-14", "0.001", "0.004", False),
        ("2026-11-15", "0.002", "0.006", True),
        ("2026-11-16", "0.002", "0.006", False),
    ],
)
def test_a_row_uses_the_price_in_force_on_its_day_and_says_when_it_changed(day, inp, out, changed):
    catalog = Catalog(MONTH)
    lines = [
        signed_line(model_id="m.x", request_id=f"r{n}", input_tokens=1000, output_tokens=500)
        for n in range(3)
    ]
    _, rows, warnings = aggregate_lines(day, lines, catalog, retention_days=0, keys=KEYS)
    (row,) = rows
    assert row["input_cost"] == 3 * Decimal(inp) and row["output_cost"] == Decimal(out) * 3 / 2
    assert row["price_changed"] is changed and row["price_missing"] is False and warnings == []


def test_a_row_called_from_two_regions_prices_each_part_in_its_own_region():
    lines = [
        signed_line(model_id="m.x", request_id="a", input_tokens=1000, output_tokens=0),
        signed_line(model_id="m.x", request_id="b", input_tokens=1000, output_tokens=0, region="eu-west-3"),
        signed_line(model_id="m.x", request_id="c", input_tokens=1000, output_tokens=0, region="ap-south-1"),
    ]
    _, rows, warnings = aggregate_lines("2026-11-20", lines, Catalog(MONTH), retention_days=0, keys=KEYS)
    (row,) = rows
    assert row["input_tokens"] == 3000 and row["invocations"] == 3
    assert row["input_cost"] == Decimal("0.002") + Decimal("0.003")  # ap-south-1 has no price
    assert row["price_region"] == "eu-west-3+us-east-1" and row["price_missing"] is True
    assert warnings == [
        "model m.x has no price in ap-south-1 on 2026-11-20: counted with cost 0 and flagged price_missing",
        "model m.x was priced at several prices or tiers in one row: its price_input.. columns are left out",
    ]
    assert "price_input" not in row and "price_as_of" not in row  # two Regions' prices: none recorded


TIERED = {
    "models": {
        "m.t": {
            "prices": {
                "us-east-1": {
                    "input": "0.01",
                    "output": "0.02",
                    "cache_write": "0.0125",
                    "cache_write_1h": "0.02",
                    "long_input": "0.02",
                    "long_output": "0.03",
                    "flex_input": "0.005",
                    "flex_output": "0.01",
                }
            }
        }
    }
}


def test_version_1_and_2_lines_mix_and_each_tier_is_billed_at_its_rates():
    lines = [
        signed_line(model_id="m.t", request_id="v1", input_tokens=100, output_tokens=10, cache_write=40),
        signed_line(
            model_id="m.t",
            request_id="v2",
            schema_version=2,
            input_tokens=100,
            output_tokens=10,
            cache_write=40,
            cache_write_1h_input_tokens=30,
        ),
        signed_line(
            model_id="m.t",
            request_id="long",
            schema_version=2,
            input_tokens=1000,
            output_tokens=100,
            tier="long_context",
        ),
        signed_line(
            model_id="m.t",
            request_id="flex",
            schema_version=2,
            input_tokens=1000,
            output_tokens=100,
            tier="flex",
        ),
        signed_line(
            model_id="m.t",
            request_id="flex-cache",
            schema_version=2,
            input_tokens=0,
            output_tokens=0,
            cache_read=7,
            tier="flex",
        ),
    ]
    agg, rows, warnings = aggregate_lines("2026-11-20", lines, Catalog(TIERED), retention_days=0, keys=KEYS)
    assert agg.sums[("t1", "m.t", "us-east-1", "standard")] == [200, 20, 0, 80, 2, 30]
    assert agg.sums[("t1", "m.t", "us-east-1", "flex")] == [1000, 100, 7, 0, 2, 0]
    (row,) = rows
    per_k = Decimal(1000)
    assert (
        row["input_cost"]
        == (200 * Decimal("0.01") + 1000 * Decimal("0.02") + 1000 * Decimal("0.005")) / per_k
    )
    assert (
        row["output_cost"] == (20 * Decimal("0.02") + 100 * Decimal("0.03") + 100 * Decimal("0.01")) / per_k
    )
    assert row["cache_write_cost"] == (50 * Decimal("0.0125") + 30 * Decimal("0.02")) / per_k
    assert row["cache_read_cost"] == 0 and row["price_missing"] is True  # no flex cache-read rate
    assert row["cache_read_input_tokens"] == 7 and row["invocations"] == 5
    assert warnings == [
        "model m.t has no price in us-east-1 (flex_cache_read) on 2026-11-20: "
        "counted with cost 0 and flagged price_missing",
        # a row billed at two tiers records no single price
        "model m.t was priced at several prices or tiers in one row: its price_input.. columns are left out",
    ]
    assert "price_input" not in row and "price_tier" not in row
