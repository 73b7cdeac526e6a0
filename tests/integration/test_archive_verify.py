"""The archive stream's processor (functions/archive_verify) on moto: its keyring from Secrets
Manager, what it answers Firehose, and a rotation seen by a warm container."""

from __future__ import annotations

import base64
import gzip
import json

import boto3
import pytest
from token_profiler.signing import Keyring, parse_keyring

from scripts import signing_key
from tests.support.lambda_env import LambdaContext, load_handler
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.integration


def firehose_event(*messages: str) -> dict:
    events = [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)]
    data = gzip.compress(json.dumps({"messageType": "DATA_MESSAGE", "logEvents": events}).encode())
    return {"records": [{"recordId": "r0", "data": base64.b64encode(data).decode()}]}


def answered(answer: dict) -> list[dict]:
    lines = base64.b64decode(answer["records"][0]["data"]).decode().splitlines()
    return [json.loads(line) for line in lines]


DAY = "2026-11-26"  # the day the lines name and were logged on


def test_a_warm_processor_rereads_the_keyring_after_a_rotation_at_most_once_a_minute(signing_secret):
    module, logs = load_handler("archive_verify")
    handler = lambda event: module.lambda_handler(event, LambdaContext())  # noqa: E731
    genuine = usage_line(
        tenant="t",
        request_id="a",
        model_id="m",
        input_tokens=1,
        output_tokens=2,
        keyring=TEST_KEYRING,
        day=DAY,
    )
    # a line signed with the container's keys is kept as logged
    assert answered(handler(firehose_event(genuine)))[0]["token_usage"]["tenant_id"] == "t"
    # When the keyring is rotated and a new invoke_model container signs with the new key
    secrets = boto3.client("secretsmanager")
    signing_key.rotate(secrets, signing_secret)
    rotated = parse_keyring(signing_key.current_value(secrets, signing_secret))
    new_line = usage_line(
        tenant="t", request_id="b", model_id="m", input_tokens=1, output_tokens=2, keyring=rotated, day=DAY
    )
    # Then within a minute of the last read the processor refuses it (unknown key)...
    assert answered(handler(firehose_event(new_line)))[0]["reason"] == "unknown_key"
    # logged as counts only: no line, tenant or key
    assert "usage lines refused at ingestion" in logs.getvalue() and '"t"' not in logs.getvalue()
    # ...and after a minute it reads the keyring again and keeps the line
    module._state["at"] -= module.RELOAD_EVERY_S
    assert answered(handler(firehose_event(new_line)))[0]["token_usage"]["request_id"] == "b"
    # while a key nobody holds never causes another read within the minute
    calls = []
    original = module.signing.load_keyring
    module.signing.load_keyring = lambda *a: calls.append(a) or original(*a)
    try:
        forged = usage_line(
            tenant="t",
            request_id="c",
            model_id="m",
            input_tokens=1,
            output_tokens=2,
            keyring=Keyring(current="nobody", keys={"nobody": b"x" * 32}),
        )
        assert answered(handler(firehose_event(forged)))[0]["reason"] == "unknown_key"
    finally:
        module.signing.load_keyring = original
    assert calls == []
