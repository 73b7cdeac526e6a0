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

import copy
import re
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


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


class MemoryCounterTable:
    """The plans table's calls (GetItem, PutItem, BatchGetItem, Scan with the listing's filter,
    UpdateItem and TransactWriteItems with ``SET ... if_not_exists``, ``ADD``, ``DELETE`` and
    conditions), evaluated as DynamoDB does: a failed condition changes nothing and raises
    ``ConditionalCheckFailedException`` (with the old item under ``Item`` when
    ``ReturnValuesOnConditionCheckFailure`` asks for it); a transaction applies all or nothing and
    is cancelled with one reason per action, in order. ``ADD`` of a number to a missing attribute
    starts from 0, of a set creates the set; ``DELETE`` removes elements from a set and drops an
    emptied set. Comparisons of numbers are numeric; a comparison with a missing attribute is false.

    ``other_tables`` answers BatchGetItem for other tables (the tenant registry), keyed by name.
    """

    def __init__(self, table_name: str, *, other_tables: dict[str, dict[str, dict[str, Any]]] | None = None):
        self.table_name = table_name
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.other_tables = other_tables or {}
        self.calls: list[str] = []
        self.unprocessed_rounds = 0  # BatchGetItem answers this many rounds with every key unprocessed

    def _check(self, name: str | None) -> None:
        if name != self.table_name:
            raise ValueError(f"no table {name!r}")

    @staticmethod
    def _key(key: dict[str, Any]) -> tuple[str, str]:
        if set(key) != {"pk", "sk"}:
            raise ValueError(f"the key is pk and sk: {key!r}")
        return _text(key["pk"]), _text(key["sk"])

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs.get("TableName"))
        self.calls.append("get_item")
        item = self.items.get(self._key(kwargs["Key"]))
        return {"Item": copy.deepcopy(item)} if item else {}

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs.get("TableName"))
        self.calls.append("put_item")
        if "ConditionExpression" in kwargs:
            raise ValueError("unsupported: a conditional PutItem")
        item = copy.deepcopy(kwargs["Item"])
        self.items[self._key({"pk": item["pk"], "sk": item["sk"]})] = item
        return {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls.append("batch_get_item")
        if self.unprocessed_rounds:
            self.unprocessed_rounds -= 1
            return {"Responses": {}, "UnprocessedKeys": copy.deepcopy(RequestItems)}
        responses: dict[str, list[dict[str, Any]]] = {}
        for name, request in RequestItems.items():
            found = responses.setdefault(name, [])
            for key in request["Keys"]:
                if name == self.table_name:
                    item = self.items.get(self._key(key))
                elif name in self.other_tables:
                    ((_, attr),) = key.items()
                    item = self.other_tables[name].get(_text(attr))
                else:
                    raise ValueError(f"no table {name!r}")
                if item:
                    found.append(copy.deepcopy(item))
        return {"Responses": responses, "UnprocessedKeys": {}}

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs.get("TableName"))
        self.calls.append("scan")
        if kwargs.get("FilterExpression") != "sk = :plan OR sk = :period":
            raise ValueError(f"unsupported filter: {kwargs.get('FilterExpression')!r}")
        values = kwargs["ExpressionAttributeValues"]
        wanted = {_text(values[":plan"]), _text(values[":period"])}
        ordered = sorted(self.items)[::-1]  # no order to rely on
        start = (
            ordered.index(self._key(kwargs["ExclusiveStartKey"])) + 1
            if kwargs.get("ExclusiveStartKey")
            else 0
        )
        page = ordered[start : start + 2]
        answer: dict[str, Any] = {
            "Items": [
                {"pk": self.items[key]["pk"]} for key in page if key[1] in wanted
            ]  # ProjectionExpression pk
        }
        if start + 2 < len(ordered):
            answer["LastEvaluatedKey"] = {"pk": {"S": page[-1][0]}, "sk": {"S": page[-1][1]}}
        return answer

    # -- conditional updates ----------------------------------------------------------------------
    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        self._check(kwargs.get("TableName"))
        self.calls.append("update_item")
        key = self._key(kwargs["Key"])
        old = self.items.get(key)
        if not self._condition_holds(old or {}, kwargs):
            error: dict[str, Any] = {
                "Error": {
                    "Code": "ConditionalCheckFailedException",
                    "Message": "The conditional request failed",
                }
            }
            if kwargs.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old:
                error["Item"] = copy.deepcopy(old)
            raise ClientError(error, "UpdateItem")
        new = self._updated(key, old, kwargs)
        self.items[key] = new
        if kwargs.get("ReturnValues") == "ALL_NEW":
            return {"Attributes": copy.deepcopy(new)}
        if kwargs.get("ReturnValues", "NONE") != "NONE":
            raise ValueError(f"unsupported ReturnValues {kwargs['ReturnValues']!r}")
        return {}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append("transact_write_items")
        reasons: list[dict[str, Any]] = []
        staged: list[tuple[tuple[str, str], dict[str, Any]]] = []
        for action in TransactItems:
            ((kind, update),) = action.items()
            if kind != "Update":
                raise ValueError(f"unsupported transaction action {kind!r}")
            self._check(update.get("TableName"))
            key = self._key(update["Key"])
            if any(key == other for other, _ in staged):
                raise ValueError("a transaction may not touch one item twice")
            old = self.items.get(key)
            if self._condition_holds(old or {}, update):
                reasons.append({"Code": "None"})
                staged.append((key, self._updated(key, old, update)))
            else:
                reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": "failed"}
                if update.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old:
                    reason["Item"] = copy.deepcopy(old)
                reasons.append(reason)
                staged.append((key, old or {}))
        if any(reason["Code"] != "None" for reason in reasons):
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        for key, new in staged:
            self.items[key] = new
        return {}

    def _updated(
        self, key: tuple[str, str], old: dict[str, Any] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        item = copy.deepcopy(old) if old else {"pk": {"S": key[0]}, "sk": {"S": key[1]}}
        names = kwargs.get("ExpressionAttributeNames", {})
        values = kwargs.get("ExpressionAttributeValues", {})
        for clause, actions in _clauses(kwargs["UpdateExpression"]):
            for action in actions:
                if clause == "SET":
                    target, source = (part.strip() for part in action.split("=", 1))
                    target = names.get(target, target)
                    match = re.fullmatch(r"if_not_exists\((\S+), (:\w+)\)", source)
                    if not match or names.get(match.group(1), match.group(1)) != target:
                        raise ValueError(f"unsupported SET {action!r}")
                    item.setdefault(target, values[match.group(2)])
                    continue
                path, value_name = action.split()
                path, value = names.get(path, path), values[value_name]
                if clause == "ADD" and "N" in value:
                    start = Decimal(item[path]["N"]) if path in item else Decimal(0)
                    item[path] = {"N": str(start + Decimal(value["N"]))}
                elif clause == "ADD" and "NS" in value:
                    have = set(item.get(path, {}).get("NS", []))
                    item[path] = {"NS": sorted(have | set(value["NS"]))}
                elif clause == "DELETE" and "NS" in value:
                    left = sorted(set(item.get(path, {}).get("NS", [])) - set(value["NS"]))
                    if left:
                        item[path] = {"NS": left}
                    else:
                        item.pop(path, None)
                else:
                    raise ValueError(f"unsupported {clause} {action!r}")
        return item

    @staticmethod
    def _condition_holds(item: dict[str, Any], kwargs: dict[str, Any]) -> bool:
        expression = kwargs.get("ConditionExpression")
        if expression is None:
            return True
        values = kwargs.get("ExpressionAttributeValues", {})

        def term(text: str) -> bool:
            text = text.strip()
            if text.startswith("(") and text.endswith(")"):
                return any_of(text[1:-1])
            if text.startswith("NOT "):
                return not term(text[4:])
            if match := re.fullmatch(r"attribute_not_exists\((\w+)\)", text):
                return match.group(1) not in item
            if match := re.fullmatch(r"contains\((\w+), (:\w+)\)", text):
                have = item.get(match.group(1), {}).get("NS", [])
                return Decimal(values[match.group(2)]["N"]) in {Decimal(n) for n in have}
            if match := re.fullmatch(r"(\w+) <= (:\w+)", text):
                have = item.get(match.group(1))
                return have is not None and Decimal(have["N"]) <= Decimal(values[match.group(2)]["N"])
            raise ValueError(f"unsupported condition {text!r}")

        def any_of(text: str) -> bool:
            return any(
                all(term(part) for part in _split(alternative, " AND "))
                for alternative in _split(text, " OR ")
            )

        return any_of(expression)


def _split(text: str, word: str) -> list[str]:
    """``text`` split on ``word`` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
        elif depth == 0 and text.startswith(word, i):
            parts.append(text[start:i])
            i += len(word)
            start = i
            continue
        i += 1
    return [*parts, text[start:]]


def _clauses(expression: str) -> list[tuple[str, list[str]]]:
    """``SET a = b ADD c :d, e :f`` as [("SET", ["a = b"]), ("ADD", ["c :d", "e :f"])]."""
    found = []
    for match in re.finditer(r"(SET|ADD|DELETE) (.*?)(?= (?:SET|ADD|DELETE) |$)", expression):
        found.append((match.group(1), [part.strip() for part in _split(match.group(2), ", ")]))
    return found
