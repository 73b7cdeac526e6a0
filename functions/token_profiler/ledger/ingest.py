"""Usage lines verified at ingestion: the Firehose processor between the subscription and the archive.

Firehose hands the processor (functions/archive_verify) its buffered records; each record is what
CloudWatch Logs' subscription put into the stream (a gzip subscription envelope of one log stream's
events; decompressed, or lines already extracted, are read too, so the order of Firehose's own
processors never matters: the stream configures none but this one). For each record the processor
answers ``Ok`` with newline-delimited lines that replace it in the archive:

- every usage line that verifies (``signing`` through ``aggregate.DayAggregate``, the aggregator's
  own rules), as it was logged;
- for every other line, a refusal record: ``{"message": "USAGE_LINE_REFUSED", "reason": <reason>,
  "timestamp": <the line's day and time>}`` where the reason is one of ``signing.REASONS`` or
  ``skipped`` (not a valid usage line). It holds nothing the line's writer chose but a timestamp
  of a fixed shape, so it can never look like a usage line.

A record is refused as a whole only when it cannot be read (``ProcessingFailed``: Firehose writes it
under the stream's error prefix, never under the ledger's); a control message is ``Dropped``. One
forged line in a stream's batch therefore never takes the genuine lines beside it down with it.

The archive's ledger prefix thus holds only lines that verified, written by Firehose alone: the
Athena engine reads it as it is, and ``refused.sql`` counts the refusals of a day for the run
summary. Unsigned lines pass only on days before SIGNED_LINES_FROM (the line's own day). A verified
line that names another day than the one it was logged on is refused as ``day_mismatch``, so the
archive holds only lines whose signed day agrees with their logged time.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from token_profiler.aggregate import DayAggregate
from token_profiler.ledger import archive

REFUSED_MARKER = "USAGE_LINE_REFUSED"
SKIPPED = "skipped"
# The logged timestamp as the logger writes it ("2026-11-26 13:45:12,345+0000"), the only part of a
# refused line a refusal record keeps; day.sql reads a line's day from the same field.
_TIMESTAMP = re.compile(r'"timestamp": ?"(\d{4}-\d{2}-\d{2}[ T][0-9:.,]{0,15}(?:[+-]\d{2}:?\d{2}|Z)?)"')
_USAGE_MARKER = "TOKEN_USAGE"


class Verifier:
    """Classifies lines with the aggregator's rules and keys; one per batch of records."""

    def __init__(
        self,
        keys: Mapping[str, bytes],
        signed_lines_from: dt.date | None,
        signed_days_from: dt.date | None = None,
    ):
        self.signed_from = signed_lines_from.isoformat() if signed_lines_from else None
        self.dated_from = signed_days_from.isoformat() if signed_days_from else None
        # two aggregates used as probes only: their sums are never read
        self._strict = DayAggregate("", keys)
        self._lenient = DayAggregate("", keys, accept_unsigned=True)

    def reason(self, line: str, day: str | None) -> str | None:
        """None when the line is billable (verified, or unsigned on a day that accepts it)."""
        lenient = self.signed_from is not None and day is not None and day < self.signed_from
        probe = self._lenient if lenient else self._strict
        # the day the line was logged: a verified line naming another is a replay (day_mismatch),
        # unless it is the previous day's call logged in this day's first minutes
        probe.day = day or ""
        dated = self.dated_from is not None and day is not None and day < self.dated_from
        probe.accept_undated = probe.accept_unsigned or dated
        skipped, rejected = probe.lines_skipped, dict(probe.rejected)
        probe.add(line)
        probe.seen.clear()  # a repeated request id is day.sql's to settle, not the processor's
        if probe.lines_skipped > skipped:
            return SKIPPED
        for reason, count in probe.rejected.items():
            if count > rejected[reason]:
                return reason
        return None


def _stamp_of(line: str) -> str | None:
    match = _TIMESTAMP.search(line)
    return match.group(1) if match else None


def _arrival_stamp(record: Mapping[str, Any]) -> str:
    millis = record.get("approximateArrivalTimestamp")
    when = dt.datetime.fromtimestamp(millis / 1000, dt.UTC) if isinstance(millis, int | float) else None
    when = when or dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S,") + f"{when.microsecond // 1000:03d}+0000"


def refusal(reason: str, timestamp: str) -> str:
    record = {"message": REFUSED_MARKER, "reason": reason, "timestamp": timestamp}
    return json.dumps(record, separators=(",", ":"))


def process_record(record: Mapping[str, Any], verifier: Verifier, counts: dict[str, int]) -> dict[str, Any]:
    """Firehose's answer for one record (``recordId``, ``result``, ``data``)."""
    record_id = record.get("recordId")
    try:
        raw = base64.b64decode(record["data"], validate=True)
        lines = archive.object_lines(raw).decode("utf-8").splitlines()
    except (KeyError, TypeError, ValueError, OSError, EOFError) as exc:
        counts["records_failed"] = counts.get("records_failed", 0) + 1
        # the data goes to the error prefix as it came; only the kind of error is said here
        return {
            "recordId": record_id,
            "result": "ProcessingFailed",
            "data": record.get("data", ""),
            "errorMessage": f"unreadable record: {type(exc).__name__}",
        }
    out = []
    for line in lines:
        if not line:
            continue
        stamp = _stamp_of(line)
        reason = verifier.reason(line, stamp[:10] if stamp else None)
        if reason is None:
            out.append(line)
            counts["verified"] = counts.get("verified", 0) + 1
        else:
            out.append(refusal(reason, stamp or _arrival_stamp(record)))
            counts[reason] = counts.get(reason, 0) + 1
    if not out:  # a control message, or an empty record
        return {"recordId": record_id, "result": "Dropped", "data": record["data"]}
    data = ("\n".join(out) + "\n").encode("utf-8")
    return {"recordId": record_id, "result": "Ok", "data": base64.b64encode(data).decode("ascii")}


def process(
    event: Mapping[str, Any],
    keys: Mapping[str, bytes],
    signed_lines_from: dt.date | None,
    signed_days_from: dt.date | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """The processor's answer to one Firehose transformation event, and counts by outcome."""
    verifier = Verifier(keys, signed_lines_from, signed_days_from)
    counts: dict[str, int] = {}
    records = [process_record(record, verifier, counts) for record in event.get("records", [])]
    return {"records": records}, counts


__all__ = ["REFUSED_MARKER", "SKIPPED", "Verifier", "process", "process_record", "refusal"]
