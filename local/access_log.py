"""API Gateway access logs: the stage's deployed format, rendered per request and shipped in
batches to its CloudWatch Logs group, as API Gateway would (no headers, no bodies)."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
from typing import Any

VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.:-]+)")


def render(template: str, context: dict[str, Any]) -> str:
    """Substitute $context.* variables; unknown ones become "-" as in API Gateway."""

    def value(match: re.Match) -> str:
        found = context.get(match[1])
        return "-" if found is None else json.dumps(str(found))[1:-1]

    return VARIABLE.sub(value, template)


def group_of(destination_arn: str) -> str:
    """arn:aws:logs:<region>:<account>:log-group:<name>[:*] → <name>"""
    name = destination_arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


class AccessLogShipper:
    def __init__(self, logs_client: Any, group: str, stream: str, template: str, interval: float = 1.0):
        self.client = logs_client
        self.group = group
        self.stream = stream
        self.template = template
        self.interval = interval
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
            logs_client.create_log_group(logGroupName=group)
        with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
            logs_client.create_log_stream(logGroupName=group, logStreamName=stream)
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def __call__(self, context: dict[str, Any]) -> None:
        self._queue.put({"timestamp": int(time.time() * 1000), "message": render(self.template, context)})

    def _flush(self) -> None:
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for start in range(0, len(events), 5000):
            batch = sorted(events[start : start + 5000], key=lambda e: e["timestamp"])
            with contextlib.suppress(Exception):  # access logs must never break the API
                self.client.put_log_events(
                    logGroupName=self.group, logStreamName=self.stream, logEvents=batch
                )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._flush()
