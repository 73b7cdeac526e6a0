"""The bedrock-runtime emulator: shapes, the token rule, errors and fault injection."""

from __future__ import annotations

import json
import math
import threading
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.bedrock_emulator import generate_text, make_server, tokens

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def emulator_url():
    server = make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(emulator_url):
    yield boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    _post(emulator_url, "/_emulator/faults", None, method="DELETE")


def _post(url, path, payload, method="POST"):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url + path, data=data, method=method)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def _converse(client, model_id, text, **config):
    return client.converse(
        modelId=model_id, messages=[{"role": "user", "content": [{"text": text}]}], inferenceConfig=config
    )


def test_token_rule_is_ceil_of_quarter_length():
    assert tokens("") == 0
    assert tokens("abcd") == 1
    assert tokens("abcde") == 2
    assert tokens("What is Amazon.com?") == math.ceil(19 / 4)


def test_converse_is_deterministic_and_counts_by_the_rule(client):
    first = _converse(client, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "What is Amazon.com?")
    second = _converse(client, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "What is Amazon.com?")
    text = first["output"]["message"]["content"][0]["text"]
    assert text == second["output"]["message"]["content"][0]["text"]
    assert first["usage"]["inputTokens"] == 5
    assert first["usage"]["outputTokens"] == tokens(text)
    assert first["usage"]["totalTokens"] == 5 + tokens(text)
    assert "Amazon" not in text  # the prompt is never echoed


def test_max_tokens_is_honoured(client):
    response = _converse(client, "amazon.nova-micro-v1:0", "Tell me a long story please", maxTokens=3)
    assert response["usage"]["outputTokens"] <= 3
    assert response["stopReason"] == "max_tokens"


def test_stop_sequence_cuts_the_answer():
    full, _ = generate_text("m", ["x"], 100, [])
    word = full.split()[2]
    text, reason = generate_text("m", ["x"], 100, [word])
    assert reason == "stop_sequence" and word not in text


def test_cache_point_counts_write_then_read(client):
    messages = [
        {
            "role": "user",
            "content": [
                {"text": "a long shared context " * 10},
                {"cachePoint": {"type": "default"}},
                {"text": "question"},
            ],
        }
    ]
    model = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    first = client.converse(modelId=model, messages=messages)["usage"]
    second = client.converse(modelId=model, messages=messages)["usage"]
    assert first["cacheWriteInputTokens"] == tokens("a long shared context " * 10)
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert first["inputTokens"] == second["inputTokens"] == tokens("question")


@pytest.mark.parametrize(
    ("model_id", "body", "check"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "hello"}],
            },
            lambda b: b["usage"]["input_tokens"] == 2 and b["content"][0]["type"] == "text",
        ),
        (
            "amazon.titan-text-express-v1",
            {"inputText": "hello", "textGenerationConfig": {"maxTokenCount": 4}},
            lambda b: b["inputTextTokenCount"] == 2 and b["results"][0]["tokenCount"] <= 4,
        ),
        (
            "amazon.nova-lite-v1:0",
            {"messages": [{"role": "user", "content": [{"text": "hello"}]}]},
            lambda b: b["usage"]["inputTokens"] == 2 and b["output"]["message"]["content"][0]["text"],
        ),
        (
            "meta.llama3-8b-instruct-v1:0",
            {"prompt": "hello", "max_gen_len": 5},
            lambda b: b["prompt_token_count"] == 2 and b["generation_token_count"] <= 5,
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hello", "max_tokens": 5},
            lambda b: b["outputs"][0]["stop_reason"] in {"stop", "length"},
        ),
        ("cohere.command-r-v1:0", {"message": "hello"}, lambda b: b["finish_reason"] == "COMPLETE"),
        (
            "amazon.titan-embed-text-v1",
            {"inputText": "hello"},
            lambda b: len(b["embedding"]) == 1536 and b["inputTextTokenCount"] == 2,
        ),
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "hello", "dimensions": 256},
            lambda b: len(b["embedding"]) == 256 and b["inputTextTokenCount"] == 2,
        ),
        (
            "cohere.embed-english-v3",
            {"texts": ["hello", "world"], "input_type": "search_document"},
            lambda b: len(b["embeddings"]) == 2 and len(b["embeddings"][0]) == 1024,
        ),
    ],
)
def test_invoke_model_shapes(client, model_id, body, check):
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    payload = json.loads(response["body"].read())
    assert check(payload)
    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"]) >= 2


@pytest.mark.parametrize(
    ("model_id", "config"),
    [
        ("no.such-model-v1", {}),
        ("amazon.nova-micro-v1:0", {"temperature": 1.5}),
        ("amazon.nova-micro-v1:0", {"topP": 0.5, "maxTokens": 20000}),
        ("meta.llama3-8b-instruct-v1:0", {"maxTokens": 4096}),
        ("amazon.titan-embed-text-v1", {}),
    ],
)
def test_bad_requests_get_validation_exception(client, model_id, config):
    with pytest.raises(ClientError) as error:
        _converse(client, model_id, "hello", **config)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ({"kind": "throttle"}, "ThrottlingException", 429),
        ({"kind": "error", "status": 500}, "InternalServerException", 500),
        ({"kind": "error", "status": 503}, "ServiceUnavailableException", 503),
        ({"kind": "access_denied"}, "AccessDeniedException", 403),
        ({"kind": "access_denied", "reason": "marketplace"}, "AccessDeniedException", 403),
    ],
)
def test_fault_injection(client, emulator_url, fault, code, status):
    _post(emulator_url, "/_emulator/faults", {**fault, "model_id": "amazon.nova-micro-v1:0"})
    with pytest.raises(ClientError) as error:
        _converse(client, "amazon.nova-micro-v1:0", "hello")
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    # Another model is unaffected: the fault was scoped.
    assert _converse(client, "amazon.nova-lite-v1:0", "hello")["usage"]["inputTokens"] == 2


def test_fault_count_and_latency(client, emulator_url):
    _post(emulator_url, "/_emulator/faults", {"kind": "throttle", "count": 1})
    with pytest.raises(ClientError):
        _converse(client, "amazon.nova-micro-v1:0", "hello")
    assert _converse(client, "amazon.nova-micro-v1:0", "hello")["usage"]["inputTokens"] == 2
    _post(emulator_url, "/_emulator/faults", {"kind": "latency", "latency_ms": 300, "count": 1})
    import time

    started = time.monotonic()
    _converse(client, "amazon.nova-micro-v1:0", "hello")
    assert time.monotonic() - started >= 0.3
    stats = _post(emulator_url, "/_emulator/stats", None, method="GET")
    assert stats["faults"] >= 2


@pytest.mark.parametrize(("reason", "step"), [("marketplace", "subscribe"), ("model_access", "Model access")])
def test_access_denied_reaches_the_api_as_a_403_naming_the_step(client, emulator_url, reason, step):
    """The emulator's 403 goes through the function's own Bedrock mapping (what a tenant sees)."""
    from token_profiler import bedrock
    from token_profiler.errors import ModelAccessDenied

    model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    _post(emulator_url, "/_emulator/faults", {"kind": "access_denied", "reason": reason, "model_id": model})
    with pytest.raises(ModelAccessDenied) as denied:
        bedrock.converse(client, model, "hello", {})
    assert denied.value.status == 403
    assert model in denied.value.message and step in denied.value.message
