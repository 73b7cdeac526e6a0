"""What a user would pick instead: LiteLLM. Needs litellm (.venv-bench).

- `completion(model="bedrock/...", mock_response=...)`: LiteLLM's own per-call overhead with the
  provider answering instantly (no network; LiteLLM's mock path).
- `cost_per_token(...)` called per usage line, after json.loads of the line, summed per
  (tenant, model): the LiteLLM way to price a day of usage.
"""

from __future__ import annotations

import json
import os

# Use the cost map shipped in the wheel; never fetch one.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm  # noqa: E402

PREFIXES = ("us.", "eu.", "apac.", "global.")


def completion_once(model_id: str, prompt: str = "Hello") -> object:
    return litellm.completion(
        model=f"bedrock/{model_id}",
        messages=[{"role": "user", "content": prompt}],
        mock_response="Bonjour! " * 20,
    )


def litellm_model(model_id: str) -> str:
    return f"bedrock/{model_id}"


def aggregate(events) -> tuple[dict[tuple[str, str], list[float]], int]:
    """Per-line json.loads + cost_per_token; returns sums per (tenant, model) and the unpriced count."""
    sums: dict[tuple[str, str], list[float]] = {}
    seen: set[str] = set()
    unpriced = 0
    for event in events:
        try:
            line = json.loads(event["message"])
        except ValueError:
            continue
        usage = line.get("token_usage")
        if line.get("message") != "TOKEN_USAGE" or not usage:
            continue
        if usage["input_tokens"] < 0 or usage["output_tokens"] < 0 or usage["request_id"] in seen:
            continue
        seen.add(usage["request_id"])
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=litellm_model(usage["model_id"]),
                prompt_tokens=usage["input_tokens"],
                completion_tokens=usage["output_tokens"],
                cache_read_input_tokens=usage["cache_read_input_tokens"],
                cache_creation_input_tokens=usage["cache_write_input_tokens"],
            )
        except Exception:  # noqa: BLE001 - a model LiteLLM does not price
            unpriced += 1
            prompt_cost = completion_cost = 0.0
        row = sums.setdefault((usage["tenant_id"], usage["model_id"]), [0, 0, 0.0])
        row[0] += usage["input_tokens"]
        row[1] += usage["output_tokens"]
        row[2] += prompt_cost + completion_cost
    return sums, unpriced
