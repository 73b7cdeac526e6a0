"""Check a Cognito IdToken the way API Gateway's COGNITO_USER_POOLS authorizer does.

Signature against the pool's JWKS, issuer = the pool, not expired, audience = an app client of the
pool, ``token_use == "id"``. Any failure is one answer: 401 ``{"message": "Unauthorized"}``; the
reason is kept for the gateway's own debug log, never for the caller.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import jwt


class Unauthorized(Exception):
    """The token is not acceptable; str(exc) says why (for logs only)."""


def fetch_jwks(aws_endpoint_url: str, user_pool_id: str) -> dict[str, Any]:
    """moto serves each pool's keys at /<pool_id>/.well-known/jwks.json."""
    url = f"{aws_endpoint_url.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback moto
        return json.load(response)


class CognitoVerifier:
    """Verifies IdTokens of one user pool; verified tokens are cached until they expire."""

    def __init__(self, jwks: dict[str, Any], issuer: str, client_ids: set[str], cache_size: int = 4096):
        self.issuer = issuer
        self.client_ids = set(client_ids)
        self.keys = {key.get("kid"): jwt.PyJWK(key) for key in jwks.get("keys", [])}
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, token: str | None) -> dict[str, Any]:
        if not token:
            raise Unauthorized("no token")
        now = time.time()
        with self._lock:
            claims = self._cache.get(token)
            if claims is not None:
                self._cache.move_to_end(token)
        if claims is None:
            claims = self._decode(token)
            with self._lock:
                self._cache[token] = claims
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if claims["exp"] <= now:
            raise Unauthorized("expired")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"malformed: {exc}") from exc
        key = self.keys.get(header.get("kid"))
        if key is None:
            raise Unauthorized("unknown key id")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(str(exc)) from exc
        if claims.get("token_use") != "id":
            raise Unauthorized("not an id token")
        if claims.get("aud") not in self.client_ids:
            raise Unauthorized("audience is not an app client of the pool")
        return claims


def _when(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway REST passes them to Lambda: every value a string.

    Dates (exp, iat) read like ``Fri Nov 27 13:00:00 UTC 2026``; a list (cognito:groups) of one
    value is that value, of several is ``[a, b]``; booleans are ``true``/``false``.
    """
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in {"exp", "iat"}:
            out[name] = _when(value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list):
            out[name] = str(value[0]) if len(value) == 1 else "[" + ", ".join(str(v) for v in value) + "]"
        else:
            out[name] = str(value)
    return out
