"""Bedrock answering instantly, in-process: botocore's HTTP send is replaced, nothing leaves the process.

Everything else in botocore still runs (parameter validation, serialisation, signing, response
parsing), so a handler pays for the client work it really does; only the network is gone. The
patch is process-wide, so it also answers clients created per request (the baseline's case).
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

import botocore.awsrequest
import botocore.httpsession

INPUT_TOKENS = 10
OUTPUT_TOKENS = 282
TEXT = "Bonjour! " * 20


class _Raw(io.BytesIO):
    """The raw body: read() for streaming outputs (InvokeModel), stream() for the rest."""

    def stream(self, *_args, **_kwargs):
        yield self.getvalue()


# The usage-line signing keyring invoke_model reads from Secrets Manager at cold start (bench only).
BENCH_KEYRING = json.dumps(
    {"current": "bench", "keys": {"bench": "YmVuY2gta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtISE="}}
)


def secret_answer() -> tuple[int, dict[str, str], bytes]:
    """Secrets Manager's GetSecretValue answer holding the bench keyring."""
    body = {"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench", "Name": "bench"}
    body["SecretString"] = BENCH_KEYRING
    return 200, {"content-type": "application/x-amz-json-1.1"}, json.dumps(body).encode()


def answer(url: str) -> tuple[int, dict[str, str], bytes]:
    """A canned bedrock-runtime answer for a Converse or InvokeModel request URL."""
    if urlparse(url).netloc.startswith("secretsmanager."):
        return secret_answer()
    path = unquote(urlparse(url).path)
    model_id = path.split("/model/", 1)[-1].rsplit("/", 1)[0]
    if path.endswith("/converse"):
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": TEXT}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": INPUT_TOKENS,
                "outputTokens": OUTPUT_TOKENS,
                "totalTokens": INPUT_TOKENS + OUTPUT_TOKENS,
            },
            "metrics": {"latencyMs": 1},
        }
        headers = {"content-type": "application/json"}
    elif "embed" in model_id:
        body = {"embedding": [0.0] * 8, "inputTextTokenCount": INPUT_TOKENS}
        headers = {"content-type": "application/json", "x-amzn-bedrock-input-token-count": str(INPUT_TOKENS)}
    else:  # InvokeModel with an Anthropic messages body
        body = {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": TEXT}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS},
        }
        headers = {
            "content-type": "application/json",
            "x-amzn-bedrock-input-token-count": str(INPUT_TOKENS),
            "x-amzn-bedrock-output-token-count": str(OUTPUT_TOKENS),
        }
    headers["x-amzn-requestid"] = "00000000-0000-4000-8000-000000000000"
    return 200, headers, json.dumps(body).encode()


def _send(self, request):  # noqa: ARG001 - same signature as URLLib3Session.send
    status, headers, body = answer(request.url)
    response = botocore.awsrequest.AWSResponse(request.url, status, headers, _Raw(body))
    response.content  # noqa: B018 - read the body now, as the real send does
    return response


@contextmanager
def instant_bedrock():
    """Within the block, every botocore HTTP request gets the canned answer at once."""
    original = botocore.httpsession.URLLib3Session.send
    botocore.httpsession.URLLib3Session.send = _send
    try:
        yield
    finally:
        botocore.httpsession.URLLib3Session.send = original
