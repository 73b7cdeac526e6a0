"""The aggregator's two paths agree: the msgspec fast path and the standard-library checked path.

``DayAggregate.add`` is the fast path when msgspec is installed (it is in the layer); it must count,
skip and de-duplicate every line exactly as the checked path (the rule) does. Each test feeds the
same lines to one aggregate through ``_add_fast`` and to another through ``_add_checked`` and
compares every answer and the final state.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from token_profiler import aggregate
from token_profiler.aggregate import DayAggregate, aggregate_lines
from token_profiler.prices import load_catalog
from token_profiler.usage import Usage, usage_record

from tests.support.usage_lines import usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-26"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


def line(**kwargs) -> str:
    base = {"tenant": "t1", "request_id": "r1", "model_id": SONNET, "input_tokens": 10, "output_tokens": 282}
    base.update(kwargs)
    return usage_line(**base)


def usage_text(message: str) -> tuple[int, int]:
    """Start and end (exclusive) of the token_usage object of a compact line written by usage_line."""
    start = message.index('"token_usage":{') + len('"token_usage":')
    return start, message.rindex("}")


def with_usage(message: str, inner: str) -> str:
    """``message`` with the token_usage object replaced by the raw text ``inner``."""
    start, end = usage_text(message)
    return message[:start] + inner + message[end:]


def set_raw(message: str, key: str, raw: str) -> str:
    """``message`` with the value of token_usage's ``key`` replaced by the raw JSON text ``raw``."""
    start, end = usage_text(message)
    inner = message[start:end]
    i = inner.index(f'"{key}":') + len(key) + 3
    j = i
    while inner[j] not in ",}":
        j += 1
    return with_usage(message, inner[:i] + raw + inner[j:])


def both_paths(messages) -> tuple[DayAggregate, DayAggregate]:
    """Feed the messages to both paths, asserting the same answer line by line."""
    fast, checked = DayAggregate(DAY, accept_unsigned=True), DayAggregate(DAY, accept_unsigned=True)
    for message in messages:
        assert fast._add_fast(message) == checked._add_checked(message), repr(message)
    assert fast.sums == checked.sums
    assert (fast.lines_skipped, fast.duplicates, fast.seen, fast.timed_out) == (
        checked.lines_skipped,
        checked.duplicates,
        checked.seen,
        checked.timed_out,
    )
    for sums in fast.sums.values():
        assert all(type(n) is int for n in sums)
    return fast, checked


def powertools_line(**record) -> str:
    """A usage line written by the invoke function's own logger (powertools), as CloudWatch gets it."""
    from aws_lambda_powertools import Logger

    logger = Logger(service="invoke_model")
    handler = logger.registered_handler  # powertools keeps one handler per service name
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logger.info("TOKEN_USAGE", extra={"token_usage": record})
    finally:
        if previous is not None:
            handler.setStream(previous)
    return stream.getvalue().strip()


def record(**kwargs) -> dict:
    fields = {
        "tenant_id": "tenant-1",
        "request_id": "req-1",
        "model_id": SONNET,
        "region": "us-east-1",
        "usage": Usage(10, 282, 0, 0),
        "latency_ms": 412,
        "day": DAY,
    }
    fields.update(kwargs)
    return usage_record(**fields)


def test_add_is_the_fast_path_when_msgspec_is_installed():
    assert aggregate.msgspec is not None, "msgspec is in requirements/runtime.txt: reinstall the venv"
    assert DayAggregate.add is DayAggregate._add_fast


def test_the_loggers_own_lines_are_counted_by_the_fast_path_alone(monkeypatch):
    lines = [
        powertools_line(**record(request_id=f"req-{n}", tenant_id=tenant, usage=Usage(n, 2 * n, n % 3, 0)))
        for n, tenant in enumerate(["tenant-1", "tënant-ü", "租户", 't"quoted\\', "emoji-😀", "a}b{c"])
    ]

    def refuse(self, message):
        raise AssertionError(f"the checked path was asked about {message!r}")

    monkeypatch.setattr(DayAggregate, "_add_checked", refuse)
    agg = DayAggregate(DAY, accept_unsigned=True)
    # a "}" inside a string cuts the fast decode short: that one line is left to the checked path
    assert [agg.add(m) for m in lines[:5]] == [True] * 5
    monkeypatch.undo()
    assert agg.add(lines[5]) is True
    fast, _ = both_paths(lines)
    assert sorted(t for t, *_ in fast.sums) == sorted(
        ["tenant-1", "tënant-ü", "租户", 't"quoted\\', "emoji-😀", "a}b{c"]
    )


