"""Who is calling: tenant id and admin membership from Cognito claims (already verified by API Gateway)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from token_profiler.errors import Forbidden, Unauthorized

# API Gateway REST joins a multi-valued claim as "[a, b]". Cognito group names hold no whitespace,
# so ", " inside brackets can only be that separator; any other string is one group name, whole.
_LIST_SEPARATOR = ", "


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    groups: frozenset[str]
    username: str = ""
    pool_id: str = ""  # from the issuer, https://cognito-idp.<region>.amazonaws.com/<pool id>

    def is_member(self, group: str) -> bool:
        return group in self.groups


def parse_groups(raw: Any) -> frozenset[str]:
    """Exact group names from ``cognito:groups``: a real list, API Gateway REST's ``[a, b]`` for
    several groups, or one name as is. Nothing else is split, so a group named ``x,admin`` or
    ``[admin]`` stays that one name and never grants ``admin``."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(g for g in raw if isinstance(g, str) and g)
    if not isinstance(raw, str) or not raw:
        return frozenset()
    if raw.startswith("[") and raw.endswith("]") and _LIST_SEPARATOR in raw:
        return frozenset(g for g in raw[1:-1].split(_LIST_SEPARATOR) if g)
    return frozenset({raw})


def caller_from_claims(claims: Any) -> Caller:
    if not isinstance(claims, dict) or not claims:
        raise Unauthorized("no verified identity on the request")
    tenant = claims.get("custom:tenant_id")
    if not isinstance(tenant, str) or not tenant.strip():
        # fail closed: a user name is never a tenant (a user named like a tenant would spend as it)
        raise Forbidden("user has no tenant (the custom:tenant_id attribute is not set)")
    issuer = claims.get("iss")
    return Caller(
        tenant_id=tenant.strip(),
        groups=parse_groups(claims.get("cognito:groups")),
        username=str(claims.get("cognito:username") or ""),
        pool_id=issuer.rstrip("/").rsplit("/", 1)[-1] if isinstance(issuer, str) and "/" in issuer else "",
    )
