"""Request bodies the functions cannot read are a 400 naming the problem, never a 500.

schemathesis found this one: a body of bytes that are not UTF-8 reaches the function base64-encoded
(isBase64Encoded), and decoding it as text used to raise out of the handler.
"""

from __future__ import annotations

import base64
import json

import pytest
from aws_lambda_powertools import Logger
from token_profiler.apigw import json_body, make_app

from tests.support.lambda_env import LambdaContext, claims_for, rest_event

pytestmark = pytest.mark.unit


@pytest.fixture
def app():
    app = make_app(Logger(service="test"))

    @app.post("/echo")
    def echo():
        return {"body": json_body(app, required=True)}

    return app


def _call(app, raw: bytes, base64_encoded: bool):
    event = rest_event("/echo", claims=claims_for("tenant-1"))
    event["body"] = base64.b64encode(raw).decode() if base64_encoded else raw.decode()
    event["isBase64Encoded"] = base64_encoded
    response = app.resolve(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00J", b'{"inputs": "\xe9t\xe9"}', b"\xc3"])
def test_a_body_that_is_not_utf8_is_a_400(app, raw):
    status, payload = _call(app, raw, base64_encoded=True)
    assert status == 400, payload
    assert payload["message"] == "body is not valid JSON (not UTF-8 text)"


def test_a_base64_body_that_is_utf8_json_is_read(app):
    status, payload = _call(app, json.dumps({"inputs": "été"}).encode(), base64_encoded=True)
    assert (status, payload) == (200, {"body": {"inputs": "été"}})
