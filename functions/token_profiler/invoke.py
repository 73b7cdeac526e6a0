"""invoke_model: validate the request, call Bedrock, price the call, build the usage record."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

from token_profiler import bedrock, money
from token_profiler.errors import BadRequest
from token_profiler.prices import Catalog, Model
from token_profiler.settings import Settings
from token_profiler.signing import Keyring, sign
from token_profiler.usage import Usage, usage_record

PARAMETERS = ("maxTokenCount", "temperature", "topP", "stopSequences")
MAX_STOP_SEQUENCES = 4
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{2,255}$")


@dataclass(frozen=True)
class Request:
    model_id: str
    model: Model
    inputs: str
    inference: dict[str, Any]


def _number(params: dict, name: str, low: float, high: float) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"parameters.{name} must be a number")
    if not low <= value <= high:
        raise BadRequest(f"parameters.{name} must be between {low:g} and {high:g}, got {value}")
    return value


def parse_request(model_id: Any, body: Any, settings: Settings, catalog: Catalog) -> Request:
    if not isinstance(model_id, str) or not model_id:
        raise BadRequest("model_id query parameter is required")
    if not _MODEL_ID.match(model_id):
        raise BadRequest("model_id is malformed")
    model = catalog.resolve(model_id)
    if model is None:
        raise BadRequest(f"unknown model_id: {model_id}")
    if settings.enabled_models and model_id not in settings.enabled_models:
        raise BadRequest(f"model_id is not enabled: {model_id}")
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"inputs", "parameters"})
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    inputs = body.get("inputs")
    if not isinstance(inputs, str):
        raise BadRequest("inputs must be a string")
    if not inputs.strip():
        raise BadRequest("inputs must not be empty")
    if len(inputs) > settings.max_input_chars:
        raise BadRequest(f"inputs is longer than {settings.max_input_chars} characters")
    params = body.get("parameters", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise BadRequest("parameters must be a JSON object")
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
    inference: dict[str, Any] = {}
    max_tokens = params.get("maxTokenCount")
    if max_tokens is not None:
        if type(max_tokens) is not int:
            raise BadRequest("parameters.maxTokenCount must be an integer")
        limit = model.max_tokens or 8192
        if not 1 <= max_tokens <= limit:
            raise BadRequest(f"parameters.maxTokenCount must be between 1 and {limit} for {model_id}")
        inference["maxTokens"] = max_tokens
    temperature = _number(params, "temperature", 0, 1)
    if temperature is not None:
        inference["temperature"] = temperature
    top_p = _number(params, "topP", 0, 1)
    if top_p is not None:
        inference["topP"] = top_p
    stops = params.get("stopSequences")
    if stops is not None:
        if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
            raise BadRequest("parameters.stopSequences must be a list of non-empty strings")
        if len(stops) > MAX_STOP_SEQUENCES:
            raise BadRequest(f"parameters.stopSequences holds at most {MAX_STOP_SEQUENCES} strings")
        if stops:
            inference["stopSequences"] = stops
    if model.kind == "embedding":
        inference = {}  # generation parameters do not apply to embeddings
    return Request(model_id=model_id, model=model, inputs=inputs, inference=inference)


@dataclass(frozen=True)
class Outcome:
    body: list[dict[str, Any]]
    record: dict[str, Any]  # the signed token_usage object for the usage line


def invoke(
    request: Request,
    *,
    client: Any,
    settings: Settings,
    catalog: Catalog,
    keyring: Keyring,
    tenant_id: str,
    request_id: str,
) -> Outcome:
    started = time.monotonic()
    if request.model.kind == "embedding":
        result = bedrock.embed(client, request.model, request.model_id, request.inputs)
        first: dict[str, Any] = {"embedding": result.embedding}
    else:
        result = bedrock.converse(client, request.model_id, request.inputs, request.inference)
        first = {"generated_text": result.text}
    latency_ms = int((time.monotonic() - started) * 1000)
    usage: Usage = result.usage
    quote = catalog.quote(request.model_id, settings.bedrock_region)
    costs = catalog.costs(
        quote,
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
    )
    first["usage"] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_write_input_tokens": usage.cache_write_input_tokens,
        "cost": money.money_str(costs.total),
    }
    record = usage_record(
        tenant_id=tenant_id,
        request_id=request_id,
        model_id=request.model_id,
        region=settings.bedrock_region,
        usage=usage,
        latency_ms=latency_ms,
    )
    return Outcome(body=[first], record=sign(record, keyring))
