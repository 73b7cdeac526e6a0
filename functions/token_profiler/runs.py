"""Aggregation runs that outlive an API request: started by POST /cost_track_manual, carried out
by the scheduled aggregator invoked asynchronously, their status kept in a DynamoDB table.

    runs = RunStore(dynamodb, table_name)
    run_id = runs.record_start(days, requested_by="alice")  # status "running"
    runs.record_success(run_id, summary)                     # "succeeded", with the summary
    runs.record_failure(run_id, "QueryFailed: ...")          # "failed", with the reason
    runs.status_of(run_id)         # {"run_id", "status", "dates", "summary"?, "error"?}

(Method names are unique in the package: the IAM derivation links calls by name.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from typing import Any

from token_profiler.errors import BadRequest, NotFound

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
KEEP_SECONDS = 30 * 86_400  # a run's status is kept 30 days (TTL)
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def needs_async(days: list[dt.date], sync_max_days: int) -> bool:
    """A range longer than what the API's 29 s can finish is run asynchronously."""
    return len(days) > sync_max_days


def check_run_id(value: Any) -> str:
    if not isinstance(value, str) or not _RUN_ID.match(value):
        raise BadRequest("run_id must be the 32 hexadecimal characters a started run answered with")
    return value


class RunStore:
    def __init__(self, client: Any, table: str, now=time.time):
        self.client = client
        self.table = table
        self.now = now

    def record_start(self, days: list[dt.date], requested_by: str) -> str:
        run_id = uuid.uuid4().hex
        started = int(self.now())
        self.client.put_item(
            TableName=self.table,
            Item={
                "run_id": {"S": run_id},
                "status": {"S": RUNNING},
                "dates": {"S": json.dumps([d.isoformat() for d in days])},
                "requested_by": {"S": requested_by},
                "started_at": {"N": str(started)},
                "ttl": {"N": str(started + KEEP_SECONDS)},
            },
            ConditionExpression="attribute_not_exists(run_id)",
        )
        return run_id

    def _end(self, run_id: str, status: str, field: str, value: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"run_id": {"S": run_id}},
            UpdateExpression="SET #status = :status, #field = :value, finished_at = :now",
            ExpressionAttributeNames={"#status": "status", "#field": field},
            ExpressionAttributeValues={
                ":status": {"S": status},
                ":value": {"S": value},
                ":now": {"N": str(int(self.now()))},
            },
        )

    def record_success(self, run_id: str, summary: dict) -> None:
        self._end(run_id, SUCCEEDED, "summary", json.dumps(summary, sort_keys=True, default=str))

    def record_failure(self, run_id: str, reason: str) -> None:
        self._end(run_id, FAILED, "error", reason[:1000])

    def status_of(self, run_id: str) -> dict:
        item = self.client.get_item(
            TableName=self.table, Key={"run_id": {"S": check_run_id(run_id)}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFound(f"no aggregation run {run_id}")
        answer: dict[str, Any] = {
            "run_id": run_id,
            "status": item["status"]["S"],
            "dates": json.loads(item["dates"]["S"]),
        }
        if "summary" in item:
            answer["summary"] = json.loads(item["summary"]["S"])
        if "error" in item:
            answer["error"] = item["error"]["S"]
        return answer
