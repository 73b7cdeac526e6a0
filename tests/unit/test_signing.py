"""Signed usage lines: the canonical form, the MAC, and the aggregator billing only lines that verify.

Expected MACs are computed here with hmac/hashlib over JSON written by hand, not by the module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from token_profiler import signing
from token_profiler.aggregate import DayAggregate, aggregate_lines
from token_profiler.prices import load_catalog

from tests.support.usage_lines import TEST_KEYRING, TEST_KEYRING_VALUE, usage_line

pytestmark = pytest.mark.unit

DAY = "2026-12-01"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
KEY2 = b"test key two, thirty-two bytes!!"


def signed(**overrides) -> str:
    base = {"tenant": "t1", "request_id": "r1", "model_id": SONNET, "input_tokens": 10, "output_tokens": 282}
    base.update(overrides)
    return usage_line(keyring=TEST_KEYRING, **base)


class Checked:
    """An aggregate read through its checked path only (its ``add`` is the rule, no fast path)."""

    def __init__(self, agg: DayAggregate):
        self.agg = agg
        self.add = agg._add_checked

    def __getattr__(self, name):
        return getattr(self.agg, name)


def both(keys=TEST_KEYRING.keys, accept_unsigned=False):
    """A fast-path and a checked-path aggregate with the same trust."""
    fast = DayAggregate(DAY, keys, accept_unsigned=accept_unsigned)
    assert fast.add.__func__ is DayAggregate._add_fast  # msgspec is installed: the fast path runs
    return fast, Checked(DayAggregate(DAY, keys, accept_unsigned=accept_unsigned))


def test_canonical_form_is_sorted_compact_utf8_without_the_signature():
    usage = {"b": 1, "a": {"z": "é", "y": [1, 2]}, "sig": {"kid": "x", "mac": "y"}}
    assert signing.canonical(usage) == '{"a":{"y":[1,2],"z":"é"},"b":1}'.encode()


def test_the_mac_is_hmac_sha256_base64url_unpadded():
    usage = {"schema_version": 1, "tenant_id": "t1", "input_tokens": 5}
    record = signing.sign(usage, TEST_KEYRING)
    text = '{"input_tokens":5,"schema_version":1,"tenant_id":"t1"}'
    want = (
        base64.urlsafe_b64encode(hmac.new(KEY2, text.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    )
    assert record["sig"] == {"kid": "test-2", "mac": want}
    # logged in canonical key order with the signature last (the aggregator's fast path relies on it)
    assert list(record) == ["input_tokens", "schema_version", "tenant_id", "sig"]
    assert signing.check(record, TEST_KEYRING.keys) is None


def test_a_signed_line_is_billed_by_both_paths():
    for agg in both():
        assert agg.add(signed())
        assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [10, 282, 0, 0, 1, 0]}
        assert agg.rejected == {
            "bad_signature": 0,
            "missing_signature": 0,
            "unknown_key": 0,
            "day_mismatch": 0,
            "missing_day": 0,
        }


TAMPERS = {
    "schema_version": 2,
    "tenant_id": "t2",
    "request_id": "r2",
    "model_id": "amazon.nova-micro-v1:0",
    "region": "eu-west-1",
    "input_tokens": 11,
    "output_tokens": 281,
    "cache_read_input_tokens": 1,
    "cache_write_input_tokens": 1,
    "latency_ms": 1,
}


@pytest.mark.parametrize("field", sorted(TAMPERS))
def test_changing_any_signed_field_rejects_the_line(field):
    # Given a genuine line whose one field is then changed, the signature kept
    line = json.loads(signed())
    line["token_usage"][field] = TAMPERS[field]
    message = json.dumps(line, separators=(",", ":"))
    for agg in both():
        assert not agg.add(message)
        # version 1 and 2 are both read, so a changed version is a changed signed field too
        assert agg.rejected["bad_signature"] == 1, field
        assert agg.sums == {} and agg.seen == set()


def test_an_added_field_or_a_changed_mac_rejects_the_line():
    line = json.loads(signed())
    line["token_usage"]["timed_out"] = True
    added = json.dumps(line, separators=(",", ":"))
    line = json.loads(signed())
    mac = line["token_usage"]["sig"]["mac"]
    line["token_usage"]["sig"]["mac"] = ("A" if mac[0] != "A" else "B") + mac[1:]
    changed = json.dumps(line, separators=(",", ":"))
    for message in (added, changed):
        for agg in both():
            assert not agg.add(message)
            assert agg.rejected["bad_signature"] == 1


def test_missing_and_unknown_key_and_malformed_signatures_are_told_apart():
    unsigned = usage_line(tenant="t1", request_id="r1", model_id=SONNET, input_tokens=1, output_tokens=1)
    line = json.loads(signed(request_id="r2"))
    line["token_usage"]["sig"]["kid"] = "test-9"
    unknown = json.dumps(line, separators=(",", ":"))
    line["token_usage"]["sig"] = "not an object"
    malformed = json.dumps(line, separators=(",", ":"))
    for agg in both():
        for message in (unsigned, unknown, malformed):
            assert not agg.add(message)
        assert agg.rejected == {
            "bad_signature": 1,
            "missing_signature": 1,
            "unknown_key": 1,
            "day_mismatch": 0,
            "missing_day": 0,
        }
        assert agg.lines_rejected == 3 and agg.lines_read == 3 and agg.lines_counted == 0


def test_a_forged_line_with_a_real_request_id_does_not_displace_the_real_one():
    # Given a forged line (signed with a key the deployment does not hold) that reuses a real
    # request id and comes first, as an earlier timestamp would place it
    forger = signing.Keyring(current="test-2", keys={"test-2": b"a key the forger made up, 32 b.!"})
    forged = usage_line(
        keyring=forger, tenant="victim", request_id="r1", model_id=SONNET, input_tokens=10**9, output_tokens=0
    )
    unsigned = usage_line(
        tenant="victim", request_id="r1", model_id=SONNET, input_tokens=10**9, output_tokens=0
    )
    for agg in both():
        # When the forged lines and then the real line are read
        assert not agg.add(forged)
        assert not agg.add(unsigned)
        assert agg.add(signed())
        # Then only the real line is billed, and the forgeries are reported
        assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [10, 282, 0, 0, 1, 0]}
        assert agg.duplicates == 0
        assert agg.rejected == {
            "bad_signature": 1,
            "missing_signature": 1,
            "unknown_key": 0,
            "day_mismatch": 0,
            "missing_day": 0,
        }


def test_a_replayed_genuine_line_counts_once():
    for agg in both():
        assert agg.add(signed())
        assert not agg.add(signed())
        assert agg.duplicates == 1 and agg.lines_counted == 1


def test_lines_signed_with_an_older_key_still_verify_after_rotation():
    old = signing.Keyring(current="test-1", keys=TEST_KEYRING.keys)
    line = usage_line(
        keyring=old, tenant="t1", request_id="r1", model_id=SONNET, input_tokens=3, output_tokens=4
    )
    assert json.loads(line)["token_usage"]["sig"]["kid"] == "test-1"
    for agg in both():
        assert agg.add(line)
    # a keyring that dropped the old key no longer bills it
    for agg in both(keys={"test-2": KEY2}):
        assert not agg.add(line)
        assert agg.rejected["unknown_key"] == 1


def test_unsigned_lines_bill_only_when_the_day_accepts_them():
    unsigned = usage_line(tenant="t1", request_id="r1", model_id=SONNET, input_tokens=3, output_tokens=4)
    for agg in both(accept_unsigned=True):
        assert agg.add(unsigned)
        assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [3, 4, 0, 0, 1, 0]}
    # before the switch-over a line that carries a bad signature is still refused
    line = json.loads(signed(request_id="r2"))
    line["token_usage"]["input_tokens"] = 99
    for agg in both(accept_unsigned=True):
        assert not agg.add(json.dumps(line, separators=(",", ":")))
        assert agg.rejected["bad_signature"] == 1


def test_a_signed_line_spelled_another_way_is_verified_by_the_checked_path():
    # spaces and escaped non-ASCII text: not the bytes that were signed, the same object
    line = usage_line(
        keyring=TEST_KEYRING,
        tenant="tenant-é",
        request_id="r1",
        model_id=SONNET,
        input_tokens=1,
        output_tokens=2,
        compact=False,
    )
    assert "\\u00e9" in line and ": " in line
    for agg in both():
        assert agg.add(line)
        assert agg.sums == {("tenant-é", SONNET, "us-east-1", "standard"): [1, 2, 0, 0, 1, 0]}


def test_aggregate_lines_bills_the_verified_rows_only():
    forged = usage_line(tenant="t1", request_id="x", model_id=SONNET, input_tokens=10**6, output_tokens=0)
    agg, rows, _ = aggregate_lines(DAY, [signed(), forged], load_catalog(), keys=TEST_KEYRING.keys)
    assert [(r["pk"], r["invocations"], r["input_tokens"]) for r in rows] == [("t1", 1, 10)]
    assert agg.rejected["missing_signature"] == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "not JSON"),
        ("[]", "must be"),
        ('{"current": "a", "keys": {}}', "must be"),
        ('{"current": "a", "keys": {"a b": "QUFB"}}', "key id"),
        ('{"current": "a", "keys": {"a": "QUFB"}}', "at least 32 bytes"),
        ('{"current": "a", "keys": {"a": 5}}', "at least 32 bytes"),
        ('{"current": "b", "keys": {"a": "' + base64.b64encode(b"k" * 32).decode() + '"}}', "current"),
    ],
)
def test_a_bad_keyring_fails_with_a_message_that_holds_no_key(value, message):
    with pytest.raises(signing.KeyringError, match=message) as raised:
        signing.parse_keyring(value)
    assert "a2tr" not in str(raised.value)


def test_new_keyrings_and_rotation():
    first = signing.parse_keyring(signing.new_keyring_value("2026-12-01"))
    assert first.current.startswith("2026-12-01.") and len(first.keys[first.current]) == 32
    rotated = signing.parse_keyring(signing.new_keyring_value("2026-12-02", TEST_KEYRING_VALUE))
    assert set(rotated.keys) == {"test-1", "test-2", rotated.current}
    assert rotated.keys["test-2"] == KEY2 and rotated.current.startswith("2026-12-02.")
    assert "test key" not in repr(rotated)


def test_the_fast_path_verifies_a_compact_signed_line_without_the_checked_path(monkeypatch):
    # Given a checked path that fails the test if it is reached
    def reached(self, message):
        raise AssertionError("checked path reached")

    monkeypatch.setattr(DayAggregate, "_add_checked", reached)
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    # When compact signed lines as invoke_model logs them are added
    assert agg.add(signed())
    assert agg.add(signed(request_id="r2", input_tokens=5))
    # Then the fast path alone billed them
    assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [15, 564, 0, 0, 2, 0]}
    # and any line that does not verify there is left to the checked path
    line = json.loads(signed(request_id="r3"))
    line["token_usage"]["input_tokens"] = 6
    with pytest.raises(AssertionError, match="checked path reached"):
        agg.add(json.dumps(line, separators=(",", ":")))


def test_a_signed_version_2_line_with_tier_cache_hour_and_timed_out_verifies_on_the_fast_path(monkeypatch):
    # Given the fields both merged sides add to the usage line, signed as invoke_model signs them
    v2 = {"schema_version": 2, "cache_write": 9, "cache_write_1h_input_tokens": 4, "tier": "flex"}
    lines = [signed(**v2), signed(request_id="r2", timed_out=True, **v2)]
    # When the checked path alone reads them, then the fast path alone
    checked = DayAggregate(DAY, TEST_KEYRING.keys)
    assert all(checked._add_checked(line) for line in lines)

    def reached(self, message):
        raise AssertionError("checked path reached")

    monkeypatch.setattr(DayAggregate, "_add_checked", reached)
    fast = DayAggregate(DAY, TEST_KEYRING.keys)
    assert all(fast.add(line) for line in lines)
    # Then both bill them under the flex tier with the 1-hour share and count the timed-out one
    want = {("t1", SONNET, "us-east-1", "flex"): [20, 564, 0, 18, 2, 8]}
    assert fast.sums == checked.sums == want
    assert fast.timed_out == checked.timed_out == 1


@pytest.mark.parametrize("key_length", [32, 64, 65, 100])
def test_the_precomputed_mac_equals_the_standard_librarys(key_length):
    key = bytes(range(key_length))
    keyed = signing.KeyedMac(key)
    for data in (b"", b"x", "é".encode() * 200, bytes(range(256)) * 3):
        want = hmac.new(key, data, hashlib.sha256).digest()
        assert keyed(data) == base64.urlsafe_b64encode(want).decode().rstrip("=") == signing.mac(key, data)


def _answers(message: str, keys=TEST_KEYRING.keys):
    """The fast and the checked path's answer and final state for one line."""
    fast, checked = both(keys)
    answers = (fast.add(message), checked.add(message))
    state = (fast.sums, fast.rejected, fast.lines_skipped)
    assert state == (checked.sums, checked.rejected, checked.lines_skipped), repr(message)
    return answers, fast


