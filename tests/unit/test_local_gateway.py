"""The local API gateway's parts: IdToken checks, REST proxy events, the Lambda runner, routing."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.events import rest_proxy_event
from local.gateway import ApiConfig, Gateway, GatewayResponse, Method
from local.jwt_verify import CognitoVerifier, Unauthorized, claims_for_event
from local.lambda_runner import FunctionPool, FunctionSpec

pytestmark = pytest.mark.unit

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT = "client-1"


def _keypair(kid):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {**public, "kid": kid, "alg": "RS256", "use": "sig"}


@pytest.fixture(scope="module")
def keys():
    return _keypair("good"), _keypair("other")


@pytest.fixture
def verifier(keys):
    (_, jwk), _ = keys
    return CognitoVerifier({"keys": [jwk]}, ISSUER, {CLIENT})


def _token(key, kid="good", **overrides):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "exp": now + 600,
        "iat": now,
        "cognito:username": "tenant-1",
        "cognito:groups": ["admin"],
        "email_verified": True,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_good_id_token_passes(keys, verifier):
    (key, _), _ = keys
    claims = verifier.verify(_token(key))
    assert claims["cognito:username"] == "tenant-1"
    event_claims = claims_for_event(claims)
    assert event_claims["cognito:groups"] == "admin"
    assert event_claims["email_verified"] == "true"
    assert event_claims["exp"].endswith(time.strftime("%Y", time.gmtime()))


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "garbage",
        "expired",
        "wrong_audience",
        "access_token",
        "wrong_issuer",
        "forged",
        "unknown_kid",
        "no_token_use",
    ],
)
def test_bad_tokens_are_refused(keys, verifier, case):
    (key, _), (other_key, _) = keys
    token = {
        "missing": None,
        "garbage": "not.a.jwt",
        "expired": _token(key, exp=int(time.time()) - 5),
        "wrong_audience": _token(key, aud="someone-else"),
        "access_token": _token(key, token_use="access"),
        "wrong_issuer": _token(key, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "forged": _token(other_key),
        "unknown_kid": _token(other_key, kid="other"),
        "no_token_use": _token(key, token_use=None),
    }[case]
    with pytest.raises(Unauthorized):
        verifier.verify(token)


def test_a_cached_token_still_expires(keys, verifier):
    (key, _), _ = keys
    token = _token(key, exp=int(time.time()) + 1)
    verifier.verify(token)
    time.sleep(1.1)
    with pytest.raises(Unauthorized):
        verifier.verify(token)


def test_rest_proxy_event_shape():
    event = rest_proxy_event(
        method="POST",
        resource_path="/invoke_model",
        path="/invoke_model",
        stage="demo_prod",
        api_id="abc",
        headers=[("Auth", "t"), ("X-Multi", "1"), ("X-Multi", "2")],
        query=[("model_id", "m")],
        body=b'{"inputs": "x"}',
        claims={"cognito:username": "u"},
        request_id="rid-1",
    )
    assert event["resource"] == "/invoke_model" and event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"model_id": "m"}
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    context = event["requestContext"]
    assert context["requestId"] == "rid-1" and context["stage"] == "demo_prod"
    assert context["resourcePath"] == "/invoke_model" and context["path"] == "/demo_prod/invoke_model"
    assert context["authorizer"]["claims"] == {"cognito:username": "u"}
    assert event["body"] == '{"inputs": "x"}' and event["isBase64Encoded"] is False


HANDLER = """
import json, os, sys, time
import helper
print("cold start")
def lambda_handler(event, context):
    body = json.loads(event.get("body") or "{}")
    if body.get("sleep"):
        time.sleep(body["sleep"])
    if body.get("raise"):
        raise ValueError("boom")
    print(json.dumps({"message": "HELLO", "request": context.aws_request_id}))
    return {"statusCode": 200, "headers": {"X-Env": os.environ.get("GREETING", "")},
            "body": json.dumps({"helper": helper.VALUE, "claims": event["requestContext"].get("authorizer"),
                                "path": [p for p in sys.path if "site-packages" not in p][:2]})}
