"""Parse usage lines and sum them per (tenant, model as called, day); price the sums.

This is the hot path of the aggregator (a benchmark feeds it hundreds of thousands of lines), so
``DayAggregate.add`` stays lean: one decode of the token_usage object and plain local work per line.

    agg = DayAggregate("2026-11-26")
    for message in lines:
        agg.add(message)
    rows = build_rows(agg, load_catalog(), retention_days=400)

Two paths read a line, and they always agree:

- the checked path (``DayAggregate._add_checked``) is the rule: the standard library's JSON decoder,
  then every field looked up and checked in Python;
- the fast path (``DayAggregate._add_fast``), used when msgspec is installed (the layer ships it),
  decodes the token_usage object of a compact line with msgspec straight into ``_UsageV1``, whose
  types and bounds are the same checks, enforced while decoding. A line is counted there only when
  that decode succeeds; anything else (not compact, a decode error, a field missing or out of
  bounds, a value the standard library would read differently) goes to the checked path, which
  decides. Without msgspec, ``add`` is the checked path.

Only signed lines are billed (``token_profiler.signing``). A line whose signature does not verify
is counted in ``rejected`` by reason and never enters the request-id set, so a forged line cannot
displace the real one. Unsigned lines count only where ``accept_unsigned`` says so (days before
the deployment's SIGNED_LINES_FROM). The fast path checks the MAC over the object's bytes as they
appear in the line (the signer logs them in canonical order, ``sig`` last) and decodes only bytes
that verified; anything else goes to the checked path, which re-encodes the decoded object.

A line bills only on the day it names (schema version 3's signed ``day``): a verified line logged on
this day that names another one is refused as ``day_mismatch`` (a copy replayed into this day's
log), except a line of the previous day logged in this day's first ``LATE_UNTIL`` (a call at
23:59:59.999 logged after midnight), which is left to its own day. That day's engine reads those
first minutes of the next day too (``add_late``) and keeps only the lines that name it. A verified
line without a day bills only where ``accept_undated`` says so (days before SIGNED_DAYS_FROM),
else it is refused as ``missing_day``. The fast path pays one comparison per line for this.
"""

from __future__ import annotations

import datetime as dt
import re
from binascii import b2a_base64
from collections.abc import Mapping
from hmac import compare_digest
from json import JSONDecoder, loads
from typing import Annotated, Any, Literal

from token_profiler import USAGE_MARKER, money
from token_profiler.prices import PRICE_COLUMNS, TIERS, Catalog, Price, price_columns
from token_profiler.signing import (
    DAY_MISMATCH,
    MISSING_DAY,
    MISSING_SIGNATURE,
    REASONS,
    URLSAFE,
    KeyedMac,
    check,
)

# Schema versions read: 1 (before the cache-duration and tier fields), 2 (before the signed day) and
# 3 (usage.py writes it).
READ_VERSIONS = (1, 2, 3)
# A line of the previous day logged before this time of the next day is that day's late line, not a
# replay (day.sql gets the same value as a parameter: ledger.day_params).
LATE_UNTIL = "00:05"

try:  # in the layer (requirements/runtime.txt); the standard library does everything without it
    import msgspec
except ImportError:  # pragma: no cover - tested by loading this module with msgspec hidden
    msgspec = None

# RecursionError: a line nested deeper than the decoder's stack is malformed too, never a crash
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, RecursionError)

# Fast path for the logger's compact JSON: decode only the token_usage object. Inside a JSON string
# every quote is escaped, so these substrings can only be real keys of the line, never prompt text.
_MARKER = f'"message":"{USAGE_MARKER}"'
_USAGE_KEY = '"token_usage":{'
_USAGE_OFFSET = len(_USAGE_KEY) - 1
_raw_decode = JSONDecoder().raw_decode
# The signature the signer appends as the object's last field; a key id never needs escaping.
_SIG_KEY = ',"sig":{"kid":"'
_SIG_KID_END = '","mac":"'
_USAGE_LEN = len(_USAGE_KEY)
_SIG_LEN = len(_SIG_KEY)
_SIG_OFFSET = _SIG_KEY.index("{")
_SIG_END = '"}}'
_SIG_KID_LEN = len(_SIG_KID_END)
_SIG_END_LEN = len(_SIG_END)
_MAC_LEN = 43  # base64url of a SHA-256 digest, unpadded (signing.mac)
_TIMESTAMP_KEY = re.compile(r'"timestamp": ?"([^"]*)"')