def _wrapped(message: str, before: str = "", after: str = "") -> str:
    """``message`` with raw JSON fields added before its token_usage and after its last field."""
    at = message.index('"token_usage":')
    out = message[:at] + before + message[at:]
    return out[:-1] + after + "}"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # an object before token_usage: the line's first nested object is not the usage
        ('"ctx":{"a":1},', ""),
        # an object after the signature: the line's last object is not the signature
        ("", ',"xray":{"b":2}'),
        # a later field that spells the signature's key: its last "{" is not this line's signature
        ("", ',"x":{"y":1,"sig":{"kid":"test-2","mac":"' + "A" * 43 + '"}}'),
        ("", ',"x":{"y":1,"sig":{"kid":"nope","mac":"A"}}'),
    ],
)
def test_a_signed_line_among_other_objects_is_billed_by_both_paths(before, after):
    # Given a genuine signed line, with other objects around its token_usage
    message = _wrapped(signed(), before, after)
    # When both paths read it, Then both bill it once, the same way
    (fast_answer, checked_answer), fast = _answers(message)
    assert fast_answer is checked_answer is True
    assert fast.sums == {("t1", SONNET, "us-east-1", "standard"): [10, 282, 0, 0, 1, 0]}


# a MAC spoiled in each way a forger might try: wrong length, wrong alphabet, wrong padding
BAD_MAC_EDITS = [
    lambda mac: mac + "=",  # padded
    lambda mac: mac + "A",  # one character more
    lambda mac: mac[:-1],  # one character less
    lambda mac: mac[:-1] + '\\"',  # an escaped quote where the last character was
    lambda mac: mac.replace(mac[5], "+" if mac[5] != "+" else "/"),  # base64, not base64url
]


