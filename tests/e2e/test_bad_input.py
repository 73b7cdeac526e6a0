"""Bad input across the three routes: each gets its documented status and a JSON message naming
the problem, with no stack trace, no usage line and nothing written."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

import pytest

from tests.e2e.conftest import NOT_ENABLED_MODEL

pytestmark = pytest.mark.e2e

TODAY = dt.datetime.now(dt.UTC).date()
FUTURE = (TODAY + dt.timedelta(days=3)).isoformat()
LONG_AGO = (TODAY - dt.timedelta(days=4000)).isoformat()
MODEL = "amazon.nova-micro-v1:0"
OK_BODY = {"inputs": "hello", "parameters": {"maxTokenCount": 20}}


def _params(**parameters):
    return {"inputs": "hello", "parameters": parameters}


# (id, route, token kind, query, body (object, or raw bytes), extra headers, status, words the message names)
CASES = [
    # ---- invoke_model: body --------------------------------------------------------------------
    ("invoke-no-body", "invoke_model", "tenant", {"model_id": MODEL}, None, {}, 400, ["body"]),
    ("invoke-not-json", "invoke_model", "tenant", {"model_id": MODEL}, b"{inputs: hello", {}, 400, ["JSON"]),
    ("invoke-array", "invoke_model", "tenant", {"model_id": MODEL}, [1, 2], {}, 400, ["object"]),
    ("invoke-string", "invoke_model", "tenant", {"model_id": MODEL}, "hello", {}, 400, ["object"]),
    ("invoke-number", "invoke_model", "tenant", {"model_id": MODEL}, 42, {}, 400, ["object"]),
    (
        "invoke-unknown-field",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {**OK_BODY, "prompt": "x"},
        {},
        400,
        ["prompt"],
    ),
    (
        "invoke-inputs-missing",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"parameters": {}},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-inputs-number",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": 12},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-inputs-list",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": ["a"]},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-inputs-null",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": None},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-inputs-empty",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": ""},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-inputs-too-long",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": "x" * 100_001},
        {},
        400,
        ["inputs"],
    ),
    (
        "invoke-parameters-string",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        {"inputs": "hi", "parameters": "hot"},
        {},
        400,
        ["parameters"],
    ),
    (
        "invoke-parameters-unknown",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(top_k=5),
        {},
        400,
        ["top_k"],
    ),
    (
        "invoke-temperature-high",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(temperature=1.5),
        {},
        400,
        ["temperature"],
    ),
    (
        "invoke-temperature-negative",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(temperature=-0.1),
        {},
        400,
        ["temperature"],
    ),
    (
        "invoke-temperature-string",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(temperature="hot"),
        {},
        400,
        ["temperature"],
    ),
    (
        "invoke-topp-high",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(topP=1.01),
        {},
        400,
        ["topP"],
    ),
    (
        "invoke-topp-negative",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(topP=-1),
        {},
        400,
        ["topP"],
    ),
    (
        "invoke-max-zero",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(maxTokenCount=0),
        {},
        400,
        ["maxTokenCount"],
    ),
    (
        "invoke-max-huge",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(maxTokenCount=10_000_000),
        {},
        400,
        ["maxTokenCount"],
    ),
    (
        "invoke-max-beyond-model",
        "invoke_model",
        "tenant",
        {"model_id": "meta.llama3-8b-instruct-v1:0"},
        _params(maxTokenCount=2049),
        {},
        400,
        ["maxTokenCount"],
    ),
    (
        "invoke-max-float",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(maxTokenCount=10.5),
        {},
        400,
        ["maxTokenCount"],
    ),
    (
        "invoke-max-string",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(maxTokenCount="100"),
        {},
        400,
        ["maxTokenCount"],
    ),
    (
        "invoke-stop-string",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(stopSequences="END"),
        {},
        400,
        ["stopSequences"],
    ),
    (
        "invoke-stop-numbers",
        "invoke_model",
        "tenant",
        {"model_id": MODEL},
        _params(stopSequences=[1, 2]),
        {},
        400,
        ["stopSequences"],
    ),
    # ---- invoke_model: model_id ----------------------------------------------------------------
    ("invoke-model-missing", "invoke_model", "tenant", {}, OK_BODY, {}, 400, ["model_id"]),
    ("invoke-model-empty", "invoke_model", "tenant", {"model_id": ""}, OK_BODY, {}, 400, ["model_id"]),
    (
        "invoke-model-unknown",
        "invoke_model",
        "tenant",
        {"model_id": "anthropic.claude-99-v1:0"},
        OK_BODY,
        {},
        400,
        ["model_id"],
    ),
    (
        "invoke-model-malformed",
        "invoke_model",
        "tenant",
        {"model_id": "../../etc/passwd"},
        OK_BODY,
        {},
        400,
        ["model_id"],
    ),
    (
        "invoke-model-spaces",
        "invoke_model",
        "tenant",
        {"model_id": "amazon nova"},
        OK_BODY,
        {},
        400,
        ["model_id"],
    ),
    (
        "invoke-model-too-long",
        "invoke_model",
        "tenant",
        {"model_id": "a" * 300},
        OK_BODY,
        {},
        400,
        ["model_id"],
    ),
    (
        "invoke-model-not-enabled",
        "invoke_model",
        "tenant",
        {"model_id": NOT_ENABLED_MODEL},
        OK_BODY,
        {},
        400,
        ["not enabled"],
    ),
    (
        "invoke-model-embedding-params",
        "invoke_model",
        "tenant",
        {"model_id": "amazon.titan-embed-text-v2:0"},
        _params(temperature=3),
        {},
        400,
        ["temperature"],
    ),
    # ---- cost_track_manual ---------------------------------------------------------------------
    ("aggregate-not-json", "cost_track_manual", "admin", {}, b"{date:", {}, 400, ["JSON"]),
    ("aggregate-array", "cost_track_manual", "admin", {}, ["2024-01-01"], {}, 400, ["object"]),
    ("aggregate-unknown-field", "cost_track_manual", "admin", {}, {"day": "2024-01-01"}, {}, 400, ["day"]),
    ("aggregate-date-malformed", "cost_track_manual", "admin", {}, {"date": "27/11/2026"}, {}, 400, ["date"]),
    ("aggregate-date-number", "cost_track_manual", "admin", {}, {"date": 20261127}, {}, 400, ["date"]),
    (
        "aggregate-date-impossible",
        "cost_track_manual",
        "admin",
        {},
        {"date": "2026-02-30"},
        {},
        400,
        ["date"],
    ),
    ("aggregate-date-future", "cost_track_manual", "admin", {}, {"date": FUTURE}, {}, 400, ["future"]),
    (
        "aggregate-range-reversed",
        "cost_track_manual",
        "admin",
        {},
        {"start_date": TODAY.isoformat(), "end_date": (TODAY - dt.timedelta(days=2)).isoformat()},
        {},
        400,
        ["end_date"],
    ),
    (
        "aggregate-range-too-long",
        "cost_track_manual",
        "admin",
        {},
        {"start_date": LONG_AGO, "end_date": TODAY.isoformat()},
        {},
        400,
        ["range"],
    ),
    (
        "aggregate-range-half",
        "cost_track_manual",
        "admin",
        {},
        {"start_date": TODAY.isoformat()},
        {},
        400,
        ["end_date"],
    ),
    (
        "aggregate-date-and-range",
        "cost_track_manual",
        "admin",
        {},
        {"date": TODAY.isoformat(), "start_date": TODAY.isoformat(), "end_date": TODAY.isoformat()},
        {},
        400,
        ["date"],
    ),
    ("aggregate-by-tenant", "cost_track_manual", "tenant", {}, {}, {}, 403, ["admin"]),
    # ---- ddb_cost_retrieval --------------------------------------------------------------------
    ("retrieve-not-json", "ddb_cost_retrieval", "tenant", {}, b"[", {}, 400, ["JSON"]),
    ("retrieve-array", "ddb_cost_retrieval", "tenant", {}, [], {}, 400, ["object"]),
    ("retrieve-unknown-field", "ddb_cost_retrieval", "tenant", {}, {"user_id": "x"}, {}, 400, ["user_id"]),
    (
        "retrieve-date-malformed",
        "ddb_cost_retrieval",
        "tenant",
        {},
        {"start_date": "yesterday"},
        {},
        400,
        ["start_date"],
    ),
    (
        "retrieve-end-malformed",
        "ddb_cost_retrieval",
        "tenant",
        {},
        {"end_date": "2026-13-01"},
        {},
        400,
        ["end_date"],
    ),
    (
        "retrieve-range-reversed",
        "ddb_cost_retrieval",
        "admin",
        {},
        {"start_date": TODAY.isoformat(), "end_date": LONG_AGO},
        {},
        400,
        ["end_date"],
    ),
    ("retrieve-tenant-number", "ddb_cost_retrieval", "admin", {}, {"tenant": 5}, {}, 400, ["tenant"]),
    (
        "retrieve-model-too-long",
        "ddb_cost_retrieval",
        "admin",
        {},
        {"model_id": "m" * 400},
        {},
        400,
        ["model_id"],
    ),
    (
        "retrieve-other-tenant",
        "ddb_cost_retrieval",
        "tenant",
        {},
        {"tenant": "tenant-1"},
        {},
        403,
        ["tenant"],
    ),
    # ---- tokens (every route) ------------------------------------------------------------------
    *[
        (f"{route}-token-{kind}", route, kind, {"model_id": MODEL}, OK_BODY, {}, 401, ["Unauthorized"])
        for route in ("invoke_model", "cost_track_manual", "ddb_cost_retrieval")
        for kind in ("none", "malformed", "expired", "other-pool", "other-client", "access-token")
    ],
    # ---- headers -------------------------------------------------------------------------------
    *[
        (
            f"{route}-header-oversized",
            route,
            "tenant",
            {"model_id": MODEL},
            OK_BODY,
            {"X-Padding": "p" * 12_000},
            431,
            ["Header"],
        )
        for route in ("invoke_model", "cost_track_manual", "ddb_cost_retrieval")
    ],
]


@pytest.fixture(scope="module")
def actors(e2e, local_stack):
    """A fresh tenant, the admin, and every kind of bad token."""
    import gzip
    from pathlib import Path

    import jwt
    import moto

    tenant_id = f"bad-{secrets.token_hex(3)}"
    tenant = e2e.new_tenant(tenant_id)
    claims = jwt.decode(tenant, options={"verify_signature": False})
    private = Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz"
    pool_key = jwt.algorithms.RSAAlgorithm.from_jwk(gzip.decompress(private.read_bytes()).decode())

    def signed(**changes):
        token = jwt.encode({**claims, **changes}, pool_key, algorithm="RS256", headers={"kid": "dummy"})
        e2e.tokens.add(token)
        return token

    region = local_stack["region"]
    access = e2e.cognito.initiate_auth  # an access token from a real sign-in
    user = local_stack["users"][0]
    access_token = access(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=local_stack["client_id"],
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )["AuthenticationResult"]["AccessToken"]
    e2e.tokens.add(access_token)
    return {
        "tenant_id": tenant_id,
        "tenant": tenant,
        "admin": e2e.admin_token(),
        "none": None,
        "malformed": "not-a-token",
        "expired": signed(exp=int(time.time()) - 30),
        "other-pool": signed(iss=f"https://cognito-idp.{region}.amazonaws.com/{region}_SomeOtherPool"),
        "other-client": signed(aud="some-other-app-client"),
        "access-token": access_token,
    }


def test_the_matrix_has_at_least_40_cases_across_three_routes():
    assert len(CASES) >= 40
    assert {case[1] for case in CASES} == {"invoke_model", "cost_track_manual", "ddb_cost_retrieval"}


@pytest.mark.parametrize(
    ("name", "route", "who", "query", "body", "headers", "status", "words"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_bad_input_gets_a_clear_answer(e2e, actors, name, route, who, query, body, headers, status, words):
    raw = body if isinstance(body, bytes) else None
    response = e2e.post(
        route, actors[who], None if raw is not None else body, params=query, headers=headers, raw=raw
    )
    assert response.status_code == status, response.text
    payload = response.json()
    message = payload["message"]
    assert all(word.lower() in message.lower() for word in words), message
    text = response.text
    assert "Traceback" not in text and 'File "' not in text and "/var/task" not in text
    actors.setdefault("request_ids", []).append(response.headers.get("x-amzn-RequestId"))


@pytest.mark.parametrize(
    ("method", "route"),
    [("POST", "no_such_route"), ("GET", "invoke_model"), ("PUT", "ddb_cost_retrieval")],
)
def test_an_unknown_route_or_method_is_a_json_404(e2e, actors, method, route):
    response = e2e.http.request(
        method, f"{e2e.outputs['api_url']}/{route}", headers={"Auth": actors["tenant"]}, timeout=60
    )
    assert response.status_code == 404, response.text
    payload = response.json()
    assert "not found" in payload["message"].lower()
    assert payload["request_id"]


def test_bad_input_left_no_usage_line_and_no_row(e2e, actors, local_stack):
    # Given every bad request above, when the day is aggregated
    e2e.aggregate(actors["admin"])
    # Then the bad tenant has no row
    rows = e2e.rows(actors["admin"], {"tenant": actors["tenant_id"]})
    assert rows == []
    # And no usage line names it or any of those request ids
    group = local_stack["functions"][f"{local_stack['stack_prefix']}_invoke_model"]
    ids = set(actors.get("request_ids", []))
    for page in e2e.logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern='"TOKEN_USAGE"'
    ):
        for event in page["events"]:
            line = json.loads(event["message"])
            usage = line.get("token_usage", {})
            assert usage.get("tenant_id") != actors["tenant_id"]
            assert usage.get("request_id") not in ids
