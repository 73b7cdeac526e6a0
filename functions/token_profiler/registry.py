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


def display_names(client: Any, table_name: str) -> dict[str, str]:
    """Each registered tenant's display name, by id (the FOCUS export's SubAccountName). One Scan
    of two attributes, page by page; a tenant without a name is left out (it goes by its id)."""
    key = hash_key()
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "ProjectionExpression": "#id, display_name",
        "ExpressionAttributeNames": {"#id": key},
    }
    names: dict[str, str] = {}
    while True:
        page = client.scan(**kwargs)
        for item in page.get("Items", []):
            name = item.get("display_name", {}).get("S")
            if name:
                names[item[key]["S"]] = name
        if not page.get("LastEvaluatedKey"):
            return names
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