if msgspec is not None:
    _Count = Annotated[int, msgspec.Meta(ge=0)]
    _Text = Annotated[str, msgspec.Meta(min_length=1)]
    _Tier = Literal["standard", "long_context", "flex", "priority", "batch"]

    class _UsageV1(msgspec.Struct, gc=False):
        """The token_usage fields a counted line must have, with the checked path's rules: schema
        version 1 or 2, non-empty tenant, request and model ids, a region string, integer counts
        >= 0 (a bool or a float is not an integer), and in version 2 the optional 1-hour share of
        the cache writes and the pricing tier. Other fields (latency_ms, and any field a later
        version adds) are read and ignored."""

        schema_version: Literal[1, 2, 3]
        tenant_id: _Text
        request_id: _Text
        model_id: _Text
        region: str
        input_tokens: _Count
        output_tokens: _Count
        cache_read_input_tokens: _Count
        cache_write_input_tokens: _Count
        cache_write_1h_input_tokens: _Count = 0
        tier: _Tier = "standard"
        # optional, additive: a call we stopped waiting for, logged with its bounds (billed as is)
        timed_out: bool = False
        # version 3: the call's UTC day, signed (absent in versions 1 and 2)
        day: str | None = None

    _decode_usage = msgspec.json.Decoder(_UsageV1).decode
else:  # pragma: no cover - tested by loading this module with msgspec hidden
    _decode_usage = None


def _usage_of(message: str) -> Any:
    """The token_usage object of a usage line; raises one of _PARSE_ERRORS otherwise."""
    start = message.find(_USAGE_KEY)
    if start > 0 and message[0] == "{" and _MARKER in message:
        return _raw_decode(message, start + _USAGE_OFFSET)[0]
    # any other formatting (spaces, key order): the full parse decides
    record = loads(message)
    if type(record) is not dict:
        raise TypeError("not an object")
    if record["message"] != USAGE_MARKER:
        raise ValueError("not a usage line")
    return record["token_usage"]