@pytest.mark.parametrize("edit", BAD_MAC_EDITS)
def test_a_mac_of_the_wrong_length_or_alphabet_is_rejected_by_both_paths(edit):
    message = signed()
    mac = json.loads(message)["token_usage"]["sig"]["mac"]
    (fast_answer, checked_answer), fast = _answers(message.replace(mac, edit(mac)))
    assert fast_answer is checked_answer is False
    assert fast.rejected[signing.BAD_SIGNATURE] == 1 and not fast.sums


@pytest.mark.parametrize("kid", ['test-2\\"', "test-", "test-22", ""])
def test_a_key_id_that_is_not_exactly_a_known_one_is_not_trusted(kid):
    message = signed().replace('"kid":"test-2"', f'"kid":"{kid}"')
    (fast_answer, checked_answer), fast = _answers(message)
    assert fast_answer is checked_answer is False
    assert fast.rejected[signing.UNKNOWN_KEY] == 1 and not fast.sums


def test_a_lone_surrogate_in_a_field_is_signed_and_checked_without_raising():
    # json.loads turns "\ud800" into a lone surrogate, which strict UTF-8 cannot encode
    record = {"tenant_id": "t\ud800", "input_tokens": 1}
    assert signing.canonical(record) == b'{"input_tokens":1,"tenant_id":"t\xed\xa0\x80"}'
    want = base64.urlsafe_b64encode(
        hmac.new(KEY2, b'{"input_tokens":1,"tenant_id":"t\xed\xa0\x80"}', hashlib.sha256).digest()
    )
    signed_record = signing.sign(record, TEST_KEYRING)
    assert signed_record["sig"] == {"kid": "test-2", "mac": want.decode().rstrip("=")}
    assert signing.check(signed_record, TEST_KEYRING.keys) is None
    assert signing.check({**signed_record, "input_tokens": 2}, TEST_KEYRING.keys) == "bad_signature"


