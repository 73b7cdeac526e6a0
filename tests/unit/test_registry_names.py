"""registry.display_names: the tenant registry's display names for the FOCUS export, every page read."""

from __future__ import annotations

import pytest
from token_profiler import registry

pytestmark = pytest.mark.unit


class PagedScan:
    """A DynamoDB client whose Scan answers the given pages in turn and records each request."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.requests = []

    def scan(self, **kwargs):
        self.requests.append({k: (dict(v) if isinstance(v, dict) else v) for k, v in kwargs.items()})
        return self.pages.pop(0)


def item(tenant, name=None):
    out = {"tenant": {"S": tenant}, "status": {"S": "active"}}
    if name is not None:
        out["display_name"] = {"S": name}
    return out


def test_every_page_is_read_and_only_named_tenants_are_listed():
    client = PagedScan(
        [
            {
                "Items": [item("acme", "ACME Corp"), item("bare")],
                "LastEvaluatedKey": {"tenant": {"S": "bare"}},
            },
            {
                "Items": [item("globex", "Globex"), item("blank", "")],
                "LastEvaluatedKey": {"tenant": {"S": "z"}},
            },
            {"Items": [item("initech", "Initech")]},
        ]
    )
    assert registry.display_names(client, "t_tenants") == {
        "acme": "ACME Corp",
        "globex": "Globex",
        "initech": "Initech",
    }
    assert len(client.requests) == 3 and client.pages == []
    first, second, third = client.requests
    # two attributes only, the key by its schema name (from tenants.json)
    assert first == {
        "TableName": "t_tenants",
        "ProjectionExpression": "#id, display_name",
        "ExpressionAttributeNames": {"#id": registry.hash_key()},
    }
    assert registry.hash_key() == "tenant"
    assert second["ExclusiveStartKey"] == {"tenant": {"S": "bare"}}
    assert third["ExclusiveStartKey"] == {"tenant": {"S": "z"}}


def test_an_empty_registry_gives_no_names():
    client = PagedScan([{"Items": []}])
    assert registry.display_names(client, "t") == {}
    assert client.requests == [
        {
            "TableName": "t",
            "ProjectionExpression": "#id, display_name",
            "ExpressionAttributeNames": {"#id": "tenant"},
        }
    ]


def test_a_page_without_items_is_an_empty_page():
    # DynamoDB leaves Items out of a page that matched nothing; paging still goes on to the next
    client = PagedScan([{"LastEvaluatedKey": {"tenant": {"S": "a"}}}, {"Items": [item("b", "B")]}])
    assert registry.display_names(client, "t") == {"b": "B"}
    assert registry.display_names(PagedScan([{}]), "t") == {}
