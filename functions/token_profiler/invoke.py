"""invoke_model: validate the request, call Bedrock, price the call, build the usage record."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from token_profiler import bedrock, money
from token_profiler.errors import BadRequest, BedrockReadTimeout, ModelRetired, ProfileRequired, echo_names
from token_profiler.prices import Catalog, Model, today
from token_profiler.settings import Settings
from token_profiler.signing import Keyring, sign
from token_profiler.usage import Usage, tier_of, usage_record

PARAMETERS = ("maxTokenCount", "temperature", "topP", "stopSequences")
MAX_STOP_SEQUENCES = 4
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{2,255}$")
# The output cap never goes below this (unless the model's own maximum is lower).
MIN_OUTPUT_CAP = 256
# Characters per token for an input Bedrock did not count: low, so the estimate errs high.
CHARS_PER_TOKEN_ESTIMATE = 3


def output_cap(model: Model, settings: Settings) -> int:
    """The most output tokens a call may ask for: what the model generates before the Bedrock read
    timeout at its speed (catalog ``output_tokens_per_second``, else OUTPUT_TOKENS_PER_SECOND),
    clamped to [MIN_OUTPUT_CAP, the model's max_tokens]. A longer generation would run on, billed,
    after the function gave up."""
    limit = model.max_tokens or 8192
    rate = model.output_tokens_per_second or settings.output_tokens_per_second
    fits = int(settings.bedrock_read_timeout * rate)
    return max(min(fits, limit), min(MIN_OUTPUT_CAP, limit))


def estimate_input_tokens(inputs: str) -> int:
    return math.ceil(len(inputs) / CHARS_PER_TOKEN_ESTIMATE)


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
    if model.billing != "tokens" or model.kind not in ("text", "embedding"):
        raise BadRequest(
            f"{model_id} is billed per {model.billing}, not per token: this API serves only token-billed "
            "text and embedding models"
        )
    profiles = catalog.profile_for(model_id, settings.bedrock_region)
    if profiles:
        raise BadRequest(_profile_message(model_id, settings.bedrock_region, profiles))
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"inputs", "parameters"})
    if unknown:
        raise BadRequest(f"unknown field(s): {echo_names(unknown)}")
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
        raise BadRequest(f"unknown parameter(s): {echo_names(unknown)}")
    inference: dict[str, Any] = {}
    max_tokens = params.get("maxTokenCount")
    if max_tokens is not None:
        if type(max_tokens) is not int:
            raise BadRequest("parameters.maxTokenCount must be an integer")
        limit = model.max_tokens or 8192
        if not 1 <= max_tokens <= limit:
            raise BadRequest(f"parameters.maxTokenCount must be between 1 and {limit} for {model_id}")
    # Always bound the generation by what fits the deadline: a larger maxTokenCount (the seed's
    # example asks 4096) is lowered to the cap, and without one the model's default is not used.
    cap = output_cap(model, settings)
    inference["maxTokens"] = min(max_tokens, cap) if max_tokens is not None else cap
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


def _profile_message(model_id: str, region: str, profiles: tuple[str, ...]) -> str:
    others = f" (or {', '.join(profiles[1:])})" if len(profiles) > 1 else ""
    return (
        f"{model_id} can only be called through an inference profile in {region}: "
        f"use model_id={profiles[0]}{others}"
    )


def _call_bedrock(request: Request, client: Any, settings: Settings, catalog: Catalog) -> bedrock.Result:
    """The Bedrock call, with its lifecycle and profile answers turned into 400s that say what to
    call instead (Bedrock stays the judge of what it still serves)."""
    try:
        if request.model.kind == "embedding":
            return bedrock.embed(client, request.model, request.model_id, request.inputs)
        return bedrock.converse(client, request.model_id, request.inputs, request.inference)
    except ModelRetired as exc:
        successor = request.model.lifecycle.successor
        hint = f"; use {successor} instead" if successor else ""
        raise BadRequest(
            f"{request.model_id} has reached its end of life on Bedrock{hint} ({exc.message})"
        ) from None
    except ProfileRequired as exc:
        region = settings.bedrock_region
        profiles = tuple(
            f"{geo}.{request.model.model_id}" for geo in request.model.profile_only.get(region, ())
        )
        if profiles and request.model_id == request.model.model_id:
            raise BadRequest(
                f"{_profile_message(request.model_id, region, profiles)} ({exc.message})"
            ) from None
        raise BadRequest(exc.message) from None


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
    log_usage: Callable[[dict[str, Any]], None] | None = None,
) -> Outcome:
    """Call the model; ``log_usage`` gets the usage record of the call, also when we gave up waiting
    (then marked ``timed_out`` with the bounds the call may be billed for) before the 504."""
    started = time.monotonic()
    try:
        result = _call_bedrock(request, client, settings, catalog)
    except BedrockReadTimeout as timeout:
        bound = Usage(
            input_tokens=estimate_input_tokens(request.inputs),
            output_tokens=request.inference.get("maxTokens", 0),
        )
        bound_tier = tier_of(bound, request.model.long_context_threshold)
        # what the timed-out line bills: a tenant plan settles to it instead of releasing the call
        timeout.billed_cost = catalog.costs(
            catalog.price_for(request.model_id, settings.bedrock_region, today()),
            bound.input_tokens,
            bound.output_tokens,
            0,
            0,
            0,
            bound_tier,
        ).total
        if log_usage is not None:
            bounded = usage_record(
                tenant_id=tenant_id,
                request_id=request_id,
                model_id=request.model_id,
                region=settings.bedrock_region,
                usage=bound,
                latency_ms=int((time.monotonic() - started) * 1000),
                timed_out=True,
                tier=bound_tier,
            )
            log_usage(sign(bounded, keyring))
        raise
    first: dict[str, Any] = (
        {"embedding": result.embedding}
        if request.model.kind == "embedding"
        else {"generated_text": result.text}
    )
    latency_ms = int((time.monotonic() - started) * 1000)
    usage: Usage = result.usage
    tier = tier_of(usage, request.model.long_context_threshold)
    # the price in force today in the Region the call ran in: the day's row uses the same one
    quote = catalog.price_for(request.model_id, settings.bedrock_region, today())
    costs = catalog.costs(
        quote,
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
        usage.cache_write_1h_input_tokens,
        tier,
    )
    first["usage"] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_write_input_tokens": usage.cache_write_input_tokens,
        "cost": money.money_str(costs.total),
    }
    if quote.missing or quote.unpriced or costs.missing:
        first["usage"]["price_missing"] = True  # cost covers only what the catalog prices here
    record = usage_record(
        tenant_id=tenant_id,
        request_id=request_id,
        model_id=request.model_id,
        region=settings.bedrock_region,
        usage=usage,
        latency_ms=latency_ms,
        tier=tier,
    )
    record = sign(record, keyring)
    if log_usage is not None:
        log_usage(record)
    return Outcome(body=[first], record=record)