@pytest.mark.parametrize(
    "sig",
    [
        {"kid": "test-2", "mac": 5},
        {"kid": "test-2"},
        {"kid": 2, "mac": "A" * 43},
        {"mac": "A" * 43},
        {"kid": "test-2", "mac": "é" * 43},  # not ASCII: compare_digest would raise
        ["test-2", "A" * 43],
    ],
)
def test_a_signature_of_the_wrong_shape_is_a_bad_signature(sig):
    record = {"tenant_id": "t1", "input_tokens": 1, "sig": sig}
    assert signing.check(record, TEST_KEYRING.keys) == "bad_signature"


def test_a_new_key_id_is_the_day_and_six_hex_digits():
    kids = {signing.new_key_id("2026-12-01") for _ in range(20)}
    assert len(kids) > 1
    for kid in kids:
        day, _, random_part = kid.partition(".")
        assert day == "2026-12-01"
        assert len(random_part) == 6 and int(random_part, 16) >= 0


def test_a_rotated_keyring_value_lists_its_keys_sorted():
    value = signing.new_keyring_value("2026-12-02", TEST_KEYRING_VALUE)
    kids = list(json.loads(value)["keys"])
    assert len(kids) == 3
    # the new key's id begins with the day, so it sorts before test-1 and test-2
    assert kids[0].startswith("2026-12-02.") and kids[1:] == ["test-1", "test-2"]
    assert value.index('"current"') < value.index('"keys"')


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "signing key secret: not JSON"),
        ("[]", 'signing key secret: must be {"current": <kid>, "keys": {<kid>: <base64>}}'),
        (
            '{"current": "b", "keys": {"a": "' + base64.b64encode(b"k" * 32).decode() + '"}}',
            "signing key secret: current must name one of its keys",
        ),
        (
            '{"current": "a", "keys": {"a": "not base64 at all!"}}',
            "signing key secret: key a must be base64 of at least 32 bytes",
        ),
        # valid base64 of 32 bytes behind characters outside the alphabet: refused, not skipped
        (
            '{"current": "a", "keys": {"a": "!!' + base64.b64encode(b"k" * 32).decode() + '"}}',
            "signing key secret: key a must be base64 of at least 32 bytes",
        ),
    ],
)
def test_keyring_refusals_say_exactly_what_is_wrong(value, message):
    with pytest.raises(signing.KeyringError) as raised:
        signing.parse_keyring(value)
    assert str(raised.value) == message


