"""Properties of the aggregate over random usage lines, junk and repeats (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from token_profiler import money
from token_profiler.aggregate import aggregate_lines
from token_profiler.prices import load_catalog

from tests.support.usage_lines import usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-26"
# input / output per 1,000 tokens, by hand
PRICES = {
    "anthropic.claude-3-haiku-20240307-v1:0": (Fraction("0.00025"), Fraction("0.00125")),
    "global.anthropic.claude-3-haiku-20240307-v1:0": (Fraction("0.00025"), Fraction("0.00125")),
    "mistral.mistral-large-2402-v1:0": (Fraction("0.004"), Fraction("0.012")),
}
JUNK = st.sampled_from(
    [
        "",
        "END RequestId: x",
        "{}",
        "[]",
        "null",
        '{"message":"TOKEN_USAGE"}',
        '{"message":"TOKEN_USAGE","token_usage":{',
    ]
)
record = st.tuples(
    st.sampled_from(["t1", "t2", "tenant with spaces", "tënant-ü"]),
    st.sampled_from(list(PRICES)),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 40),  # request id pool: collisions are repeats
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(record, JUNK), max_size=60))
def test_sums_costs_and_counts_match_an_independent_fold(items):
    lines, seen, expected, junk, dups = [], set(), {}, 0, 0
    for item in items:
        if isinstance(item, str):
            lines.append(item)
            junk += 1
            continue
        tenant, model, i, o, rid, compact = item
        lines.append(
            usage_line(
                tenant=tenant,
                request_id=f"r{rid}",
                model_id=model,
                input_tokens=i,
                output_tokens=o,
                compact=compact,
            )
        )
        if rid in seen:
            dups += 1
            continue
        seen.add(rid)
        acc = expected.setdefault((tenant, model), [0, 0, 0])
        acc[0] += i
        acc[1] += o
        acc[2] += 1
    agg, rows, _ = aggregate_lines(DAY, lines, load_catalog(), accept_unsigned=True)
    assert (agg.lines_read, agg.lines_skipped, agg.duplicates) == (len(lines), junk, dups)
    assert {
        (r["pk"], r["model_id"]): [r["input_tokens"], r["output_tokens"], r["invocations"]] for r in rows
    } == expected
    for row in rows:
        price = PRICES[row["model_id"]]
        acc = expected[(row["pk"], row["model_id"])]
        assert Fraction(row["input_cost"]) == acc[0] * price[0] / 1000
        assert Fraction(row["output_cost"]) == acc[1] * price[1] / 1000
        text = money.money_str(row["total_cost"])
        assert "E" not in text and "e" not in text
        assert Fraction(text) == (acc[0] * price[0] + acc[1] * price[1]) / 1000
