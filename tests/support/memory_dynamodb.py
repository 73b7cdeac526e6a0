"""An in-memory stand-in for the DynamoDB client calls the usage table makes (Query, Scan,
BatchWriteItem), so the retrieval rules can be unit-tested without a moto server.

It understands exactly the expressions ``token_profiler.storage.UsageTable`` writes (key ``pk``
with an optional ``sk BETWEEN``, the ``by_date`` index on ``date``, a ``model_id`` filter, a
``date BETWEEN`` filter, ``ExclusiveStartKey``) and refuses anything else, so a change of the
table's reads fails here loudly rather than reading everything. Pages hold at most ``page_size``
items and end with ``LastEvaluatedKey``, as DynamoDB's 1 MB pages do, and like DynamoDB the filter
is applied after a page is cut (a page may be empty).
"""

from __future__ import annotations

from typing import Any


def _text(attr: dict[str, Any]) -> str:
    ((kind, value),) = attr.items()
    if kind != "S":
        raise ValueError(f"expected a string attribute, got {kind}")
    return value


class MemoryDynamoDB:
    def __init__(self, table_name: str, page_size: int = 3):
        self.table_name = table_name
        self.page_size = page_size
        self.items: dict[tuple[str, str], dict[str, Any]] = {}  # (pk, sk) -> item (typed attributes)
        self.calls: list[str] = []  # "query", "query:by_date", "scan", one per page read

    # -- writes -----------------------------------------------------------------------------------
    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # noqa: N803
        for name, requests in RequestItems.items():
            assert name == self.table_name, name
            assert len(requests) <= 25, "BatchWriteItem takes at most 25 requests"
            for request in requests:
                item = request["PutRequest"]["Item"]
                self.items[(_text(item["pk"]), _text(item["sk"]))] = item
        return {"UnprocessedItems": {}}

    # -- reads ------------------------------------------------------------------------------------
    def query(self, **kwargs: Any) -> dict[str, Any]:
        self._check_table(kwargs)
        names = kwargs.get("ExpressionAttributeNames", {})
        values = kwargs.get("ExpressionAttributeValues", {})
        condition = kwargs["KeyConditionExpression"]
        if kwargs.get("IndexName"):
            if kwargs["IndexName"] != "by_date" or condition != "#d = :d" or names.get("#d") != "date":
                raise ValueError(f"unsupported index query: {kwargs!r}")
            self.calls.append("query:by_date")
            day = _text(values[":d"])
            matches = [item for item in self.items.values() if _text(item["date"]) == day]
            matches.sort(key=lambda item: (_text(item["pk"]), _text(item["sk"])))
            key_names = ("date", "pk", "sk")
        else:
            self.calls.append("query")
            if names.get("#pk") != "pk":
                raise ValueError(f"unsupported query: {kwargs!r}")
            tenant = _text(values[":pk"])
            if condition == "#pk = :pk":
                low, high = "", "\uffff"
            elif condition == "#pk = :pk AND #sk BETWEEN :lo AND :hi" and names.get("#sk") == "sk":
                low, high = _text(values[":lo"]), _text(values[":hi"])
            else:
                raise ValueError(f"unsupported key condition: {condition!r}")
            matches = sorted(
                (item for (pk, sk), item in self.items.items() if pk == tenant and low <= sk <= high),
                key=lambda item: _text(item["sk"]),
            )
            key_names = ("pk", "sk")
        return self._page(matches, key_names, kwargs)

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self._check_table(kwargs)
        self.calls.append("scan")
        # a scan returns items in hash order, not by key: reversed here so nothing may rely on it
        matches = sorted(self.items.values(), key=lambda item: (_text(item["pk"]), _text(item["sk"])))[::-1]
        return self._page(matches, ("pk", "sk"), kwargs)

    def _check_table(self, kwargs: dict[str, Any]) -> None:
        if kwargs.get("TableName") != self.table_name:
            raise ValueError(f"no table {kwargs.get('TableName')!r}")

    def _page(self, matches: list[dict[str, Any]], key_names: tuple[str, ...], kwargs: dict[str, Any]):
        start = 0
        after = kwargs.get("ExclusiveStartKey")
        if after:
            keys = [{name: item[name] for name in key_names} for item in matches]
            start = keys.index(after) + 1
        size = min(self.page_size, kwargs.get("Limit") or self.page_size)
        page = matches[start : start + size]
        answer: dict[str, Any] = {"Items": [item for item in page if self._passes(item, kwargs)]}
        if start + size < len(matches):
            answer["LastEvaluatedKey"] = {name: page[-1][name] for name in key_names}
        return answer

    @staticmethod
    def _passes(item: dict[str, Any], kwargs: dict[str, Any]) -> bool:
        expression = kwargs.get("FilterExpression")
        if expression is None:
            return True
        names, values = kwargs["ExpressionAttributeNames"], kwargs["ExpressionAttributeValues"]
        model = "#m = :m"
        dates = "#d BETWEEN :lo AND :hi"
        if expression not in (model, dates, f"{model} AND {dates}"):
            raise ValueError(f"unsupported filter: {expression!r}")
        if model in expression:
            if names.get("#m") != "model_id":
                raise ValueError(f"unsupported filter names: {names!r}")
            if item.get("model_id") != values[":m"]:
                return False
        if dates in expression:
            if names.get("#d") != "date":
                raise ValueError(f"unsupported filter names: {names!r}")
            if not _text(values[":lo"]) <= _text(item["date"]) <= _text(values[":hi"]):
                return False
        return True