def test_every_rejected_line_is_counted_not_just_the_first_of_a_reason():
    unsigned = [
        usage_line(tenant="t1", request_id=f"u{n}", model_id=SONNET, input_tokens=1, output_tokens=1)
        for n in range(3)
    ]
    forged = []
    for n in range(2):
        line = json.loads(signed(request_id=f"f{n}"))
        line["token_usage"]["input_tokens"] = 99
        forged.append(json.dumps(line, separators=(",", ":")))
    for agg in both():
        for message in unsigned + forged:
            assert not agg.add(message)
        assert agg.rejected == {
            "bad_signature": 2,
            "missing_signature": 3,
            "unknown_key": 0,
            "day_mismatch": 0,
            "missing_day": 0,
        }
        assert agg.lines_rejected == 5


def test_an_aggregate_refuses_unsigned_lines_unless_told_otherwise():
    unsigned = usage_line(tenant="t1", request_id="u1", model_id=SONNET, input_tokens=1, output_tokens=1)
    strict = DayAggregate(DAY, TEST_KEYRING.keys)  # the default: fail closed
    assert not strict.add(unsigned)
    assert strict.rejected["missing_signature"] == 1 and strict.sums == {}
    lenient = DayAggregate(DAY, TEST_KEYRING.keys, accept_unsigned=True)
    assert lenient.add(unsigned)
    assert lenient.sums == {("t1", SONNET, "us-east-1", "standard"): [1, 1, 0, 0, 1, 0]}


