"""The usage archive's object reader and key listing (token_profiler.ledger.archive) on bytes built
here: plain and gzip objects, envelopes with whitespace between them, the bucket asked for."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from token_profiler.ledger import archive

pytestmark = pytest.mark.unit


def envelope_text(messages: list[str], kind: str = "DATA_MESSAGE") -> str:
    events = [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)]
    return json.dumps({"messageType": kind, "logGroup": "g", "logEvents": events})


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (b"a\nb", b"a\nb\n"),  # plain, not gzip: the last line gets its newline
        (b"a\nb\n", b"a\nb\n"),
        (b"", b""),
        (gzip.compress(b"x", mtime=0), b"x\n"),
        (gzip.compress(b"x\n", mtime=0) + gzip.compress(b"y", mtime=0), b"x\ny\n"),  # two gzip members
    ],
    ids=["plain", "plain-ended", "empty", "gzip", "two-gzip-members"],
)
def test_message_lines_plain_or_gzip(body, lines):
    assert archive.object_lines(body) == lines


@pytest.mark.parametrize("gap", ["\n", " ", "\r\n\t ", ""], ids=["newline", "space", "mixed", "none"])
def test_envelopes_with_whitespace_between_and_after_them(gap):
    text = (
        "  "
        + envelope_text(["a", "b"])
        + gap
        + envelope_text([], "CONTROL_MESSAGE")
        + gap
        + envelope_text(["multi\nline"])
        + gap
        + "\n"
    )
    for body in (text.encode(), gzip.compress(text.encode(), mtime=0)):
        assert archive.object_lines(body) == b"a\nb\nmulti line\n"


def test_only_control_messages_give_no_lines():
    assert archive.object_lines(envelope_text([], "CONTROL_MESSAGE").encode() + b"\n") == b""


class RecordingS3:
    def __init__(self, keys: list[str]):
        self.keys = keys
        self.asked: list[tuple[str, str]] = []

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 - boto3's names
        self.asked.append((Bucket, Prefix))
        matching = [k for k in self.keys if k.startswith(Prefix)]
        yield {"Contents": [{"Key": k} for k in matching]} if matching else {}


def test_day_keys_lists_the_days_hours_and_the_late_hour_in_the_bucket():
    s3 = RecordingS3(["p/2026/11/26/00/a", "p/2026/11/26/23/b", "p/2026/11/27/00/c", "p/2026/11/27/01/d"])
    keys = list(archive.day_keys(s3, "usage-bucket", "p/", dt.date(2026, 11, 26)))
    assert keys == ["p/2026/11/26/00/a", "p/2026/11/26/23/b", "p/2026/11/27/00/c"]
    assert {bucket for bucket, _ in s3.asked} == {"usage-bucket"}
    assert len(s3.asked) == 25
    assert s3.asked[0] == ("usage-bucket", "p/2026/11/26/00/")
    assert s3.asked[-1] == ("usage-bucket", "p/2026/11/27/00/")


def test_a_data_envelope_without_events_gives_no_lines():
    text = envelope_text(["a"]) + json.dumps({"messageType": "DATA_MESSAGE", "logGroup": "g"})
    assert archive.object_lines(text.encode()) == b"a\n"


def test_a_message_line_with_a_message_type_but_no_events_is_a_line_not_an_envelope():
    line = json.dumps({"level": "INFO", "messageType": "DATA_MESSAGE"})
    assert archive.object_lines(line.encode()) == line.encode() + b"\n"
    array = json.dumps(["messageType", "logEvents"])
    assert archive.object_lines(array.encode()) == array.encode() + b"\n"


def test_anything_but_whitespace_between_envelopes_is_an_error_not_skipped():
    text = envelope_text(["a"]) + "X" + envelope_text(["b"])
    with pytest.raises(ValueError):
        archive.object_lines(text.encode())
