"""The tenant registry's table shape and what a registry item means for a call.

Kept apart from ``tenants`` (the registry's writes and the admin routes) so the invoke path reads
a tenant's status without reaching any of the registry's write calls.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TENANTS_SCHEMA_PATH = Path(__file__).with_name("tenants.json")
ACTIVE = "active"
DISABLED = "disabled"


@cache
def tenants_schema() -> dict[str, Any]:
    """The registry table's key schema (the same file Terraform reads)."""
    with TENANTS_SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def hash_key() -> str:
    return tenants_schema()["hash_key"]


def is_active_item(item: dict[str, Any] | None) -> bool:
    """Whether a registry item (or its absence) lets the tenant call models. A tenant without an
    item predates the registry and is active; only an explicit ``disabled`` stops it."""
    return not item or item.get("status", {}).get("S", ACTIVE) != DISABLED
