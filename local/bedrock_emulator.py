"""A bedrock-runtime emulator on loopback: Converse and InvokeModel with deterministic answers.

Token rule (documented in docs/local-stack.md):

* ``tokens(text) = ceil(len(text) / 4)`` counted in Unicode code points (empty text: 0).
* Input tokens are the sum of ``tokens`` over every text the request carries (system prompts,
  every message's text blocks, the prompt, or each text to embed).
* The answer is a deterministic string of words picked from a fixed vocabulary, seeded by
  SHA-256 of (model id, input texts). Its natural length is ``16 + (seed mod 48)`` tokens; it is cut
  to ``4 × maxTokens`` characters when maxTokens is smaller (stop reason ``max_tokens``), and
  before the first stop sequence it contains. Output tokens = ``tokens(answer)`` <= maxTokens.
* Converse cache points: the text before a ``cachePoint`` block is counted as cache write the first
  time the emulator sees it (per model) and as cache read afterwards, not as input.

Fault injection: ``POST /_emulator/faults`` with ``{"kind": "throttle"|"error"|"latency"|
"access_denied", "status": 500, "latency_ms": 1000, "count": 3, "model_id": "...", "reason":
"model_access"|"marketplace"|"iam"}`` (``count`` and ``model_id`` optional: every call, every
model; ``reason`` only for access_denied: the 403 AccessDeniedException Bedrock answers a model
the account has no access to, no Marketplace subscription for, or a role may not invoke);
``DELETE /_emulator/faults`` clears them;
``GET /_emulator/stats`` counts the calls answered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.settings import CATALOG, HOST

PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.")
VOCABULARY = (
    "token",
    "usage",
    "per",
    "tenant",
    "model",
    "cost",
    "aggregate",
    "daily",
    "report",
    "bedrock",
    "runtime",
    "answer",
    "deterministic",
    "emulator",
    "local",
    "stack",
    "invocation",
    "price",
    "table",
    "input",
    "output",
    "cache",
    "read",
    "write",
    "request",
    "latency",
    "region",
    "profile",
    "embedding",
    "vector",
    "text",
    "stream",
    "metric",
    "count",
    "sum",
    "total",
    "exact",
)
EMBEDDING_DIMENSIONS = {"titan-embed-v1": 1536, "titan-embed-v2": 1024, "cohere-embed": 1024}
COHERE_INPUT_TYPES = {"search_document", "search_query", "classification", "clustering", "image"}


# Bedrock's 403 texts, by cause (what an account without model access gets).
ACCESS_DENIED_MESSAGES = {
    "model_access": "You don't have access to the model with the specified model ID.",
    "marketplace": (
        "Model access is denied due to IAM user or service role is not authorized to perform the "
        "required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) "
        "to enable access to this model."
    ),
    "iam": (
        "User: arn:aws:sts::123456789012:assumed-role/emulated/emulated is not authorized to perform: "
        "bedrock:InvokeModel on resource: the requested model because no identity-based policy allows "
        "the bedrock:InvokeModel action"
    ),
}


class BedrockError(Exception):
    """An error in bedrock-runtime's own shape: status, x-amzn-errortype and {"message"}."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def validation(message: str) -> BedrockError:
    return BedrockError(400, "ValidationException", message)


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def load_models(path=CATALOG) -> dict[str, dict[str, Any]]:
    """Model id → {kind, api, max_tokens} from the project's catalog (Bedrock knows every model)."""
    with open(path, encoding="utf-8") as fh:
        catalog = json.load(fh)
    return {
        model_id: {"kind": spec["kind"], "api": spec.get("api"), "max_tokens": spec.get("max_tokens")}
        for model_id, spec in catalog["models"].items()
    }


def base_model_id(model_id: str) -> str:
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id


def generate_text(model_id: str, texts: list[str], max_tokens: int, stop: list[str]) -> tuple[str, str]:
    """The deterministic answer and its stop reason (end_turn, max_tokens or stop_sequence)."""
    seed = hashlib.sha256("\x1f".join([model_id, *texts]).encode()).digest()
    natural = 16 + int.from_bytes(seed[:4], "big") % 48
    rng = random.Random(seed)  # noqa: S311 - deterministic filler text, not security
    words: list[str] = []
    while len(" ".join(words)) < natural * 4:
        words.append(rng.choice(VOCABULARY))
    text = " ".join(words)[: natural * 4].rstrip() + "."
    text = text[: natural * 4]
    reason = "end_turn"
    for sequence in stop:
        if sequence and sequence in text:
            text = text[: text.index(sequence)]
            reason = "stop_sequence"
    if tokens(text) > max_tokens:
        text = text[: max_tokens * 4]
        reason = "max_tokens"
    return text, reason