VALID_BUT_UNUSUAL = [
    line(),
    line(compact=False),  # spaces: the full parse
    line(tenant="tënant-ü", model_id="us.anthropic.claude-3-5-haiku-20241022-v1:0"),
    json.dumps(json.loads(line(tenant="tënant-ü")), separators=(",", ":"), ensure_ascii=True),  # \u escapes
    line(tenant='t"x\\y/z'),  # escaped quote and backslash
    line(tenant="a}b"),  # a brace inside a string
    line(tenant="a{b"),
    line(tenant="\u2028\u00a0"),
    line(input_tokens=0, output_tokens=0),
    line(input_tokens=2**64 - 1, output_tokens=2**64),  # past 64 bits: still exact integers
    line(input_tokens=10**30),
    line(cache_read=5, cache_write=7),
    line(region=""),
    line(latency_ms=None),
    line(latency_ms=1.5),
    line(latency_ms=[1, 2]),
    line(latency_ms={"nested": {"deeper": 1}}),  # a nested value: the fast decode is cut short
    line(latency_ms="NaN"),
    line(extra_field="anything"),
    line(schema_version=2),
    line(schema_version=2, cache_write=9, cache_write_1h_input_tokens=4, tier="long_context"),
    line(schema_version=2, cache_write=9, cache_write_1h_input_tokens=9, tier="flex"),
    line(schema_version=2, tier="priority", timed_out=True, signature="abc"),  # fields added elsewhere
    line(schema_version=1, tier="standard"),
    set_raw(line(), "schema_version", "1.0"),  # 1.0 == 1 for the checked path
    set_raw(line(), "schema_version", "true"),  # so is true
    set_raw(line(), "latency_ms", "NaN"),  # the standard library reads NaN, msgspec does not
    set_raw(line(), "latency_ms", "Infinity"),
    set_raw(line(), "latency_ms", "1e400"),
    set_raw(line(), "input_tokens", "-0"),
    set_raw(line(), "tenant_id", '"\\u0074\\u0031"'),  # "t1" spelled with escapes
    set_raw(line(), "tenant_id", '"\\ud83d\\ude00"'),  # a surrogate pair
    set_raw(line(), "tenant_id", '"\\ud800"'),  # a lone surrogate: the standard library keeps it
    set_raw(line(), "tenant_id", '"\\udc00\\ud800"'),
    set_raw(line(), "tenant_id", '"\\u0000"'),
    line(tenant="SURROGATE").replace("SURROGATE", "\ud800"),  # a lone surrogate in the text itself
]
# the token_usage object spelled in other ways: key order, whitespace, escaped or repeated keys
_FIELDS = (
    '"schema_version":1',
    '"tenant_id":"t1"',
    '"request_id":"r1"',
    f'"model_id":"{SONNET}"',
    '"region":"us-east-1"',
    '"input_tokens":10',
    '"output_tokens":282',
    '"cache_read_input_tokens":0',
    '"cache_write_input_tokens":0',
    '"latency_ms":321',
)
SPELLINGS = [
    "{" + ",".join(reversed(_FIELDS)) + "}",
    "{" + ",".join(_FIELDS[1:] + _FIELDS[:1]) + "}",
    "{ " + " , ".join(f.replace(":", " :\t") for f in _FIELDS) + "\n}",
    "{" + ",".join(_FIELDS) + ' ,"x":[1, 2 ]}',
    "{" + ",".join(_FIELDS).replace('"tenant_id"', '"tenant\\u005fid"') + "}",
    "{" + ",".join(_FIELDS) + ',"tenant_id":"t2"}',  # a repeated key: the last one wins
    "{" + ",".join(_FIELDS) + ',"tenant\\u005fid":"t3"}',
    "{" + ",".join(_FIELDS) + ',"input_tokens":-1}',
    '{"input_tokens":-1,' + ",".join(_FIELDS) + "}",
    "{" + ",".join(_FIELDS) + ',"input_tokens":7}',
    "{" + ",".join(_FIELDS) + ',"schema_version":2}',
    "{" + ",".join(_FIELDS) + ',"schema_version":4}',
    "{" + ",".join(_FIELDS) + ',"tier":"flex","tier":"nope"}',
    "{" + ",".join(_FIELDS) + ',"cache_write_1h_input_tokens":1}',
    "{" + ",".join(_FIELDS) + ',"schema\\u005fversion":2}',
    "{" + ",".join(f for f in _FIELDS if "region" not in f) + "}",  # region absent: ""
    "{" + ",".join(f for f in _FIELDS if "cache" not in f) + "}",  # cache counts absent: 0
]
INVALID = [
    "",
    "START RequestId: 1f0e Version: $LATEST",
    "not json but mentions TOKEN_USAGE",
    "[1, 2, 3]",
    '"TOKEN_USAGE"',
    "null",
    '{"message":"TOKEN_USAGE"}',
    '{"message":"TOKEN_USAGE","token_usage":{',
    '{"message":"TOKEN_USAGE","token_usage":{"schema_version":1,',
    '{"message":"TOKEN_USAGE","token_usage":{}}',
    json.dumps({"message": "other", "token_usage": json.loads(line())["token_usage"]}),
    json.dumps({"message": "TOKEN_USAGE", "token_usage": [1]}),
    json.dumps({"message": "TOKEN_USAGE", "token_usage": "text"}),
    line(schema_version=4),
    line(schema_version=0),
    line(schema_version="1"),
    line(input_tokens=-1),
    line(input_tokens=-(2**70)),
    line(output_tokens=1.5),
    line(output_tokens=1.0),
    line(output_tokens="3"),
    line(input_tokens=True),
    line(cache_read=-5),
    line(cache_write=None),
    line(tenant=""),
    line(tenant=7),
    line(request_id=""),
    line(request_id=None),
    line(request_id=["r"]),
    line(model_id=""),
    line(region=None),
    line(region=1),
    line()[:-20],
    line().replace('"input_tokens":10,', ""),
    set_raw(line(), "input_tokens", "1e2"),
    set_raw(line(), "input_tokens", "01"),
    set_raw(line(), "latency_ms", "01"),
    set_raw(line(), "latency_ms", '"a\tb"'),  # a raw control character in a string
    set_raw(line(), "tenant_id", '"t\x00"'),
    set_raw(line(), "tenant_id", '"\\x41"'),
    set_raw(line(), "tenant_id", "'t1'"),
    with_usage(line(), "{" + ",".join(_FIELDS) + ",}"),
    with_usage(line(), "{" + ",".join(_FIELDS) + "\f}"),
]


