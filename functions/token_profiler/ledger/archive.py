"""The usage archive in S3: which objects may hold a day, and the lines inside an object.

Firehose writes objects under ``<prefix>YYYY/MM/DD/HH/`` by UTC hour of *arrival*, so a line logged
just before midnight can land in the next day's first hour: a day reads its 24 hours plus
``LATE_HOURS`` more, and the query keeps the lines logged that day.

An object is gzip (possibly several members back to back) of either
- one log message per line (Firehose's decompression and message extraction), or
- CloudWatch Logs subscription envelopes (``{"messageType": ..., "logEvents": [...]}``), which is
  what Firehose writes without those processors, and what the emulator writes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from typing import Any

LATE_HOURS = 1  # Firehose's longest buffer is 900 s


def day_hours(day: dt.date) -> list[str]:
    """The hour partitions (``YYYY/MM/DD/HH``) that may hold the day's lines."""
    start = dt.datetime.combine(day, dt.time())
    return [(start + dt.timedelta(hours=h)).strftime("%Y/%m/%d/%H") for h in range(24 + LATE_HOURS)]


def day_keys(s3: Any, bucket: str, prefix: str, day: dt.date) -> Iterator[str]:
    """Keys of the archive objects that may hold the day."""
    paginator = s3.get_paginator("list_objects_v2")
    for hour in day_hours(day):
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}{hour}/"):
            for item in page.get("Contents", []):
                yield item["Key"]


def object_lines(body: bytes) -> bytes:
    """The log messages of one archive object, newline-delimited."""
    data = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    text = data.decode("utf-8")
    decoder = json.JSONDecoder()
    if not _is_envelope(text, decoder):
        return data if data.endswith(b"\n") or not data else data + b"\n"
    messages: list[str] = []
    at = 0
    while at < len(text):
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            break
        envelope, at = decoder.raw_decode(text, at)
        if envelope.get("messageType") != "DATA_MESSAGE":
            continue  # CONTROL_MESSAGE: CloudWatch Logs checking the destination
        # a message never holds a raw newline (the logger writes one JSON line)
        messages.extend(event["message"].replace("\n", " ") for event in envelope.get("logEvents", []))
    return ("\n".join(messages) + "\n").encode("utf-8") if messages else b""


def _is_envelope(text: str, decoder: json.JSONDecoder) -> bool:
    """Whether the object's first JSON value is a subscription envelope (keys in any order); a
    message line never has logEvents."""
    try:
        first, _ = decoder.raw_decode(text, len(text) - len(text.lstrip()))
    except ValueError:
        return False
    return isinstance(first, dict) and "logEvents" in first and "messageType" in first
