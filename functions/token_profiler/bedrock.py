"""Calls to bedrock-runtime: Converse for text models, InvokeModel for embedding models.

One client per container (``get_client``). Timeouts are set so a call ends well inside the API
function's 28 s Lambda timeout (itself under API Gateway's 29 s), and botocore does not retry:
a throttled caller gets 429 with Retry-After instead of a hidden retry loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from token_profiler.errors import (
    BadRequest,
    BedrockFailed,
    BedrockReadTimeout,
    BedrockThrottled,
    BedrockTimeout,
    ModelAccessDenied,
    ModelRetired,
    ProfileRequired,
)
from token_profiler.prices import Model
from token_profiler.usage import Usage

RETRY_AFTER_SECONDS = 1
_THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
    "ModelNotReadyException",
}
_BAD_REQUEST = {"ValidationException", "ResourceNotFoundException"}
_TIMEOUT = {"ModelTimeoutException"}
_ACCESS_DENIED = {"AccessDeniedException"}
DEPLOY_GUIDE = "docs/deploy.md#model-access"


def access_denied_step(model_id: str, detail: str) -> str:
    """The 403 message: which model, and what the operator must do. Bedrock's own text is not
    repeated (it names the account and the role), only classified."""
    text = detail.lower()
    if "marketplace" in text or "subscri" in text:
        step = (
            "an operator must subscribe the account to it (Bedrock console, Model access: request "
            "access, which starts the AWS Marketplace subscription)"
        )
    elif "not authorized to perform" in text or "explicit deny" in text:
        step = (
            "this deployment's role may not invoke it: an operator must add it to ENABLED_MODELS "
            "and run make deploy again"
        )
    else:
        step = "an operator must enable access to it in the Bedrock console (Model access) for this Region"
    return (
        f"model {model_id} is not available to this deployment's AWS account yet: {step}; see {DEPLOY_GUIDE}"
    )


# "This model version has reached the end of its life. ..." (ResourceNotFoundException, sometimes
# ValidationException) and "Access denied. This Model is marked by provider as Legacy and you have
# not been actively using the model in the last 30 days. ..."
_RETIRED = re.compile(r"end of (its )?life|end-of-life|marked by provider as legacy", re.IGNORECASE)
# "Invocation of model ID ... with on-demand throughput isn't supported. Retry your request with
# the ID or ARN of an inference profile that contains this model."
_PROFILE_ONLY = re.compile(r"on-demand throughput is(n't| not) supported|inference profile", re.IGNORECASE)
# Converse's serviceTier.type -> the catalog's tier ("default" and "reserved" bill as standard)
_SERVICE_TIERS = {"flex": "flex", "priority": "priority"}


@cache
def get_client(
    endpoint_url: str | None, region: str, connect_timeout: float = 3.0, read_timeout: float = 20.0
):
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},
        tcp_keepalive=True,
    )
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=endpoint_url, config=config)


def client_args(settings: Any) -> tuple[str | None, str, float, float]:
    """``get_client``'s arguments from the settings: endpoint, region, connect and read timeouts."""
    return (
        settings.bedrock_url,
        settings.bedrock_region,
        settings.bedrock_connect_timeout,
        settings.bedrock_read_timeout,
    )


@dataclass(frozen=True)
class Result:
    text: str | None
    embedding: list | None
    usage: Usage