@pytest.mark.parametrize("message", VALID_BUT_UNUSUAL + INVALID)
def test_each_line_gets_the_same_answer_from_both_paths(message):
    both_paths([message])


def test_every_unusual_valid_line_is_counted():
    lines = [m.replace('"r1"', f'"id-{n}"') for n, m in enumerate(VALID_BUT_UNUSUAL)]
    fast, _ = both_paths(lines)
    assert (fast.lines_counted, fast.lines_skipped) == (len(lines), 0)


@pytest.mark.parametrize("inner", SPELLINGS)
def test_other_spellings_of_the_object_get_the_same_answer(inner):
    both_paths([with_usage(line(), inner)])


def test_every_invalid_line_is_skipped_and_counted():
    fast, _ = both_paths(INVALID)
    assert (fast.lines_skipped, fast.duplicates, fast.sums) == (len(INVALID), 0, {})


def test_non_text_messages_are_skipped_by_both():
    for message in (None, 42, b'{"message":"TOKEN_USAGE"}', ["TOKEN_USAGE"]):
        fast, _ = both_paths([message])
        assert fast.lines_skipped == 1


def test_a_day_of_mixed_lines_gives_the_same_state():
    lines = []
    for n, message in enumerate(VALID_BUT_UNUSUAL + [with_usage(line(), s) for s in SPELLINGS]):
        # the same line under a fresh request id, then repeated (a duplicate), then its cousins
        lines.append(message.replace('"r1"', f'"id-{n}"'))
        lines.append(message.replace('"r1"', f'"id-{n}"'))
    lines += INVALID + [line(request_id="id-0", input_tokens=999)]
    fast, checked = both_paths(lines)
    assert fast.duplicates > len(VALID_BUT_UNUSUAL)
    assert fast.lines_read == checked.lines_read == len(lines)


