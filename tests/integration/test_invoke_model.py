"""invoke_model end to end: REST proxy events in, Bedrock answered by botocore's Stubber."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from fractions import Fraction

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, log_records, rest_event

pytestmark = pytest.mark.integration

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
PROMPT = "What is Amazon.com? secret-prompt-marker-4711"


@pytest.fixture
def invoke(monkeypatch, signing_secret):
    """A cold-started invoke_model with a stubbed Bedrock client; returns (call, stubber, logs)."""
    monkeypatch.setenv("BEDROCK_REGION", "us-east-1")
    monkeypatch.delenv("ENABLED_MODELS", raising=False)
    monkeypatch.delenv("LOG_PROMPTS", raising=False)
    state = {}

    def start(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        module, logs = load_handler("invoke_model")
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        stubber = Stubber(client)
        stubber.activate()
        monkeypatch.setattr(module, "get_client", lambda *args: client)
        state.update(module=module, logs=logs, stubber=stubber, client=client)

        def call(model_id=SONNET, body=None, claims=None, **kwargs):
            if body is None and "raw_body" not in kwargs:
                body = {"inputs": PROMPT}
            event = rest_event(
                "/invoke_model",
                body=body,
                claims=claims if claims is not None else claims_for("tenant-1"),
                query={"model_id": model_id} if model_id is not None else None,
                **kwargs,
            )
            response = module.lambda_handler(event, LambdaContext())
            return response, json.loads(response["body"])

        state["call"] = call
        return state

    yield start
    if "stubber" in state:
        state["stubber"].deactivate()


def converse_response(text="Amazon.com is an online retailer.", i=10, o=282, cr=None, cw=None):
    usage = {"inputTokens": i, "outputTokens": o, "totalTokens": i + o}
    if cr is not None:
        usage["cacheReadInputTokens"] = cr
        usage["cacheWriteInputTokens"] = cw
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": usage,
        "metrics": {"latencyMs": 400},
    }


def usage_lines(logs):
    return [r for r in log_records(logs) if r.get("message") == "TOKEN_USAGE"]


def test_text_call_returns_text_usage_and_cost_and_logs_one_usage_line(invoke):
    s = invoke()
    s["stubber"].add_response(
        "converse",
        converse_response(),
        expected_params={
            "modelId": SONNET,
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "inferenceConfig": {
                "maxTokens": 1000,  # the seed's 4096, lowered to what fits 20 s at 50 tokens/s
                "temperature": 0.8,
                "topP": 0.9,
                "stopSequences": ["Human:"],
            },
        },
    )
    body = {
        "inputs": PROMPT,
        "parameters": {"maxTokenCount": 4096, "temperature": 0.8, "topP": 0.9, "stopSequences": ["Human:"]},
    }
    response, payload = s["call"](body=body, request_id="req-abc")
    assert response["statusCode"] == 200
    # 10 × 0.003 / 1000 + 282 × 0.015 / 1000 = 0.00003 + 0.00423
    assert payload == [
        {
            "generated_text": "Amazon.com is an online retailer.",
            "usage": {
                "input_tokens": 10,
                "output_tokens": 282,
                "cache_read_input_tokens": 0,
                "cache_write_input_tokens": 0,
                "cost": "0.00426",
            },
        }
    ]
    (line,) = usage_lines(s["logs"])
    usage = line["token_usage"]
    # signed with the current test key over the rest of the object, computed here by hand
    sig = usage["sig"]
    assert sig["kid"] == "test-2" and list(usage)[-1] == "sig"
    body = json.dumps({k: v for k, v in usage.items() if k != "sig"}, sort_keys=True, separators=(",", ":"))
    digest = hmac.new(b"test key two, thirty-two bytes!!", body.encode(), hashlib.sha256).digest()
    assert sig["mac"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    # the signed day is the UTC day the line was logged on (the logger stamps it in UTC)
    assert usage["day"] == line["timestamp"][:10]
    assert {k: v for k, v in usage.items() if k not in ("latency_ms", "sig", "day")} == {
        "schema_version": 3,
        "tenant_id": "tenant-1",
        "request_id": "req-abc",
        "model_id": SONNET,
        "region": "us-east-1",
        "input_tokens": 10,
        "output_tokens": 282,
        "cache_read_input_tokens": 0,
        "cache_write_input_tokens": 0,
    }
    assert isinstance(usage["latency_ms"], int) and usage["latency_ms"] >= 0
    s["stubber"].assert_no_pending_responses()


def test_cache_tokens_of_a_profile_id_are_reported_and_priced(invoke):
    s = invoke()
    s["stubber"].add_response("converse", converse_response(i=100, o=50, cr=1000, cw=2000))
    response, payload = s["call"](model_id=HAIKU35)
    assert response["statusCode"] == 200
    # 100×0.0008 + 50×0.004 + 1000×0.00008 + 2000×0.001, all / 1000
    assert payload[0]["usage"]["cost"] == "0.00236"
    (line,) = usage_lines(s["logs"])
    assert line["token_usage"]["model_id"] == HAIKU35
    usage = line["token_usage"]
    assert (usage["cache_read_input_tokens"], usage["cache_write_input_tokens"]) == (1000, 2000)


def test_a_user_without_a_tenant_gets_403_and_spends_nothing(invoke):
    s = invoke()
    response, payload = s["call"](claims=claims_for(None, username="tenant-2"))
    assert response["statusCode"] == 403 and "user has no tenant" in payload["message"]
    assert usage_lines(s["logs"]) == []
    s["stubber"].assert_no_pending_responses()  # Bedrock was never called


def stream(payload: dict) -> StreamingBody:
    data = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(data), len(data))


def test_titan_embedding_uses_invoke_model(invoke):
    s = invoke()
    s["stubber"].add_response(
        "invoke_model",
        {
            "body": stream({"embedding": [0.25, -0.5], "inputTextTokenCount": 7}),
            "contentType": "application/json",
        },
        expected_params={
            "modelId": "amazon.titan-embed-text-v1",
            "body": json.dumps({"inputText": PROMPT}).encode(),
            "contentType": "application/json",
            "accept": "application/json",
        },
    )
    response, payload = s["call"](model_id="amazon.titan-embed-text-v1")
    assert response["statusCode"] == 200
    # 7 × 0.0001 / 1000
    assert payload == [
        {
            "embedding": [0.25, -0.5],
            "usage": {
                "input_tokens": 7,
                "output_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_write_input_tokens": 0,
                "cost": "0.0000007",
            },
        }
    ]
    assert usage_lines(s["logs"])[0]["token_usage"]["input_tokens"] == 7


def test_cohere_embedding_reads_the_token_header(invoke):
    s = invoke()
    s["stubber"].add_response(
        "invoke_model",
        {
            "body": stream({"id": "x", "embeddings": [[1.0, 2.0]], "texts": [PROMPT]}),
            "contentType": "application/json",
            "ResponseMetadata": {"HTTPHeaders": {"x-amzn-bedrock-input-token-count": "12"}},
        },
        expected_params={
            "modelId": "cohere.embed-english-v3",
            "body": json.dumps({"texts": [PROMPT], "input_type": "search_document"}).encode(),
            "contentType": "application/json",
            "accept": "application/json",
        },
    )
    response, payload = s["call"](model_id="cohere.embed-english-v3")
    assert response["statusCode"] == 200
    assert payload[0]["embedding"] == [1.0, 2.0]
    assert payload[0]["usage"]["input_tokens"] == 12 and payload[0]["usage"]["cost"] == "0.0000012"


@pytest.mark.parametrize(
    ("code", "http", "status"),
    [
        ("ThrottlingException", 429, 429),
        ("ValidationException", 400, 400),
        ("ModelTimeoutException", 408, 504),
        ("InternalServerException", 500, 502),
        ("ServiceUnavailableException", 503, 502),
        ("ModelErrorException", 424, 502),
        ("ModelNotReadyException", 429, 429),
        ("AccessDeniedException", 403, 403),
    ],
)
def test_bedrock_errors_map_to_statuses_without_usage_line(invoke, code, http, status):
    s = invoke()
    s["stubber"].add_client_error(
        "converse", service_error_code=code, service_message="boom", http_status_code=http
    )
    response, payload = s["call"](request_id="req-err", headers={"Origin": "https://console.example"})
    assert response["statusCode"] == status
    assert set(payload) == {"message", "request_id"} and payload["request_id"] == "req-err"
    assert "Traceback" not in response["body"]
    if status == 429:
        headers = {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
        assert headers["Retry-After"] in ("1", ["1"])
        # a browser may read it only when CORS exposes it
        exposed = headers["Access-Control-Expose-Headers"]
        assert "Retry-After" in (exposed if isinstance(exposed, list) else exposed.split(","))
    assert usage_lines(s["logs"]) == []


@pytest.mark.parametrize(
    ("bedrock_says", "step"),
    [
        (
            "Model access is denied due to IAM user or service role is not authorized to perform the "
            "required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) "
            "to enable access to this model.",
            "subscribe the account to it",
        ),
        ("You don't have access to the model with the specified model ID.", "Model access"),
        (
            "User: arn:aws:sts::123456789012:assumed-role/p_invoke_model/p_invoke_model is not "
            "authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::x",
            "ENABLED_MODELS",
        ),
    ],
)
def test_model_access_denied_is_a_403_naming_the_model_and_the_operator_step(invoke, bedrock_says, step):
    s = invoke()
    s["stubber"].add_client_error(
        "converse",
        service_error_code="AccessDeniedException",
        service_message=bedrock_says,
        http_status_code=403,
    )
    response, payload = s["call"](model_id=HAIKU35, request_id="req-denied")
    assert response["statusCode"] == 403
    assert f"model {HAIKU35} is not available" in payload["message"]
    assert step in payload["message"] and "docs/deploy.md#model-access" in payload["message"]
    # Bedrock's own text names the account and the role: it is classified, never echoed.
    assert "123456789012" not in response["body"] and "arn:aws" not in response["body"]
    assert usage_lines(s["logs"]) == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), 504),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), 502),
    ],
)
def test_timeouts_and_connection_errors(invoke, monkeypatch, error, status):
    s = invoke()

    def fail(**kwargs):
        raise error

    monkeypatch.setattr(s["client"], "converse", fail)
    response, payload = s["call"]()
    assert response["statusCode"] == status and payload["message"]
    if status == 502:  # could not reach Bedrock: nothing ran, nothing to bill
        assert usage_lines(s["logs"]) == []


def test_a_read_timeout_writes_a_timed_out_usage_line_with_the_bounds(invoke, monkeypatch):
    # defect 11: Bedrock may still run (and bill) a call we stopped waiting for
    s = invoke()
    sent = {}

    def hang(**kwargs):
        sent.update(kwargs)
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1:1")

    monkeypatch.setattr(s["client"], "converse", hang)
    prompt = "y" * 100
    response, payload = s["call"](
        body={"inputs": prompt, "parameters": {"maxTokenCount": 700}}, request_id="req-slow"
    )
    assert response["statusCode"] == 504
    assert sent["inferenceConfig"]["maxTokens"] == 700
    (line,) = usage_lines(s["logs"])
    usage = line["token_usage"]
    assert usage["timed_out"] is True and usage["request_id"] == "req-slow"
    # input estimated at 3 characters a token, rounded up: 100 / 3 -> 34; output = the bound sent
    assert (usage["input_tokens"], usage["output_tokens"]) == (34, 700)
    assert usage["tenant_id"] == "tenant-1" and usage["schema_version"] == 3
    assert usage["day"] == line["timestamp"][:10]


LONG = "x" * 101


@pytest.mark.parametrize(
    ("model_id", "raw_body", "fragment"),
    [
        (SONNET, "", "body is required"),
        (SONNET, "not json", "not valid JSON"),
        (SONNET, "[1, 2]", "JSON object"),
        (SONNET, '"text"', "JSON object"),
        (SONNET, "{}", "inputs"),
        (SONNET, '{"inputs": ""}', "inputs"),
        (SONNET, '{"inputs": "   "}', "inputs"),
        (SONNET, '{"inputs": 5}', "inputs"),
        (SONNET, json.dumps({"inputs": LONG}), "longer than 100"),
        (SONNET, '{"inputs": "hi", "extra": 1}', "extra"),
        (SONNET, '{"inputs": "hi", "parameters": []}', "parameters"),
        (SONNET, '{"inputs": "hi", "parameters": {"temperature": 1.5}}', "temperature"),
        (SONNET, '{"inputs": "hi", "parameters": {"temperature": -0.1}}', "temperature"),
        (SONNET, '{"inputs": "hi", "parameters": {"temperature": "hot"}}', "temperature"),
        (SONNET, '{"inputs": "hi", "parameters": {"topP": 2}}', "topP"),
        (SONNET, '{"inputs": "hi", "parameters": {"maxTokenCount": 0}}', "maxTokenCount"),
        (SONNET, '{"inputs": "hi", "parameters": {"maxTokenCount": 4097}}', "4096"),
        (SONNET, '{"inputs": "hi", "parameters": {"maxTokenCount": 10.5}}', "maxTokenCount"),
        (SONNET, '{"inputs": "hi", "parameters": {"stopSequences": "x"}}', "stopSequences"),
        (SONNET, '{"inputs": "hi", "parameters": {"seed": 1}}', "seed"),
        (None, '{"inputs": "hi"}', "model_id"),
        ("acme.unknown-v1", '{"inputs": "hi"}', "unknown model_id"),
        ("anthropic.claude-3-sonnet", '{"inputs": "hi"}', "unknown model_id"),
        ("bad model id!", '{"inputs": "hi"}', "malformed"),
        ("amazon.nova-pro-v1:0", '{"inputs": "hi"}', "not enabled"),
    ],
)
def test_bad_requests_get_400_naming_the_problem(invoke, model_id, raw_body, fragment):
    s = invoke(MAX_INPUT_CHARS="100", ENABLED_MODELS=f"{SONNET},anthropic.claude-3-haiku-20240307-v1:0")
    response, payload = s["call"](model_id=model_id, raw_body=raw_body)
    assert response["statusCode"] == 400, payload
    assert fragment in payload["message"]
    assert "Traceback" not in response["body"]
    assert usage_lines(s["logs"]) == []


def test_unknown_route_and_method_get_json_404(invoke):
    s = invoke()
    module = s["module"]
    for path, method in (("/nope", "POST"), ("/invoke_model", "GET")):
        event = rest_event(path, body={}, claims=claims_for("tenant-1"), method=method, request_id="req-404")
        response = module.lambda_handler(event, LambdaContext())
        payload = json.loads(response["body"])
        assert response["statusCode"] == 404
        assert payload["request_id"] == "req-404" and payload["message"]


def test_missing_identity_is_401(invoke):
    s = invoke()
    event = rest_event("/invoke_model", body={"inputs": "hi"}, claims=None, query={"model_id": SONNET})
    response = s["module"].lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 401
    assert usage_lines(s["logs"]) == []


def test_prompt_and_token_are_not_logged_by_default(invoke):
    s = invoke()
    s["stubber"].add_response("converse", converse_response())
    s["call"](headers={"Auth": "eyJhbGciOi.secret-token-marker.sig"})
    s["stubber"].add_client_error("converse", service_error_code="ValidationException", http_status_code=400)
    s["call"]()
    text = s["logs"].getvalue()
    assert "secret-prompt-marker-4711" not in text
    assert "secret-token-marker" not in text


def test_prompt_is_logged_when_log_prompts_is_true(invoke):
    s = invoke(LOG_PROMPTS="true")
    s["stubber"].add_response("converse", converse_response())
    s["call"]()
    assert "secret-prompt-marker-4711" in s["logs"].getvalue()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_INPUT_CHARS", "lots"),
        ("LOG_PROMPTS", "maybe"),
        ("ENABLED_MODELS", "acme.x"),
        ("PRICE_OVERRIDES", "{"),
    ],
)
def test_bad_settings_fail_the_cold_start_naming_the_variable(monkeypatch, name, value):
    from token_profiler.errors import ConfigError

    monkeypatch.setenv("USAGE_SIGNING_SECRET", "test/usage-signing-key")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_handler("invoke_model")


def test_one_bedrock_client_per_container(monkeypatch):
    from token_profiler.bedrock import get_client

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    first = get_client("http://127.0.0.1:9", "us-east-1", 3.0, 20.0)
    assert get_client("http://127.0.0.1:9", "us-east-1", 3.0, 20.0) is first
    assert first.meta.endpoint_url == "http://127.0.0.1:9"
    config = first.meta.config
    # a call ends (connect + read) well inside the 28 s Lambda timeout, without hidden retries
    assert config.connect_timeout + config.read_timeout < 28
    assert config.retries["total_max_attempts"] == 1


def test_answers_and_errors_carry_cors_headers(invoke):
    s = invoke(CORS_ORIGIN="https://console.example")
    response, _ = s["call"](raw_body="", headers={"Origin": "https://console.example"})
    headers = {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
    assert response["statusCode"] == 400
    assert headers["Access-Control-Allow-Origin"] in ("https://console.example", ["https://console.example"])
    response, _ = s["call"](raw_body="", headers={"Origin": "https://evil.example"})
    headers = {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
    assert "Access-Control-Allow-Origin" not in headers


def test_without_an_api_gateway_request_id_the_lambda_request_id_is_used(invoke):
    s = invoke()
    s["stubber"].add_response("converse", converse_response())
    query = {"model_id": SONNET}
    event = rest_event("/invoke_model", body={"inputs": "hi"}, claims=claims_for("t"), query=query)
    del event["requestContext"]["requestId"]
    context = LambdaContext(aws_request_id="lambda-req-1")
    assert s["module"].lambda_handler(event, context)["statusCode"] == 200
    assert usage_lines(s["logs"])[0]["token_usage"]["request_id"] == "lambda-req-1"


# -- metrics in embedded metric format (issue 13, operations) --------------------------------------


def emf_records(text: str) -> list[dict]:
    """The EMF documents powertools Metrics printed: {dimension and metric names: values}."""
    found = []
    for raw in text.splitlines():
        if raw.startswith("{") and '"_aws"' in raw:
            record = json.loads(raw)
            (directive,) = record["_aws"]["CloudWatchMetrics"]
            record["_namespace"], record["_dimensions"] = directive["Namespace"], directive["Dimensions"][0]
            for metric in directive["Metrics"]:  # powertools writes each value as a list of one
                value = record[metric["Name"]]
                record[metric["Name"]] = value[0] if isinstance(value, list) and len(value) == 1 else value
            found.append(record)
    return found


def test_a_call_emits_calls_tokens_and_cost_per_model(invoke, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "BedrockTokenProfiler/test")
    s = invoke()
    s["stubber"].add_response("converse", converse_response(i=10, o=282))
    capsys.readouterr()
    response, _ = s["call"]()
    assert response["statusCode"] == 200
    (record,) = emf_records(capsys.readouterr().out)
    assert record["_namespace"] == "BedrockTokenProfiler/test"
    assert sorted(record["_dimensions"]) == ["model_id", "service"] and record["model_id"] == SONNET
    # 10 x 0.003 / 1000 + 282 x 0.015 / 1000 = 0.00426
    assert (record["Calls"], record["InputTokens"], record["OutputTokens"]) == (1, 10, 282)
    assert record["CostUSD"] == pytest.approx(0.00426)
    assert "tenant_id" not in record  # per-tenant dimensions stay off unless METRICS_PER_TENANT


def test_per_tenant_metrics_are_a_second_record(invoke, capsys):
    s = invoke(METRICS_PER_TENANT="true")
    s["stubber"].add_response("converse", converse_response(i=7, o=3))
    capsys.readouterr()
    s["call"]()
    by_model, by_tenant = sorted(emf_records(capsys.readouterr().out), key=lambda r: len(r["_dimensions"]))
    assert "tenant_id" not in by_model["_dimensions"]
    assert sorted(by_tenant["_dimensions"]) == ["model_id", "service", "tenant_id"]
    assert (by_tenant["tenant_id"], by_tenant["InputTokens"], by_tenant["OutputTokens"]) == ("tenant-1", 7, 3)


def test_a_throttled_call_is_counted_for_the_alarm(invoke, capsys):
    s = invoke()
    s["stubber"].add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    capsys.readouterr()
    assert s["call"]()[0]["statusCode"] == 429
    (record,) = emf_records(capsys.readouterr().out)
    assert record["BedrockThrottles"] == 1 and record["_dimensions"] == ["service"]


def test_the_signing_key_is_read_once_per_cold_start(invoke, moto_server_url):
    # Given a cold start whose Secrets Manager client counts GetSecretValue calls
    from token_profiler.clients import aws_client

    reads = []
    counting = aws_client("secretsmanager")  # cached: the one the handler's cold start uses
    counting.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **kwargs: reads.append(1)
    )
    s = invoke()
    # When three calls are served by that container
    for n in range(3):
        s["stubber"].add_response("converse", converse_response())
        response, _ = s["call"](request_id=f"req-{n}")
        assert response["statusCode"] == 200
    # Then the key was read once, at the cold start, and every line is signed with it
    assert len(reads) == 1
    assert [line["token_usage"]["sig"]["kid"] for line in usage_lines(s["logs"])] == ["test-2"] * 3
    # and the key bytes appear in no log line
    assert "dGVzdCBrZXkg" not in s["logs"].getvalue() and "test key two" not in s["logs"].getvalue()


# -- price tiers, cache durations, profiles and lifecycle (figures per 1,000 tokens, by hand from
# the pricing page: Claude Sonnet 4.5 in-Region 0.0033 / 0.0165, cache read 0.00033, 5-minute
# write 0.004125, 1-hour write 0.0066, long context 2x input and caches, 1.5x output)
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_one_hour_cache_writes_are_read_from_cache_details_and_priced_at_their_rate(invoke):
    s = invoke()
    answer = converse_response(i=100, o=10, cr=1000, cw=3000)
    answer["usage"]["cacheDetails"] = [{"ttl": "5m", "inputTokens": 2000}, {"ttl": "1h", "inputTokens": 1000}]
    s["stubber"].add_response("converse", answer)
    response, payload = s["call"](model_id="us." + SONNET_45)
    assert response["statusCode"] == 200
    want = (100 * Fraction("0.0033") + 10 * Fraction("0.0165") + 1000 * Fraction("0.00033")) / 1000
    want += (2000 * Fraction("0.004125") + 1000 * Fraction("0.0066")) / 1000
    assert Fraction(payload[0]["usage"]["cost"]) == want
    (line,) = usage_lines(s["logs"])
    usage = line["token_usage"]
    assert (usage["cache_write_input_tokens"], usage["cache_write_1h_input_tokens"]) == (3000, 1000)
    assert "tier" not in usage


def test_a_prompt_above_the_threshold_is_billed_at_the_long_context_rates(invoke):
    s = invoke()
    s["stubber"].add_response("converse", converse_response(i=150_000, o=1000, cr=50_001, cw=0))
    response, payload = s["call"](model_id="global." + SONNET_45)
    # global: input 0.003, output 0.015, cache read 0.0003; long context 2x / 1.5x / 2x
    want = (150_000 * Fraction("0.006") + 1000 * Fraction("0.0225") + 50_001 * Fraction("0.0006")) / 1000
    assert Fraction(payload[0]["usage"]["cost"]) == want
    (line,) = usage_lines(s["logs"])
    assert line["token_usage"]["tier"] == "long_context"


def test_a_prompt_at_the_threshold_is_standard(invoke):
    s = invoke()
    s["stubber"].add_response("converse", converse_response(i=150_000, o=1000, cr=50_000, cw=0))
    response, payload = s["call"](model_id="global." + SONNET_45)
    want = (150_000 * Fraction("0.003") + 1000 * Fraction("0.015") + 50_000 * Fraction("0.0003")) / 1000
    assert Fraction(payload[0]["usage"]["cost"]) == want
    (line,) = usage_lines(s["logs"])
    assert "tier" not in line["token_usage"]


@pytest.mark.parametrize(
    ("tier", "rate_in", "rate_out"),
    [("flex", "0.000075", "0.0003"), ("priority", "0.0002625", "0.00105"), ("default", "0.00015", "0.0006")],
)
def test_the_service_tier_bedrock_reports_is_billed(invoke, tier, rate_in, rate_out):
    s = invoke()
    answer = converse_response(i=4000, o=2000)
    answer["serviceTier"] = {"type": tier}
    s["stubber"].add_response("converse", answer)
    response, payload = s["call"](model_id="openai.gpt-oss-120b-1:0")
    assert (
        Fraction(payload[0]["usage"]["cost"]) == (4000 * Fraction(rate_in) + 2000 * Fraction(rate_out)) / 1000
    )
    (line,) = usage_lines(s["logs"])
    assert line["token_usage"].get("tier", "default") == tier


@pytest.mark.parametrize(
    ("model_id", "profile"),
    [
        ("anthropic.claude-3-7-sonnet-20250219-v1:0", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("anthropic.claude-sonnet-4-20250514-v1:0", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
        (SONNET_45, "us." + SONNET_45),
        ("meta.llama3-2-1b-instruct-v1:0", "us.meta.llama3-2-1b-instruct-v1:0"),
    ],
)
def test_a_bare_id_served_only_through_a_profile_gets_400_naming_the_profile(invoke, model_id, profile):
    s = invoke()
    response, payload = s["call"](model_id=model_id)
    assert response["statusCode"] == 400
    assert f"use model_id={profile}" in payload["message"]
    assert usage_lines(s["logs"]) == []
    s["stubber"].assert_no_pending_responses()  # Bedrock was not called


def test_bedrocks_profile_answer_for_a_model_the_catalog_does_not_mark_is_a_400(invoke):
    s = invoke()
    message = (
        "Invocation of model ID anthropic.claude-3-haiku-20240307-v1:0 with on-demand throughput isn't "
        "supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    )
    s["stubber"].add_client_error(
        "converse", service_error_code="ValidationException", service_message=message, http_status_code=400
    )
    response, payload = s["call"](model_id="anthropic.claude-3-haiku-20240307-v1:0")
    assert response["statusCode"] == 400 and "on-demand throughput" in payload["message"]


@pytest.mark.parametrize(
    "message",
    [
        "This model version has reached the end of its life. "
        "Please refer to the AWS documentation for more details.",
        "Access denied. This Model is marked by provider as Legacy and you have not been actively using "
        "the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock",
    ],
)
def test_an_end_of_life_answer_is_a_400_naming_the_successor(invoke, message):
    s = invoke()
    s["stubber"].add_client_error(
        "converse",
        service_error_code="ResourceNotFoundException",
        service_message=message,
        http_status_code=404,
    )
    response, payload = s["call"]()
    assert response["statusCode"] == 400
    assert payload["message"].startswith(
        f"{SONNET} has reached its end of life on Bedrock; use {SONNET_45} instead"
    )
    assert usage_lines(s["logs"]) == []


def test_the_seed_model_still_works_while_bedrock_serves_it(invoke):
    # the catalog says Claude 3 Sonnet is past its end of life; Bedrock is the judge
    s = invoke()
    s["stubber"].add_response("converse", converse_response())
    response, payload = s["call"](model_id=SONNET)
    assert response["statusCode"] == 200 and payload[0]["usage"]["cost"] == "0.00426"


@pytest.mark.parametrize(
    ("model_id", "unit"),
    [
        ("amazon.nova-canvas-v1:0", "image"),
        ("amazon.nova-reel-v1:1", "video-second"),
        ("cohere.rerank-v3-5:0", "query"),
    ],
)
def test_a_model_billed_in_another_unit_is_refused(invoke, model_id, unit):
    s = invoke()
    response, payload = s["call"](model_id=model_id)
    assert response["statusCode"] == 400
    assert payload["message"].startswith(f"{model_id} is billed per {unit}, not per token")
    s["stubber"].assert_no_pending_responses()


def test_a_region_without_a_price_answers_cost_0_and_says_so(invoke):
    s = invoke(BEDROCK_REGION="eu-central-1")
    s["stubber"].add_response("converse", converse_response())
    response, payload = s["call"](model_id="anthropic.claude-3-haiku-20240307-v1:0")
    assert response["statusCode"] == 200
    assert payload[0]["usage"]["cost"] == "0" and payload[0]["usage"]["price_missing"] is True
    (line,) = usage_lines(s["logs"])
    assert line["token_usage"]["region"] == "eu-central-1"