def embedding_vector(text: str, dimensions: int, normalize: bool) -> list[float]:
    rng = random.Random(hashlib.sha256(text.encode()).digest())  # noqa: S311 - deterministic values
    values = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
    if normalize:
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        values = [v / norm for v in values]
    return [round(v, 6) for v in values]


def _number(value: Any, name: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise validation(f"{name}: expected a number")
    if not low <= value <= high:
        raise validation(f"{name}: {value} is not in [{low}, {high}]")
    return float(value)


def _max_tokens(value: Any, name: str, model_max: int) -> int:
    if value is None:
        return model_max
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(f"{name}: expected an integer")
    if not 1 <= value <= model_max:
        raise validation(f"{name}: {value} is not in [1, {model_max}] for this model")
    return value


def _stops(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise validation(f"{name}: expected a list of strings")
    return value


def _text_of(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise validation(f"{name}: expected a non-empty string")
    return value


class Emulator:
    """State shared by the request handlers: models, faults, cache, counters."""

    def __init__(self, models: dict[str, dict[str, Any]] | None = None):
        self.models = models if models is not None else load_models()
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []
        self.cache_seen: set[str] = set()
        self.stats: dict[str, Any] = {"calls": 0, "faults": 0, "errors": 0, "by_model": {}}

    # -- faults -----------------------------------------------------------------------------------
    def set_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in {"throttle", "error", "latency", "access_denied"}:
            raise validation("kind must be throttle, error, latency or access_denied")
        reason = spec.get("reason", "model_access")
        if kind == "access_denied" and reason not in ACCESS_DENIED_MESSAGES:
            raise validation("reason must be " + ", ".join(ACCESS_DENIED_MESSAGES))
        fault = {
            "kind": kind,
            "status": int(spec.get("status", 500)),
            "latency_ms": int(spec.get("latency_ms", 0)),
            "count": spec.get("count"),
            "model_id": spec.get("model_id"),
            "reason": reason,
        }
        if fault["kind"] == "error" and fault["status"] not in {500, 503}:
            raise validation("status must be 500 or 503")
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take_fault(self, model_id: str) -> dict[str, Any] | None:
        with self.lock:
            for fault in self.faults:
                if fault["model_id"] not in (None, model_id):
                    continue
                if fault["count"] is not None:
                    if fault["count"] <= 0:
                        continue
                    fault["count"] -= 1
                self.stats["faults"] += 1
                return dict(fault)
        return None

    def apply_fault(self, model_id: str) -> None:
        fault = self._take_fault(model_id)
        if fault is None:
            return
        if fault["kind"] == "latency":
            time.sleep(fault["latency_ms"] / 1000)
        elif fault["kind"] == "access_denied":
            raise BedrockError(403, "AccessDeniedException", ACCESS_DENIED_MESSAGES[fault["reason"]])
        elif fault["kind"] == "throttle":
            raise BedrockError(
                429, "ThrottlingException", "Too many requests, please wait before trying again."
            )
        elif fault["status"] == 503:
            raise BedrockError(
                503, "ServiceUnavailableException", "Bedrock is unable to process your request."
            )
        else:
            raise BedrockError(500, "InternalServerException", "The server encountered an internal error.")

    def _count(self, model_id: str, input_tokens: int, output_tokens: int) -> None:
        with self.lock:
            self.stats["calls"] += 1
            entry = self.stats["by_model"].setdefault(
                model_id, {"calls": 0, "input_tokens": 0, "output_tokens": 0}
            )
            entry["calls"] += 1
            entry["input_tokens"] += input_tokens
            entry["output_tokens"] += output_tokens

    # -- model lookup -----------------------------------------------------------------------------
    def model(self, model_id: str) -> dict[str, Any]:
        spec = self.models.get(base_model_id(model_id))
        if spec is None:
            raise validation("The provided model identifier is invalid.")
        return spec

    # -- Converse ---------------------------------------------------------------------------------
    def converse(self, model_id: str, body: Any) -> dict[str, Any]:
        spec = self.model(model_id)
        if spec["kind"] != "text":
            raise validation("This model doesn't support the Converse operation.")
        if not isinstance(body, dict):
            raise validation("Malformed input request: expected a JSON object")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise validation("messages: expected a non-empty list")
        config = body.get("inferenceConfig") or {}
        if not isinstance(config, dict):
            raise validation("inferenceConfig: expected an object")
        max_tokens = _max_tokens(config.get("maxTokens"), "inferenceConfig.maxTokens", spec["max_tokens"])
        _number(config.get("temperature"), "inferenceConfig.temperature", 0, 1)
        _number(config.get("topP"), "inferenceConfig.topP", 0, 1)
        stop = _stops(config.get("stopSequences"), "inferenceConfig.stopSequences")

        texts: list[str] = []
        input_tokens = cache_read = cache_write = 0
        pending: list[str] = []

        def blocks(items: Any, where: str) -> None:
            nonlocal input_tokens, cache_read, cache_write
            if not isinstance(items, list):
                raise validation(f"{where}: expected a list of content blocks")
            for block in items:
                if not isinstance(block, dict):
                    raise validation(f"{where}: expected content blocks")
                if "text" in block:
                    text = _text_of(block["text"], f"{where}.text")
                    texts.append(text)
                    pending.append(text)
                elif "cachePoint" in block:
                    cached = sum(tokens(t) for t in pending)
                    key = hashlib.sha256((model_id + "\x1f".join(texts)).encode()).hexdigest()
                    with self.lock:
                        seen = key in self.cache_seen
                        self.cache_seen.add(key)
                    if seen:
                        cache_read += cached
                    else:
                        cache_write += cached
                    pending.clear()
                else:
                    raise validation(f"{where}: the emulator answers text and cachePoint blocks only")

        blocks(body.get("system") or [], "system")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in {"user", "assistant"}:
                raise validation(f"messages[{index}]: expected a role of user or assistant")
            blocks(message.get("content"), f"messages[{index}].content")
        if messages[-1]["role"] != "user":
            raise validation("A conversation must end with a user message.")
        input_tokens = sum(tokens(t) for t in pending)

        started = time.monotonic()
        text, reason = generate_text(model_id, texts, max_tokens, stop)
        output_tokens = tokens(text)
        self._count(model_id, input_tokens + cache_read + cache_write, output_tokens)
        usage = {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens + cache_read + cache_write,
        }
        if cache_read or cache_write:
            usage["cacheReadInputTokens"] = cache_read
            usage["cacheWriteInputTokens"] = cache_write
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": reason,
            "usage": usage,
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
        }

    # -- InvokeModel ------------------------------------------------------------------------------
    def invoke(self, model_id: str, body: Any) -> tuple[dict[str, Any], int, int]:
        """Returns (response body, input tokens, output tokens) in the model provider's shape."""
        spec = self.model(model_id)
        if not isinstance(body, dict):
            raise validation("Malformed input request: expected a JSON object")
        base = base_model_id(model_id)
        if spec["kind"] == "embedding":
            result = self._embed(base, spec, body)
        elif base.startswith("anthropic."):
            result = self._anthropic(model_id, spec, body)
        elif base.startswith("amazon.titan-text"):
            result = self._titan_text(model_id, spec, body)
        elif base.startswith("amazon.nova"):
            result = self._nova(model_id, spec, body)
        elif base.startswith("meta."):
            result = self._prompt_model(model_id, spec, body, "max_gen_len", "llama")
        elif base.startswith("mistral."):
            result = self._prompt_model(model_id, spec, body, "max_tokens", "mistral")
        elif base.startswith("cohere.command"):
            result = self._cohere_chat(model_id, spec, body)
        else:
            raise validation("The provided model identifier is invalid.")
        self._count(model_id, result[1], result[2])
        return result

    def _embed(self, base: str, spec: dict[str, Any], body: dict[str, Any]):
        api = spec["api"]
        if api == "cohere-embed":
            texts = body.get("texts")
            if not isinstance(texts, list) or not 1 <= len(texts) <= 96:
                raise validation("texts: expected a list of 1 to 96 strings")
            for i, text in enumerate(texts):
                _text_of(text, f"texts[{i}]")
            if body.get("input_type") not in COHERE_INPUT_TYPES:
                raise validation("input_type: expected one of " + ", ".join(sorted(COHERE_INPUT_TYPES)))
            vectors = [embedding_vector(t, 1024, False) for t in texts]
            count = sum(tokens(t) for t in texts)
            return (
                {
                    "embeddings": vectors,
                    "id": str(uuid.uuid4()),
                    "response_type": "embeddings_floats",
                    "texts": texts,
                },
                count,
                0,
            )
        text = _text_of(body.get("inputText"), "inputText")
        count = tokens(text)
        if api == "titan-embed-v2":
            dimensions = body.get("dimensions", 1024)
            if dimensions not in (256, 512, 1024):
                raise validation("dimensions: expected 256, 512 or 1024")
            normalize = body.get("normalize", True)
            if not isinstance(normalize, bool):
                raise validation("normalize: expected a boolean")
            vector = embedding_vector(text, dimensions, normalize)
            return (
                {"embedding": vector, "embeddingsByType": {"float": vector}, "inputTextTokenCount": count},
                count,
                0,
            )
        vector = embedding_vector(text, EMBEDDING_DIMENSIONS[api], False)
        return {"embedding": vector, "inputTextTokenCount": count}, count, 0

    def _messages_texts(self, messages: Any, where: str) -> list[str]:
        if not isinstance(messages, list) or not messages:
            raise validation(f"{where}: expected a non-empty list")
        texts = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise validation(f"{where}[{index}]: expected an object")
            content = message.get("content")
            if isinstance(content, str):
                texts.append(_text_of(content, f"{where}[{index}].content"))
                continue
            if not isinstance(content, list):
                raise validation(f"{where}[{index}].content: expected text or a list of blocks")
            for block in content:
                if not isinstance(block, dict) or "text" not in block:
                    raise validation(f"{where}[{index}].content: expected text blocks")
                texts.append(_text_of(block["text"], f"{where}[{index}].content.text"))
        return texts

    def _anthropic(self, model_id, spec, body):
        if body.get("anthropic_version") != "bedrock-2023-05-31":
            raise validation("anthropic_version: expected bedrock-2023-05-31")
        if "max_tokens" not in body:
            raise validation("max_tokens: required")
        max_tokens = _max_tokens(body["max_tokens"], "max_tokens", spec["max_tokens"])
        _number(body.get("temperature"), "temperature", 0, 1)
        _number(body.get("top_p"), "top_p", 0, 1)
        stop = _stops(body.get("stop_sequences"), "stop_sequences")
        texts = self._messages_texts(body.get("messages"), "messages")
        system = body.get("system")
        if system is not None:
            texts.insert(0, _text_of(system, "system") if isinstance(system, str) else "")
        input_tokens = sum(tokens(t) for t in texts)
        text, reason = generate_text(model_id, texts, max_tokens, stop)
        out = tokens(text)
        return (
            {
                "id": "msg_bdrk_" + hashlib.sha256(text.encode()).hexdigest()[:24],
                "type": "message",
                "role": "assistant",
                "model": base_model_id(model_id),
                "content": [{"type": "text", "text": text}],
                "stop_reason": reason,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": out},
            },
            input_tokens,
            out,
        )

    def _titan_text(self, model_id, spec, body):
        text_in = _text_of(body.get("inputText"), "inputText")
        config = body.get("textGenerationConfig") or {}
        if not isinstance(config, dict):
            raise validation("textGenerationConfig: expected an object")
        max_tokens = _max_tokens(
            config.get("maxTokenCount"), "textGenerationConfig.maxTokenCount", spec["max_tokens"]
        )
        _number(config.get("temperature"), "textGenerationConfig.temperature", 0, 1)
        _number(config.get("topP"), "textGenerationConfig.topP", 0, 1)
        stop = _stops(config.get("stopSequences"), "textGenerationConfig.stopSequences")
        text, reason = generate_text(model_id, [text_in], max_tokens, stop)
        out = tokens(text)
        completion = {"end_turn": "FINISH", "max_tokens": "LENGTH", "stop_sequence": "STOP_CRITERIA_MET"}[
            reason
        ]
        return (
            {
                "inputTextTokenCount": tokens(text_in),
                "results": [{"tokenCount": out, "outputText": text, "completionReason": completion}],
            },
            tokens(text_in),
            out,
        )

    def _nova(self, model_id, spec, body):
        config = body.get("inferenceConfig") or {}
        if not isinstance(config, dict):
            raise validation("inferenceConfig: expected an object")
        max_tokens = _max_tokens(
            config.get("maxTokens", config.get("max_new_tokens")),
            "inferenceConfig.maxTokens",
            spec["max_tokens"],
        )
        _number(config.get("temperature"), "inferenceConfig.temperature", 0, 1)
        _number(config.get("topP", config.get("top_p")), "inferenceConfig.topP", 0, 1)
        stop = _stops(config.get("stopSequences"), "inferenceConfig.stopSequences")
        texts = []
        system = body.get("system") or []
        if not isinstance(system, list):
            raise validation("system: expected a list of text blocks")
        for block in system:
            texts.append(_text_of(block.get("text") if isinstance(block, dict) else None, "system.text"))
        texts += self._messages_texts(body.get("messages"), "messages")
        input_tokens = sum(tokens(t) for t in texts)
        text, reason = generate_text(model_id, texts, max_tokens, stop)
        out = tokens(text)
        return (
            {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": reason,
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": out,
                    "totalTokens": input_tokens + out,
                },
            },
            input_tokens,
            out,
        )

    def _prompt_model(self, model_id, spec, body, max_key, family):
        prompt = _text_of(body.get("prompt"), "prompt")
        max_tokens = _max_tokens(body.get(max_key), max_key, spec["max_tokens"])
        _number(body.get("temperature"), "temperature", 0, 1)
        _number(body.get("top_p"), "top_p", 0, 1)
        stop = _stops(body.get("stop"), "stop") if family == "mistral" else []
        text, reason = generate_text(model_id, [prompt], max_tokens, stop)
        out = tokens(text)
        finish = "length" if reason == "max_tokens" else "stop"
        if family == "llama":
            payload = {
                "generation": text,
                "prompt_token_count": tokens(prompt),
                "generation_token_count": out,
                "stop_reason": finish,
            }
        else:
            payload = {"outputs": [{"text": text, "stop_reason": finish}]}
        return payload, tokens(prompt), out

    def _cohere_chat(self, model_id, spec, body):
        message = _text_of(body.get("message"), "message")
        max_tokens = _max_tokens(body.get("max_tokens"), "max_tokens", spec["max_tokens"])
        _number(body.get("temperature"), "temperature", 0, 1)
        _number(body.get("p"), "p", 0, 1)
        stop = _stops(body.get("stop_sequences"), "stop_sequences")
        text, reason = generate_text(model_id, [message], max_tokens, stop)
        out = tokens(text)
        return (
            {
                "text": text,
                "generation_id": str(uuid.uuid4()),
                "finish_reason": "MAX_TOKENS" if reason == "max_tokens" else "COMPLETE",
                "chat_history": [{"role": "USER", "message": message}, {"role": "CHATBOT", "message": text}],
            },
            tokens(message),
            out,
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bedrock-runtime-emulator"
    emulator: Emulator

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: BedrockError) -> None:
        with self.emulator.lock:
            self.emulator.stats["errors"] += 1
        self._send(error.status, {"message": error.message}, {"x-amzn-ErrorType": f"{error.code}:"})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path == "/_emulator/stats":
            with self.emulator.lock:
                self._send(200, {**self.emulator.stats, "faults_active": self.emulator.faults})
        elif self.path == "/_emulator/health":
            self._send(200, {"status": "ok"})
        else:
            self._error(BedrockError(404, "UnknownOperationException", "Unknown operation"))

    def do_DELETE(self) -> None:  # noqa: N802
        if self.path == "/_emulator/faults":
            self.emulator.clear_faults()
            self._send(200, {"faults": []})
        else:
            self._error(BedrockError(404, "UnknownOperationException", "Unknown operation"))

    def do_POST(self) -> None:  # noqa: N802
        raw = self._body()
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == "/_emulator/faults":
                fault = self.emulator.set_fault(json.loads(raw or b"{}"))
                self._send(200, {"fault": fault})
                return
            parts = path.split("/")
            if len(parts) != 4 or parts[1] != "model":
                raise BedrockError(404, "UnknownOperationException", "Unknown operation")
            model_id = urllib.parse.unquote(parts[2])
            operation = parts[3]
            if operation not in {"converse", "invoke"}:
                raise validation(f"The emulator does not answer {operation}.")
            self.emulator.model(model_id)
            try:
                body = json.loads(raw) if raw else None
            except ValueError as exc:
                raise validation(
                    "Malformed input request, please reformat your input and try again."
                ) from exc
            self.emulator.apply_fault(model_id)
            if operation == "converse":
                self._send(200, self.emulator.converse(model_id, body))
            else:
                payload, input_tokens, output_tokens = self.emulator.invoke(model_id, body)
                self._send(
                    200,
                    payload,
                    {
                        "x-amzn-bedrock-input-token-count": str(input_tokens),
                        "x-amzn-bedrock-output-token-count": str(output_tokens),
                        "x-amzn-bedrock-invocation-latency": "1",
                    },
                )
        except BedrockError as error:
            self._error(error)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def make_server(port: int = 0, host: str = HOST, emulator: Emulator | None = None) -> EmulatorServer:
    """An emulator bound to host:port (0 picks a free port); call serve_forever() to run it."""
    handler = type("Handler", (_Handler,), {"emulator": emulator or Emulator()})
    return EmulatorServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = make_server(args.port)
    print(f"bedrock-runtime emulator on http://{HOST}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