class ConditionFailed(Exception):
    """What botocore raises for a failed condition (the code is all the domain code reads)."""

    def __init__(self, operation: str):
        super().__init__(f"{operation}: The conditional request failed")
        self.response = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}


class MemoryRegistryTable:
    """The tenant registry's calls (GetItem, conditional PutItem, conditional UpdateItem with SET,
    Scan in pages), understanding exactly the expressions ``token_profiler.tenants.Registry``
    writes and refusing anything else."""

    def __init__(self, table_name: str, key: str = "tenant", page_size: int = 2):
        self.table_name = table_name
        self.key = key
        self.page_size = page_size
        self.items: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def _check(self, kwargs: dict[str, Any]) -> None:
        if kwargs.get("TableName") != self.table_name:
            raise ValueError(f"no table {kwargs.get('TableName')!r}")

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs)
        self.calls.append("get_item")
        # the registry reads what it has just written (a create that lost the race, an update)
        assert kwargs.get("ConsistentRead") is True, "registry reads are strongly consistent"
        item = self.items.get(_text(kwargs["Key"][self.key]))
        return {"Item": dict(item)} if item else {}

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs)
        self.calls.append("put_item")
        if kwargs.get("ConditionExpression") != "attribute_not_exists(#k)":
            raise ValueError(f"unsupported condition: {kwargs.get('ConditionExpression')!r}")
        if kwargs["ExpressionAttributeNames"] != {"#k": self.key}:
            raise ValueError("the condition must name the hash key")
        tenant = _text(kwargs["Item"][self.key])
        if tenant in self.items:
            raise ConditionFailed("PutItem")
        self.items[tenant] = dict(kwargs["Item"])
        return {}

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs)
        self.calls.append("update_item")
        names, values = kwargs["ExpressionAttributeNames"], kwargs["ExpressionAttributeValues"]
        if kwargs.get("ConditionExpression") != "attribute_exists(#k)" or names.get("#k") != self.key:
            raise ValueError(f"unsupported condition: {kwargs.get('ConditionExpression')!r}")
        expression = kwargs["UpdateExpression"]
        if not expression.startswith("SET "):
            raise ValueError(f"unsupported update: {expression!r}")
        tenant = _text(kwargs["Key"][self.key])
        if tenant not in self.items:
            raise ConditionFailed("UpdateItem")
        item = self.items[tenant]
        for assignment in expression[4:].split(", "):
            name, value = (part.strip() for part in assignment.split(" = "))
            item[names.get(name, name)] = values[value]
        return {"Attributes": dict(item)} if kwargs.get("ReturnValues") == "ALL_NEW" else {}

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs)
        self.calls.append("scan")
        ordered = sorted(self.items)[::-1]  # no order to rely on
        start = 0
        after = kwargs.get("ExclusiveStartKey")
        if after:
            start = ordered.index(_text(after[self.key])) + 1
        page = ordered[start : start + self.page_size]
        answer: dict[str, Any] = {"Items": [dict(self.items[t]) for t in page]}
        if start + self.page_size < len(ordered):
            answer["LastEvaluatedKey"] = {self.key: {"S": page[-1]}}
        return answer