def test_the_fast_path_counts_every_timed_out_line_and_skips_an_impossible_one_hour_share():
    fast, checked = both()
    for agg in (fast, checked):
        assert agg.add(signed(request_id="a", timed_out=True))
        assert agg.add(signed(request_id="b", timed_out=True))
        assert agg.add(signed(request_id="c"))
        # a one-hour share above the cache writes: signed, yet not a line the logger can write
        assert not agg.add(signed(request_id="d", cache_write=2, cache_write_1h_input_tokens=5))
        assert (agg.timed_out, agg.lines_skipped, agg.lines_counted) == (2, 1, 3)
        assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [30, 846, 0, 0, 3, 0]}


# ---- the fast path remembers the last key id it found (DayAggregate.last_sig) -------------------


def _primed(keys=TEST_KEYRING.keys):
    """Both paths after one genuine line signed with test-2: the fast path has remembered that key."""
    fast, checked = both(keys)
    first = signed(request_id="r0")
    assert fast.add(first) and checked.add(first)
    assert fast.last_sig[0] == ',"sig":{"kid":"test-2","mac":"'
    assert fast.last_sig[1] == len(',"sig":{"kid":"test-2","mac":"')
    return fast, checked


def _primed_answers(message: str):
    fast, checked = _primed()
    answers = (fast.add(message), checked.add(message))
    state = (fast.sums, fast.rejected, fast.lines_skipped, fast.duplicates)
    assert state == (checked.sums, checked.rejected, checked.lines_skipped, checked.duplicates), repr(message)
    return answers, fast


@pytest.mark.parametrize(
    "edit",
    [*BAD_MAC_EDITS, lambda mac: mac[::-1]],  # and the right length and alphabet, the wrong digest
)
def test_after_a_verified_line_a_bad_mac_with_the_same_key_id_is_still_rejected(edit):
    message = signed()
    mac = json.loads(message)["token_usage"]["sig"]["mac"]
    (fast_answer, checked_answer), fast = _primed_answers(message.replace(mac, edit(mac)))
    assert fast_answer is checked_answer is False
    assert fast.rejected[signing.BAD_SIGNATURE] == 1
    assert fast.sums == {("t1", SONNET, "us-east-1", "standard"): [10, 282, 0, 0, 1, 0]}  # r0 only


@pytest.mark.parametrize("kid", ['test-2\\"', "test-", "test-22", "", "test-3"])
def test_after_a_verified_line_a_key_id_close_to_the_remembered_one_is_not_trusted(kid):
    message = signed().replace('"kid":"test-2"', f'"kid":"{kid}"')
    (fast_answer, checked_answer), fast = _primed_answers(message)
    assert fast_answer is checked_answer is False
    assert fast.rejected[signing.UNKNOWN_KEY] == 1
    # a key id it does not hold is never remembered
    assert fast.last_sig[0] == ',"sig":{"kid":"test-2","mac":"'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('"ctx":{"a":1},', ""),
        ("", ',"xray":{"b":2}'),
        ("", ',"x":{"y":1,"sig":{"kid":"test-2","mac":"' + "A" * 43 + '"}}'),
    ],
)
def test_after_a_verified_line_a_line_among_other_objects_is_billed_once(before, after):
    (fast_answer, checked_answer), fast = _primed_answers(_wrapped(signed(), before, after))
    assert fast_answer is checked_answer is True
    assert fast.sums == {("t1", SONNET, "us-east-1", "standard"): [20, 564, 0, 0, 2, 0]}


