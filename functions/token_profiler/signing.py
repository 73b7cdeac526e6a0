"""Signed usage lines: an HMAC-SHA256 over the canonical JSON of the token_usage object.

The invoke function signs every record it logs; the aggregator bills only records that verify.

- Canonical form: the whole token_usage object except its ``sig`` field, as JSON with sorted keys
  (at every level), compact separators and UTF-8 text (``canonical``). Fields added later (a new
  schema version, an optional flag) are covered without touching this module.
- Signature: ``"sig": {"kid": <key id>, "mac": <base64url HMAC-SHA256, unpadded>}``.
- Keys: one secret per deployment (Secrets Manager), whose value is the JSON keyring
  ``{"current": <kid>, "keys": {<kid>: <base64 key>, ...}}``. The invoke function signs with
  ``current``; the aggregator verifies a line with the key its ``kid`` names, so rotating is adding
  a key and moving ``current`` to it (old keys stay until the last day they signed is final).

``sign`` logs the record with its keys in canonical order and ``sig`` last, so the logged object
is the canonical text plus the signature: the aggregator's fast path checks the MAC over the
bytes as they appear in the line, without decoding and re-encoding them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

SIG_FIELD = "sig"
KEY_BYTES = 32  # HMAC-SHA256's block-friendly key length; shorter keys are refused
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_DUMPS = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

# Why a line was not billed (the run summary's ``rejected`` keys, in this order).
BAD_SIGNATURE = "bad_signature"
MISSING_SIGNATURE = "missing_signature"
UNKNOWN_KEY = "unknown_key"
# A verified line that names another day than the one it was logged on (a replay), or a verified
# line without a day on a day from SIGNED_DAYS_FROM (token_profiler.aggregate.DayAggregate).
DAY_MISMATCH = "day_mismatch"
MISSING_DAY = "missing_day"
REASONS = (BAD_SIGNATURE, MISSING_SIGNATURE, UNKNOWN_KEY, DAY_MISMATCH, MISSING_DAY)


class KeyringError(ValueError):
    """The secret's value is not a keyring this code can use (the message never holds key bytes)."""


def canonical(usage: Mapping[str, Any]) -> bytes:
    """The signed bytes of a token_usage object: every field but ``sig``, sorted, compact, UTF-8."""
    body = {key: value for key, value in usage.items() if key != SIG_FIELD}
    # surrogatepass: any str the decoder can produce encodes, so verification never raises
    return _DUMPS(body).encode("utf-8", "surrogatepass")


def mac(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of data, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(hmac.digest(key, data, "sha256")).rstrip(b"=").decode("ascii")


# RFC 2104's pads as translation tables, as the standard library's hmac module builds them.
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class KeyedMac:
    """``mac`` for one key with its inner and outer SHA-256 states computed once: per line this
    costs two state copies instead of hmac's key setup (OpenSSL's one-shot ``hmac.digest`` sets the
    key up again on every call, and measured slower here). The tests hold it equal to ``mac``.

    ``pads`` gives the two states themselves: the aggregator's hot path copies them inline (a
    Python call per line costs as much as the hashing) and compares the digest as base64 bytes."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def __call__(self, data: bytes) -> str:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return base64.urlsafe_b64encode(outer.digest()).rstrip(b"=").decode("ascii")

    def pads(self) -> tuple[Any, Any]:
        """The precomputed (inner, outer) SHA-256 states; copy them, never update them."""
        return self._inner, self._outer


# base64 to base64url, for bytes: b2a_base64(digest).translate(URLSAFE) is mac's text plus one "="
URLSAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True)
class Keyring:
    """The deployment's signing keys by id, and the id new lines are signed with."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __repr__(self) -> str:  # never print key bytes
        return f"Keyring(current={self.current!r}, kids={sorted(self.keys)!r})"


def sign(usage: Mapping[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The record to log: its fields in canonical order, then ``sig``."""
    data = canonical(usage)
    ordered = json.loads(data)  # the same values, with every object's keys in sorted order
    ordered[SIG_FIELD] = {"kid": keyring.current, "mac": mac(keyring.keys[keyring.current], data)}
    return ordered


def check(usage: Mapping[str, Any], keys: Mapping[str, bytes]) -> str | None:
    """None when the record's signature verifies with the key its kid names, else the reason."""
    sig = usage.get(SIG_FIELD)
    if sig is None:
        return MISSING_SIGNATURE
    if type(sig) is not dict or type(sig.get("kid")) is not str or type(sig.get("mac")) is not str:
        return BAD_SIGNATURE
    key = keys.get(sig["kid"])
    if key is None:
        return UNKNOWN_KEY
    if not sig["mac"].isascii() or not hmac.compare_digest(mac(key, canonical(usage)), sig["mac"]):
        return BAD_SIGNATURE
    return None


# ---- the keyring in Secrets Manager --------------------------------------------------------------


def new_key_id(day: str) -> str:
    """A fresh key id, readable in a line: the day it was made plus a random part."""
    return f"{day}.{secrets.token_hex(3)}"


def new_keyring_value(day: str, previous: str | None = None) -> str:
    """The secret value with a new random key made current; a previous keyring's keys are kept."""
    keys: dict[str, str] = {}
    if previous is not None:
        keys.update(json.loads(previous)["keys"])
        parse_keyring(previous)  # refuse to rotate a keyring that does not parse
    kid = new_key_id(day)
    keys[kid] = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    return json.dumps({"current": kid, "keys": keys}, sort_keys=True)


def parse_keyring(value: str) -> Keyring:
    try:
        raw = json.loads(value)
    except ValueError:
        raise KeyringError("signing key secret: not JSON") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict) or not raw["keys"]:
        raise KeyringError('signing key secret: must be {"current": <kid>, "keys": {<kid>: <base64>}}')
    keys: dict[str, bytes] = {}
    for kid, encoded in raw["keys"].items():
        if not _KID.match(kid):
            raise KeyringError(f"signing key secret: key id {kid!r} must match {_KID.pattern}")
        try:
            key = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
        except (binascii.Error, ValueError):
            key = b""
        if len(key) < KEY_BYTES:
            raise KeyringError(f"signing key secret: key {kid} must be base64 of at least {KEY_BYTES} bytes")
        keys[kid] = key
    current = raw.get("current")
    if current not in keys:
        raise KeyringError("signing key secret: current must name one of its keys")
    return Keyring(current=current, keys=keys)


@cache
def load_keyring(client: Any, secret_id: str) -> Keyring:
    """The deployment's keyring, read from Secrets Manager once per container (cold start)."""
    value = client.get_secret_value(SecretId=secret_id)["SecretString"]
    return parse_keyring(value)


def clear_caches() -> None:
    load_keyring.cache_clear()
