"""Error messages repeat only a little of the caller's input (issue 13, defect 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from token_profiler import dates, retrieval
from token_profiler.errors import ECHO_CHARS, ECHO_NAMES, BadRequest, echo_names
from token_profiler.invoke import parse_request
from token_profiler.prices import load_catalog
from token_profiler.settings import Settings

pytestmark = pytest.mark.unit

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


def huge_body(size_bytes: int = 6_600_000) -> dict[str, int]:
    """About ``size_bytes`` of JSON made of unknown keys, 64-character names."""
    name_len = 64
    return {f"{n:0{name_len}d}": 0 for n in range(size_bytes // (name_len + 6))}


def test_echo_names_keeps_a_few_truncated_names_and_a_count():
    names = [f"k{n}" for n in range(12)]
    assert echo_names(names) == "k0, k1, k2, k3, k4, ... (12 in all)"
    assert echo_names(["a", "b"]) == "a, b"
    assert echo_names(["x" * 100]) == "x" * (ECHO_CHARS - 3) + "..."
    assert echo_names(["y" * ECHO_CHARS]) == "y" * ECHO_CHARS
    assert echo_names([str(n) for n in range(ECHO_NAMES)]) == "0, 1, 2, 3, 4"


@pytest.mark.parametrize(
    "parse",
    [
        lambda body: retrieval.parse_filters(body),
        lambda body: dates.aggregation_days(body, dt.date(2026, 11, 1), 31, now=dt.date(2026, 11, 2)),
        lambda body: parse_request(SONNET, body, Settings(function="invoke_model"), load_catalog()),
        lambda body: parse_request(
            SONNET, {"inputs": "hi", "parameters": body}, Settings(function="invoke_model"), load_catalog()
        ),
    ],
    ids=["retrieval", "aggregation", "invoke", "invoke-parameters"],
)
def test_a_body_of_millions_of_bytes_of_unknown_keys_gets_a_short_message(parse):
    body = huge_body()
    with pytest.raises(BadRequest) as caught:
        parse(body)
    message = caught.value.message
    assert len(message) < 400
    assert f"({len(body)} in all)" in message
    assert min(body)[: ECHO_CHARS - 3] + "..." in message  # the first name, cut short, names the problem