class DayAggregate:
    """Sums for one UTC day. ``sums`` maps (tenant, model_id, region, tier) to
    [input, output, cache_read, cache_write, invocations, cache_write_1h] (cache_write counts every
    cache write, cache_write_1h the share written for one hour)."""

    __slots__ = (
        "day",
        "sums",
        "seen",
        "lines_skipped",
        "duplicates",
        "rejected",
        "keys",
        "macs",
        "accept_unsigned",
        "accept_undated",
        "last_sig",
        "late",
        "timed_out",
    )

    def __init__(
        self,
        day: str,
        keys: Mapping[str, bytes] | None = None,
        *,
        accept_unsigned: bool = False,
        accept_undated: bool = True,
    ):
        """``keys``: signing keys by id; ``accept_unsigned``: bill lines without a signature (the
        days before SIGNED_LINES_FROM). A line with a signature is always verified.
        ``accept_undated``: bill lines without a day (SIGNED_DAYS_FROM; always when unsigned lines are)."""
        self.day = day
        self.sums: dict[tuple[str, str, str, str], list[int]] = {}
        self.seen: set[str] = set()
        self.lines_skipped = 0
        self.duplicates = 0
        self.timed_out = 0  # counted lines marked timed_out (their tokens are bounds)
        self.rejected: dict[str, int] = dict.fromkeys(REASONS, 0)
        self.keys: Mapping[str, bytes] = keys or {}
        # per key id, its HMAC's precomputed (inner, outer) states (signing.KeyedMac.pads)
        self.macs = {kid: KeyedMac(key).pads() for kid, key in self.keys.items()}
        # the fast path's (signature text up to the MAC, its length, HMAC states) for the last key id
        # it found; the first is a placeholder with no states (a line it matches takes the checked path)
        self.last_sig: tuple[str, int, Any] = (_SIG_KEY + '"', 0, None)
        self.accept_unsigned = accept_unsigned
        self.accept_undated = accept_undated or accept_unsigned
        self.late = False  # add_late: reading the next day's first minutes

    def _other_day(self, message: str, day: Any) -> bool:
        """Whether a verified line that does not name this day (``day``: the one it names, or None)
        still counts here; otherwise it is refused here or left to its own day."""
        if self.late:
            return False  # the next day's own lines: its run counts or refuses them
        if day is None:
            if self.accept_undated:
                return True
            self.rejected[MISSING_DAY] += 1
            return False
        if self.day:
            previous = (dt.date.fromisoformat(self.day) - dt.timedelta(days=1)).isoformat()
            stamp = _TIMESTAMP_KEY.search(message)
            logged = stamp.group(1) if stamp is not None else ""
            # the previous day's call logged after midnight, or stamped before it by the logger and
            # received after it by CloudWatch Logs (the logs engine's window is the event's time):
            # counted on its own day
            if day == previous and (logged[11:16] < LATE_UNTIL or logged[:10] == day):
                return False
        self.rejected[DAY_MISMATCH] += 1
        return False

    def add_late(self, message: str) -> bool:
        """A line logged in the next day's first LATE_UNTIL: counted (or a duplicate) only when it
        verifies and names this day; anything else is the next day's, and leaves no count here."""
        skipped, rejected = self.lines_skipped, dict(self.rejected)
        self.late = True
        try:
            counted = self.add(message)
        finally:
            self.late = False
        self.lines_skipped, self.rejected = skipped, rejected
        return counted

    def _add_fast(self, message: str) -> bool:
        """Count one CloudWatch message; returns False when it was skipped or a duplicate."""
        # hot path: one decode that also checks the fields, nothing written per line but the sums,
        # the id set and the counters that change
        usage = None
        try:
            # look where the logger puts each object (the line's first and last "{", one-character
            # searches), check the key is there, else search for it (a multi-character key defeats
            # str.find's skip table on JSON text); startswith checks in place, without a slice
            start = message.find("{", 1) - _USAGE_OFFSET  # the line's first nested object
            if not message.startswith(_USAGE_KEY, start):
                start = message.find(_USAGE_KEY)
            if start > 0 and message[0] == "{" and _MARKER in message:
                begin = start + _USAGE_OFFSET
                cut = message.rfind("{") - _SIG_OFFSET  # the signature is the line's last object
                # the signature's text up to its MAC as the last verified line had it: one comparison
                # checks the key id and the text around it (a day's lines share one key)
                head, mac_at, pads = self.last_sig
                if cut > begin and message.startswith(head, cut):
                    mac_at += cut
                else:
                    pads = None
                    if cut <= begin or not message.startswith(_SIG_KEY, cut):
                        cut = message.find(_SIG_KEY, begin)
                    if cut > 0:
                        kid_at = cut + _SIG_LEN
                        kid_end = message.find('"', kid_at)  # a key id has no quote (signing._KID)
                        kid = message[kid_at:kid_end]
                        pads = self.macs.get(kid)
                        if pads is not None and message.startswith(_SIG_KID_END, kid_end):
                            head = _SIG_KEY + kid + _SIG_KID_END
                            mac_at = cut + len(head)
                            self.last_sig = (head, len(head), pads)
                        else:
                            pads = None
                    elif self.accept_unsigned:
                        # Schema version 1's object is flat, so its first "}" ends it. A "}" inside a
                        # string value (or a nested value) cuts it short: the decode fails and the
                        # checked path, which reads the object whole, decides.
                        usage = _decode_usage(message[begin : message.find("}", start) + 1])
                # Signed: the bytes before ',"sig"' plus "}" are the canonical text if the line is
                # as the signer logged it; they are decoded only when their MAC verifies.
                if pads is not None and message.startswith(_SIG_END, mac_at + _MAC_LEN):
                    body = (message[begin:cut] + "}").encode()
                    # HMAC-SHA256 inline (signing.KeyedMac): no Python call per line
                    inner = pads[0].copy()
                    inner.update(body)
                    outer = pads[1].copy()
                    outer.update(inner.digest())
                    # the digest's base64url with its one "=" deleted against the line's 43 characters
                    if compare_digest(
                        b2a_base64(outer.digest(), newline=False).translate(URLSAFE, b"="),
                        message[mac_at : mac_at + _MAC_LEN].encode(),
                    ):
                        usage = _decode_usage(body)
        except _PARSE_ERRORS:
            usage = None
        if usage is None:
            return self._add_checked(message)
        if usage.cache_write_1h_input_tokens > usage.cache_write_input_tokens:
            return self._add_checked(message)
        if usage.day != self.day and not self._other_day(message, usage.day):
            return False
        request_id = usage.request_id
        seen = self.seen
        if request_id in seen:
            self.duplicates += 1
            return False
        seen.add(request_id)
        if usage.timed_out:
            self.timed_out += 1
        key = (usage.tenant_id, usage.model_id, usage.region, usage.tier)
        total = self.sums.get(key)
        if total is None:
            self.sums[key] = [
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_input_tokens,
                usage.cache_write_input_tokens,
                1,
                usage.cache_write_1h_input_tokens,
            ]
            return True
        total[0] += usage.input_tokens
        total[1] += usage.output_tokens
        cache = usage.cache_read_input_tokens
        if cache:
            total[2] += cache
        cache = usage.cache_write_input_tokens
        if cache:
            total[3] += cache
        total[4] += 1
        cache = usage.cache_write_1h_input_tokens
        if cache:
            total[5] += cache
        return True

    def _add_checked(self, message: str) -> bool:
        """``add`` by the rule: the standard library's decoder, then each field looked up and checked."""
        try:
            start = message.find(_USAGE_KEY)
            if start > 0 and message[0] == "{" and _MARKER in message:
                usage = _raw_decode(message, start + _USAGE_OFFSET)[0]
            else:
                usage = _usage_of(message)
            if usage["schema_version"] not in READ_VERSIONS:  # 1.0 and true equal 1, as before
                raise ValueError("unknown schema version")
            tenant = usage["tenant_id"]
            request_id = usage["request_id"]
            model_id = usage["model_id"]
            region = usage.get("region", "")
            i = usage["input_tokens"]
            o = usage["output_tokens"]
            cr = usage.get("cache_read_input_tokens", 0)
            cw = usage.get("cache_write_input_tokens", 0)
            cw1h = usage.get("cache_write_1h_input_tokens", 0)
            tier = usage.get("tier", "standard")
            timed_out = usage.get("timed_out", False)
            day = usage.get("day")
            reason = check(usage, self.keys)
        except _PARSE_ERRORS:
            self.lines_skipped += 1
            return False
        # bool is an int subclass: a token count must be a real int >= 0
        if not (
            type(tenant) is str
            and tenant
            and type(request_id) is str
            and request_id
            and type(model_id) is str
            and model_id
            and type(region) is str
            and type(i) is int
            and i >= 0
            and type(o) is int
            and o >= 0
            and type(cr) is int
            and cr >= 0
            and type(cw) is int
            and cw >= 0
            and type(cw1h) is int
            and 0 <= cw1h <= cw
            and type(tier) is str
            and tier in TIERS
            and type(timed_out) is bool
            and (day is None or type(day) is str)
        ):
            self.lines_skipped += 1
            return False
        # verified before the request-id check: an unverified line never takes a real line's id
        if reason is not None and not (reason == MISSING_SIGNATURE and self.accept_unsigned):
            self.rejected[reason] += 1
            return False
        if day != self.day and not self._other_day(message, day):
            return False
        seen = self.seen
        if request_id in seen:
            self.duplicates += 1
            return False
        seen.add(request_id)
        if timed_out:
            self.timed_out += 1
        key = (tenant, model_id, region, tier)
        total = self.sums.get(key)
        if total is None:
            self.sums[key] = [i, o, cr, cw, 1, cw1h]
        else:
            total[0] += i
            total[1] += o
            total[2] += cr
            total[3] += cw
            total[4] += 1
            total[5] += cw1h
        return True

    # Count one CloudWatch message; returns False when it was skipped or a duplicate.
    add = _add_fast if _decode_usage is not None else _add_checked

    @property
    def lines_read(self) -> int:
        return len(self.seen) + self.lines_skipped + self.duplicates + self.lines_rejected

    @property
    def lines_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def lines_counted(self) -> int:
        return len(self.seen)