"""


@pytest.fixture
def function(tmp_path: Path):
    code = tmp_path / "fn.zip"
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", HANDLER)
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w") as archive:
        archive.writestr("python/helper.py", "VALUE = 'from the layer'\n")
    return FunctionSpec(
        name="demo_fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:demo_fn",
        handler="index.lambda_handler",
        timeout=2,
        memory=128,
        environment={"GREETING": "hi"},
        code_zip=code,
        layer_zips=[layer],
    )


@pytest.fixture
def pool(function, tmp_path):
    shipped = []
    pool = FunctionPool(
        function,
        tmp_path / "work",
        {"AWS_REGION": "us-east-1"},
        lambda group, stream, events: shipped.append((group, stream, events)),
        max_workers=2,
    )
    pool.shipped = shipped
    yield pool
    pool.close()


def test_runner_runs_the_handler_from_zip_and_layer_and_ships_logs(pool):
    result = pool.invoke({"body": "{}", "requestContext": {}}, request_id="r-1")
    assert result.ok
    body = json.loads(result.payload["body"])
    assert body["helper"] == "from the layer"
    assert result.payload["headers"]["X-Env"] == "hi"
    group, _, events = pool.shipped[0]
    lines = [line for _, line in events]
    assert group == "/aws/lambda/demo_fn"
    assert lines[0].startswith("INIT_START") and lines[1] == "START RequestId: r-1 Version: $LATEST"
    assert "cold start" in lines
    assert json.loads(lines[3]) == {"message": "HELLO", "request": "r-1"}
    assert lines[-2] == "END RequestId: r-1" and lines[-1].startswith("REPORT RequestId: r-1")


def test_runner_reports_errors_and_timeouts(pool):
    failed = pool.invoke({"body": json.dumps({"raise": True}), "requestContext": {}})
    assert not failed.ok and failed.payload["errorType"] == "ValueError"
    timed_out = pool.invoke({"body": json.dumps({"sleep": 5}), "requestContext": {}}, request_id="slow")
    assert timed_out.timed_out
    assert any("Task timed out after 2.00 seconds" in line for _, line in pool.shipped[-1][2])
    # The killed environment is replaced; the next call works.
    assert pool.invoke({"body": "{}", "requestContext": {}}).ok


def test_an_environment_outlives_the_request_thread_that_started_it(pool):
    # Given a first call made from a short-lived thread (as the gateway's request threads are)
    results = []
    caller = threading.Thread(
        target=lambda: results.append(pool.invoke({"body": "{}", "requestContext": {}}))
    )
    caller.start()
    caller.join()
    assert results[0].ok
    # When that thread is gone, the warm environment it started still answers
    time.sleep(0.2)
    again = pool.invoke({"body": "{}", "requestContext": {}}, request_id="after")
    assert again.ok and not again.timed_out
    # and it was the same, warm environment: no second INIT_START
    assert not pool.shipped[-1][2][0][1].startswith("INIT_START")


def _gateway(verifier, pool, **config):
    api = ApiConfig(
        api_id="abc",
        stage="demo_prod",
        routes={
            "/invoke_model": {
                "POST": Method(
                    "POST",
                    "COGNITO_USER_POOLS",
                    "Auth",
                    "AWS_PROXY",
                    "demo_fn",
                    timeout_ms=29000,
                    required_params=["querystring.model_id"],
                ),
                "OPTIONS": Method(
                    "OPTIONS", integration="MOCK", mock_headers={"Access-Control-Allow-Origin": "*"}
                ),
            }
        },
        responses={"DEFAULT_4XX": GatewayResponse(0, {"Access-Control-Allow-Origin": "*"})},
        **config,
    )
    return Gateway(api, verifier, lambda name, event, rid: pool.invoke(event, rid))


def test_gateway_routes_authorizes_and_validates(keys, verifier, pool):
    (key, _), (other, _) = keys
    gateway = _gateway(verifier, pool)
    token = _token(key)
    status, headers, body = gateway.handle(
        "POST", "/demo_prod/invoke_model?model_id=m", [("Auth", token)], b"{}", "127.0.0.1"
    )
    assert status == 200
    assert json.loads(body)["claims"]["claims"]["cognito:username"] == "tenant-1"
    for auth in ([], [("Auth", "junk")], [("Auth", _token(other))], [("Authorization", token)]):
        status, headers, body = gateway.handle(
            "POST", "/demo_prod/invoke_model?model_id=m", auth, b"", "127.0.0.1"
        )
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        assert headers["Access-Control-Allow-Origin"] == "*"
    status, _, body = gateway.handle("POST", "/demo_prod/invoke_model", [("Auth", token)], b"", "127.0.0.1")
    assert status == 400 and "model_id" in json.loads(body)["message"]
    status, headers, _ = gateway.handle("OPTIONS", "/demo_prod/invoke_model", [], b"", "127.0.0.1")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    status, _, body = gateway.handle("POST", "/demo_prod/nowhere", [("Auth", token)], b"", "127.0.0.1")
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}
    status, _, _ = gateway.handle(
        "POST",
        "/demo_prod/invoke_model?model_id=m",
        [("Auth", token), ("X-Big", "x" * 11000)],
        b"",
        "127.0.0.1",
    )
    assert status == 431
    status, _, body = gateway.handle(
        "POST",
        "/demo_prod/invoke_model?model_id=m",
        [("Auth", token)],
        json.dumps({"raise": True}).encode(),
        "127.0.0.1",
    )
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_gateway_throttles_as_the_stage_says(keys, verifier, pool):
    (key, _), _ = keys
    gateway = _gateway(verifier, pool, throttle_rate=0.001, throttle_burst=1)
    token = _token(key)
    first = gateway.handle(
        "POST", "/demo_prod/invoke_model?model_id=m", [("Auth", token)], b"{}", "127.0.0.1"
    )
    second = gateway.handle(
        "POST", "/demo_prod/invoke_model?model_id=m", [("Auth", token)], b"{}", "127.0.0.1"
    )
    assert first[0] == 200 and second[0] == 429


def test_an_init_failure_is_reported_and_retried(tmp_path):
    code = tmp_path / "broken.zip"
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "import os\nREQUIRED = os.environ['TABLE_NAME']\n")
    spec = FunctionSpec(
        name="broken",
        arn="arn:aws:lambda:us-east-1:123456789012:function:broken",
        handler="index.lambda_handler",
        timeout=5,
        memory=128,
        environment={},
        code_zip=code,
    )
    shipped = []
    pool = FunctionPool(
        spec,
        tmp_path / "work",
        {"AWS_REGION": "us-east-1"},
        lambda group, stream, events: shipped.append(events),
        max_workers=1,
    )
    try:
        for _ in range(2):  # Lambda retries the init on the next call
            result = pool.invoke({})
            assert not result.ok and result.payload["errorType"] == "KeyError"
            assert any("TABLE_NAME" in line for _, line in shipped[-1])
    finally:
        pool.close()