def test_rows_from_both_paths_are_identical():
    lines = [
        line(request_id=f"r{n}", tenant=f"t{n % 4}", input_tokens=n, output_tokens=3 * n, cache_read=n % 2)
        for n in range(300)
    ]
    catalog = load_catalog()
    fast, checked = both_paths(lines)
    assert aggregate.build_rows(fast, catalog) == aggregate.build_rows(checked, catalog)
    assert (
        aggregate.build_rows(fast, catalog)[0]
        == aggregate_lines(DAY, lines, catalog, accept_unsigned=True)[1]
    )


# random damage to real lines: wherever it lands, both paths must still agree
JSON_BITS = st.sampled_from(
    list('"{}[],:\\ \t-+.eE019tfn') + ["\x00", "\x1f", "é", "\\u", "\\ud800", "\\u005f", "NaN", "1e400"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 4), st.one_of(JSON_BITS, st.text(max_size=3))),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_damaged_lines_get_the_same_answer(edits, near_usage):
    message = line(tenant="tënant", cache_read=3)
    offset = usage_text(message)[0] if near_usage else 0
    for position, cut, text in edits:
        at = offset + position % (len(message) - offset + 1)
        message = message[:at] + text + message[at + cut :]
    both_paths([message])


def load_without_msgspec(monkeypatch):
    """A separate copy of token_profiler.aggregate, imported as if msgspec were not installed."""
    monkeypatch.setitem(sys.modules, "msgspec", None)
    spec = importlib.util.spec_from_file_location("aggregate_without_msgspec", aggregate.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_msgspec_the_standard_library_does_everything(monkeypatch):
    stdlib = load_without_msgspec(monkeypatch)
    assert stdlib.msgspec is None and stdlib._decode_usage is None
    assert stdlib.DayAggregate.add is stdlib.DayAggregate._add_checked
    lines = VALID_BUT_UNUSUAL + INVALID + [with_usage(line(), s) for s in SPELLINGS]
    lines = [m.replace('"r1"', f'"id-{n}"') for n, m in enumerate(lines)] + lines[:5]
    without, with_ = stdlib.DayAggregate(DAY, accept_unsigned=True), DayAggregate(DAY, accept_unsigned=True)
    assert [without.add(m) for m in lines] == [with_.add(m) for m in lines]
    assert (without.sums, without.lines_skipped, without.duplicates) == (
        with_.sums,
        with_.lines_skipped,
        with_.duplicates,
    )
    catalog = load_catalog()
    assert stdlib.build_rows(without, catalog) == aggregate.build_rows(with_, catalog)


def test_timed_out_lines_are_counted_with_their_bounds_by_both_paths():
    # defect 11: the optional, additive timed_out field; lines without it read as before
    messages = [
        line(request_id="a", input_tokens=34, output_tokens=700, timed_out=True),
        line(request_id="b", input_tokens=10, output_tokens=5),
        line(request_id="c", input_tokens=1, output_tokens=2, timed_out=False),
        line(request_id="d", input_tokens=3, output_tokens=4, timed_out=True, compact=False),
        line(request_id="e", input_tokens=9, output_tokens=9, timed_out="yes"),  # not a boolean
        line(request_id="f", input_tokens=9, output_tokens=9, timed_out=1),
    ]
    fast, checked = both_paths(messages)
    assert fast.timed_out == 2
    assert fast.lines_skipped == 2
    assert fast.sums == {
        ("t1", SONNET, "us-east-1", "standard"): [34 + 10 + 1 + 3, 700 + 5 + 2 + 4, 0, 0, 4, 0]
    }


# ---- the signed day (schema 3): both paths give every line the same answer ---------------------


def signed_at(timestamp: str, day: str | None, request_id: str = "r-day") -> str:
    from tests.support.usage_lines import TEST_KEYRING, usage_line

    extra = {"schema_version": 3, "day": day} if day is not None else {"schema_version": 2}
    line = usage_line(
        tenant="t",
        request_id=request_id,
        model_id="m",
        input_tokens=2,
        output_tokens=3,
        keyring=TEST_KEYRING,
        **extra,
    )
    return line.replace("2026-11-26 10:00:00,000+0000", timestamp)


@pytest.mark.parametrize(
    ("timestamp", "day", "accept_undated", "counted", "reason"),
    [
        ("2026-11-26 10:00:00,000+0000", "2026-11-26", False, True, None),
        ("2026-11-26 10:00:00,000+0000", "2026-11-25", True, False, "day_mismatch"),
        ("2026-11-26 10:00:00,000+0000", "2026-11-27", True, False, "day_mismatch"),
        ("2026-11-26 00:04:59,999+0000", "2026-11-25", True, False, None),  # the 25th's late line
        ("2026-11-26 00:05:00,000+0000", "2026-11-25", True, False, "day_mismatch"),
        ("2026-11-25 23:59:59,999+0000", "2026-11-25", True, False, None),  # received after midnight
        ("2026-11-25 10:00:00,000+0000", "2026-11-24", True, False, "day_mismatch"),
        ("2026-11-26 00:01:00,000+0000", "2026-11-24", True, False, "day_mismatch"),
        ("2026-11-26 00:01:00,000+0000", "", True, False, "day_mismatch"),
        ("2026-11-26 10:00:00,000+0000", None, True, True, None),
        ("2026-11-26 10:00:00,000+0000", None, False, False, "missing_day"),
    ],
)
def test_both_paths_bill_a_signed_line_only_on_the_day_it_names(
    timestamp, day, accept_undated, counted, reason
):
    from tests.support.usage_lines import TEST_KEYRING

    message = signed_at(timestamp, day)
    answers = []
    for add in ("_add_fast", "_add_checked"):
        agg = DayAggregate(DAY, TEST_KEYRING.keys, accept_undated=accept_undated)
        answers.append((getattr(agg, add)(message), {k: v for k, v in agg.rejected.items() if v}, agg.sums))
    expected_sums = {("t", "m", "us-east-1", "standard"): [2, 3, 0, 0, 1, 0]} if counted else {}
    assert answers == [(counted, {reason: 1} if reason else {}, expected_sums)] * 2


def test_a_line_refused_for_its_day_never_takes_the_request_id_of_the_real_one():
    from tests.support.usage_lines import TEST_KEYRING

    replayed = signed_at("2026-11-26 09:00:00,000+0000", "2026-11-20", "same")
    real = signed_at("2026-11-26 10:00:00,000+0000", DAY, "same")
    for add in ("_add_fast", "_add_checked"):
        agg = DayAggregate(DAY, TEST_KEYRING.keys)
        assert [getattr(agg, add)(m) for m in (replayed, real)] == [False, True]
        assert (agg.rejected["day_mismatch"], agg.duplicates, agg.lines_counted) == (1, 0, 1)


def test_add_late_keeps_only_this_days_verified_lines_and_leaves_no_count_otherwise():
    from tests.support.usage_lines import TEST_KEYRING

    agg = DayAggregate(DAY, TEST_KEYRING.keys, accept_undated=True)
    ours = signed_at("2026-11-27 00:00:01,000+0000", DAY, "ours")
    theirs = signed_at("2026-11-27 00:00:01,000+0000", "2026-11-27", "theirs")
    undated = signed_at("2026-11-27 00:00:01,000+0000", None, "undated")
    forged = ours.replace('"input_tokens":2', '"input_tokens":2000')
    assert [agg.add_late(m) for m in (ours, theirs, undated, forged, "not json TOKEN_USAGE")] == [True] + [
        False
    ] * 4
    assert agg.add_late(ours) is False  # the same call again: a duplicate
    assert (agg.lines_counted, agg.duplicates, agg.lines_skipped, agg.lines_rejected) == (1, 1, 0, 0)
    assert agg.late is False


def test_unsigned_days_also_accept_signed_lines_without_a_day():
    from tests.support.usage_lines import TEST_KEYRING

    message = signed_at("2026-11-26 10:00:00,000+0000", None)
    for add in ("_add_fast", "_add_checked"):
        agg = DayAggregate(DAY, TEST_KEYRING.keys, accept_unsigned=True, accept_undated=False)
        assert getattr(agg, add)(message) is True
