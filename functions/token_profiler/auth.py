"""Who is calling: tenant id and admin membership from Cognito claims (already verified by API Gateway)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from token_profiler.errors import Unauthorized


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    groups: frozenset[str]

    def is_member(self, group: str) -> bool:
        return group in self.groups


def parse_groups(raw: Any) -> frozenset[str]:
    """API Gateway REST passes ``cognito:groups`` as 'admin', '[admin, other]' or 'admin,other';
    a JSON list (string or real list) is also accepted."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(str(g).strip() for g in raw if str(g).strip())
    text = str(raw).strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
            if isinstance(value, list):
                return frozenset(str(g).strip() for g in value if str(g).strip())
        except ValueError:
            pass
        text = text.strip("[]")
    parts = text.replace(",", " ").split()
    return frozenset(p.strip().strip('"') for p in parts if p.strip().strip('"'))


def caller_from_claims(claims: Any) -> Caller:
    if not isinstance(claims, dict) or not claims:
        raise Unauthorized("no verified identity on the request")
    tenant = claims.get("custom:tenant_id")
    if not isinstance(tenant, str) or not tenant.strip():
        tenant = claims.get("cognito:username")
    if not isinstance(tenant, str) or not tenant.strip():
        raise Unauthorized("the identity has no tenant (custom:tenant_id or cognito:username)")
    return Caller(tenant_id=tenant.strip(), groups=parse_groups(claims.get("cognito:groups")))