def test_a_line_that_spells_the_remembered_key_then_tampers_with_its_body_is_rejected():
    line = json.loads(signed(request_id="r9"))
    line["token_usage"]["input_tokens"] = 11  # same signature text, other signed bytes
    (fast_answer, checked_answer), fast = _primed_answers(json.dumps(line, separators=(",", ":")))
    assert fast_answer is checked_answer is False
    assert fast.rejected[signing.BAD_SIGNATURE] == 1 and fast.lines_counted == 1


def test_lines_of_two_keys_interleaved_all_verify_on_the_fast_path(monkeypatch):
    # Given a checked path that fails the test if it is reached
    def reached(self, message):
        raise AssertionError("checked path reached")

    monkeypatch.setattr(DayAggregate, "_add_checked", reached)
    old = signing.Keyring(current="test-1", keys=TEST_KEYRING.keys)
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    # When lines signed with either key alternate (a rotation during the day)
    for n, keyring in enumerate([old, TEST_KEYRING, TEST_KEYRING, old, old, TEST_KEYRING]):
        line = usage_line(
            keyring=keyring, tenant="t1", request_id=f"r{n}", model_id=SONNET, input_tokens=n, output_tokens=1
        )
        assert agg.add(line)
        # Then each verified there, and the key it found last is the one remembered
        assert agg.last_sig[0] == f',"sig":{{"kid":"{keyring.current}","mac":"'
    assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [15, 6, 0, 0, 6, 0]}


def test_a_line_whose_signature_is_the_placeholder_goes_to_the_checked_path(monkeypatch):
    # The placeholder remembered before any line verified (a key id that is empty and unquoted)
    # names no states: a line that spells it is decided by the checked path, which refuses it.
    calls = []
    checked = DayAggregate._add_checked

    def spy(self, message):
        calls.append(message)
        return checked(self, message)

    monkeypatch.setattr(DayAggregate, "_add_checked", spy)
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    message = signed().replace('"kid":"test-2"', '"kid":""')
    assert agg.last_sig == (',"sig":{"kid":"' + '"', 0, None)
    assert not agg.add(message)
    assert calls == [message] and agg.rejected[signing.UNKNOWN_KEY] == 1


def test_an_unsigned_line_is_decoded_on_the_fast_path_without_touching_any_mac(monkeypatch):
    # Given a day that accepts unsigned lines, a checked path that fails the test if reached, and an
    # unsigned line whose text has '"}}' where the placeholder's MAC would end (index 43)
    def reached(self, message):
        raise AssertionError("checked path reached")

    monkeypatch.setattr(DayAggregate, "_add_checked", reached)
    plain = usage_line(tenant="t1", request_id="r1", model_id=SONNET, input_tokens=7, output_tokens=8)
    prefix = '{"p":{"q":{"r":"' + "A" * 27 + '"}},'
    message = prefix + plain[1:]
    assert message[43:46] == '"}}' and "sig" not in message
    agg = DayAggregate(DAY, TEST_KEYRING.keys, accept_unsigned=True)
    # When it is added, Then the fast path alone counts it (no MAC is checked for it)
    assert agg.add(message)
    assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [7, 8, 0, 0, 1, 0]}
    assert agg.last_sig == (',"sig":{"kid":"' + '"', 0, None)


@pytest.mark.parametrize(("before", "after"), [('"ctx":{"a":1},', ""), ("", ',"xray":{"b":2}')])
def test_a_signed_line_among_other_objects_verifies_on_the_fast_path(monkeypatch, before, after):
    # Given a checked path that fails the test if it is reached
    def reached(self, message):
        raise AssertionError("checked path reached")

    monkeypatch.setattr(DayAggregate, "_add_checked", reached)
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    # When genuine lines with another object before their usage or after their signature are added
    # (the first and the last "{" of the line are not theirs), before and after a key is remembered
    assert agg.add(_wrapped(signed(request_id="r1"), before, after))
    assert agg.add(_wrapped(signed(request_id="r2"), before, after))
    # Then the fast path found each object by its key and verified both
    assert agg.sums == {("t1", SONNET, "us-east-1", "standard"): [20, 564, 0, 0, 2, 0]}