def ttl_for(day: str, retention_days: int) -> int | None:
    if retention_days <= 0:
        return None
    expiry = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) + dt.timedelta(days=retention_days)
    return int(expiry.timestamp())


def sort_key(day: str, model_id: str) -> str:
    return f"{day}#{model_id}"


def build_rows(
    agg: DayAggregate, catalog: Catalog, retention_days: int = 400
) -> tuple[list[dict], list[str]]:
    """One row per (tenant, model) of the day, priced from its sums; and warnings.

    Each (Region, tier) part is priced with ``catalog.price_for(model_id, region, day)``: the price
    in force on the row's day in the Region the calls ran in (the run passes the day's prices,
    ``token_profiler.day_prices``, which keep the rates a day's stored rows recorded). A part without
    a price there (or without a rate for one of its token kinds) costs 0 for that part and sets
    ``price_missing``; an unknown model sets ``unpriced``; ``price_changed`` says a price period of
    the row starts on its day (calls made before a catalog refresh that day were quoted at the
    previous price). A row priced at one price and tier records its per-1K rates, tier and as_of.

    Rows hold Python values (int, Decimal, bool, str) and no wall-clock time, so the same lines
    always give identical rows.
    """
    grouped: dict[tuple[str, str], list[tuple[str, str, list[int]]]] = {}
    for (tenant, model_id, region, tier), sums in agg.sums.items():
        grouped.setdefault((tenant, model_id), []).append((region, tier, sums))
    ttl = ttl_for(agg.day, retention_days)
    rows: list[dict] = []
    unpriced_models: set[str] = set()
    mixed: set[str] = set()
    missing_prices: set[tuple[str, str]] = set()
    for (tenant, model_id), parts in sorted(grouped.items()):
        tokens = [0, 0, 0, 0, 0]
        costs = [money.ZERO] * 4
        regions: set[str] = set()
        missing = False
        changed = False
        unpriced = False
        used: dict[tuple[int, str], tuple[Price, str]] = {}
        for region, tier, sums in sorted(parts):
            for n in range(5):
                tokens[n] += sums[n]
            quote = catalog.price_for(model_id, region, agg.day)
            if quote.unpriced:
                unpriced = True
                unpriced_models.add(model_id)
                continue
            if quote.missing:
                missing = True
                missing_prices.add((model_id, region))
                continue
            regions.add(quote.region)
            changed = changed or quote.changed_on_day
            used[(id(quote.price), tier)] = (quote.price, tier)
            part = catalog.costs(quote, sums[0], sums[1], sums[2], sums[3], sums[5], tier)
            if part.missing:
                missing = True
                missing_prices.add((model_id, f"{region} ({', '.join(part.missing)})"))
            costs = [
                money.add(costs[0], part.input),
                money.add(costs[1], part.output),
                money.add(costs[2], part.cache_read),
                money.add(costs[3], part.cache_write),
            ]
        row = {
            "pk": tenant,
            "sk": sort_key(agg.day, model_id),
            "date": agg.day,
            "name": tenant,
            "model_id": model_id,
            "input_tokens": tokens[0],
            "output_tokens": tokens[1],
            "cache_read_input_tokens": tokens[2],
            "cache_write_input_tokens": tokens[3],
            "invocations": tokens[4],
            "input_cost": costs[0],
            "output_cost": costs[1],
            "cache_read_cost": costs[2],
            "cache_write_cost": costs[3],
            "total_cost": money.add(*costs),
            "unpriced": unpriced,
            "price_region": "+".join(sorted(regions)),
            "price_missing": missing,
            "price_changed": changed,
        }
        if len(used) == 1:
            row.update(price_columns(*next(iter(used.values()))))
        elif used:  # one row priced at two Regions' prices or two tiers: no single price to record
            mixed.add(model_id)
        if ttl is not None:
            row["ttl"] = ttl
        rows.append(row)
    warnings = [
        f"model {m} has no price: counted with cost 0 and flagged unpriced" for m in sorted(unpriced_models)
    ]
    warnings += [
        f"model {m} has no price in {r} on {agg.day}: counted with cost 0 and flagged price_missing"
        for m, r in sorted(missing_prices)
    ]
    warnings += [
        f"model {m} was priced at several prices or tiers in one row: its {PRICE_COLUMNS[0]}.. "
        "columns are left out"
        for m in sorted(mixed)
    ]
    return rows, warnings


def aggregate_lines(
    day: str,
    lines,
    catalog: Catalog,
    retention_days: int = 400,
    *,
    keys: Mapping[str, bytes] | None = None,
    accept_unsigned: bool = False,
) -> tuple[DayAggregate, list[dict], list[str]]:
    """Convenience for benchmarks and the local stack: parse, sum and price an iterable of messages."""
    agg = DayAggregate(day, keys, accept_unsigned=accept_unsigned)
    add = agg.add
    for message in lines:
        add(message)
    rows, warnings = build_rows(agg, catalog, retention_days)
    return agg, rows, warnings