def _call(fn, **kwargs: Any) -> dict[str, Any]:
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        HTTPClientError,
        ReadTimeoutError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    try:
        return fn(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        detail = error.get("Message") or code or "error"
        if code in _THROTTLED or status == 429:
            raise BedrockThrottled(
                f"Bedrock is throttling this model: {detail}", RETRY_AFTER_SECONDS
            ) from None
        if code in _TIMEOUT or status in (408, 504):
            raise BedrockTimeout(f"the model did not answer in time: {detail}") from None
        # a legacy model the account has not used lately answers AccessDeniedException: retired, not a 403
        if (code in _BAD_REQUEST or code in _ACCESS_DENIED) and _RETIRED.search(detail):
            raise ModelRetired(f"Bedrock no longer serves this model: {detail}") from None
        if code in _BAD_REQUEST and _PROFILE_ONLY.search(detail):
            raise ProfileRequired(f"Bedrock rejected the request: {detail}") from None
        if code in _BAD_REQUEST:
            raise BadRequest(f"Bedrock rejected the request: {detail}") from None
        if code in _ACCESS_DENIED or status == 403:
            raise ModelAccessDenied(access_denied_step(kwargs.get("modelId", "?"), detail)) from None
        # model errors and 5xx are the provider's failure, not the caller's
        raise BedrockFailed(f"Bedrock failed: {detail}") from None
    except ReadTimeoutError:
        raise BedrockReadTimeout("the model did not answer in time") from None
    except (ConnectTimeoutError, BotoConnectionError, HTTPClientError):
        raise BedrockFailed("could not reach Bedrock") from None


def _int(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def converse(client: Any, model_id: str, inputs: str, inference: dict[str, Any]) -> Result:
    kwargs: dict[str, Any] = {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": inputs}]}],
    }
    if inference:
        kwargs["inferenceConfig"] = inference
    response = _call(client.converse, **kwargs)
    try:
        blocks = response["output"]["message"]["content"]
        text = "".join(block.get("text", "") for block in blocks if isinstance(block, dict))
        usage = response["usage"]
    except (KeyError, TypeError):
        raise BedrockFailed("Bedrock answered without a message or usage") from None
    return Result(text=text, embedding=None, usage=converse_usage(usage, response.get("serviceTier")))


def converse_usage(usage: Any, service_tier: Any = None) -> Usage:
    """Converse's ``usage`` (with ``cacheDetails``: the cache writes by TTL, "5m" or "1h") and
    ``serviceTier`` as the usage line's counts. Cache writes are the larger of
    ``cacheWriteInputTokens`` and the details' sum, so the 1-hour share never exceeds the total."""
    if not isinstance(usage, dict):
        usage = {}
    one_hour = 0
    detailed = 0
    details = usage.get("cacheDetails")
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict):
                tokens = _int(detail.get("inputTokens"))
                detailed += tokens
                if detail.get("ttl") == "1h":
                    one_hour += tokens
    tier = service_tier.get("type") if isinstance(service_tier, dict) else None
    return Usage(
        input_tokens=_int(usage.get("inputTokens")),
        output_tokens=_int(usage.get("outputTokens")),
        cache_read_input_tokens=_int(usage.get("cacheReadInputTokens", 0)),
        cache_write_input_tokens=max(_int(usage.get("cacheWriteInputTokens", 0)), detailed),
        cache_write_1h_input_tokens=one_hour,
        service_tier=_SERVICE_TIERS.get(tier, "standard") if isinstance(tier, str) else "standard",
    )


def embedding_body(api: str, inputs: str) -> dict[str, Any]:
    if api == "cohere-embed":
        return {"texts": [inputs], "input_type": "search_document"}
    return {"inputText": inputs}


def embed(client: Any, model: Model, model_id: str, inputs: str) -> Result:
    response = _call(
        client.invoke_model,
        modelId=model_id,
        body=json.dumps(embedding_body(model.api, inputs)).encode("utf-8"),
        contentType="application/json",
        accept="application/json",
    )
    try:
        payload = json.loads(response["body"].read())
    except (KeyError, ValueError, AttributeError):
        raise BedrockFailed("Bedrock answered with an unreadable body") from None
    if model.api == "cohere-embed":
        vectors = payload.get("embeddings") if isinstance(payload, dict) else None
        if isinstance(vectors, dict):  # embedding_types requested: {"float": [[...]]}
            vectors = vectors.get("float")
        embedding = vectors[0] if isinstance(vectors, list) and vectors else None
    else:
        embedding = payload.get("embedding") if isinstance(payload, dict) else None
    if not isinstance(embedding, list):
        raise BedrockFailed("Bedrock answered without an embedding")
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    header_count = headers.get("x-amzn-bedrock-input-token-count")
    if header_count is not None and str(header_count).isdigit():
        input_tokens = int(header_count)
    else:
        input_tokens = _int(payload.get("inputTextTokenCount"))
    return Result(text=None, embedding=embedding, usage=Usage(input_tokens=input_tokens))
