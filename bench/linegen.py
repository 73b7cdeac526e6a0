"""Synthetic CloudWatch events carrying usage lines as invoke_model logs them today (the current
schema version, signed with the bench's keyring), plus the truth.

The generator is deterministic for a seed. Each event is shaped like a FilterLogEvents event
(`timestamp` in epoch ms, `message` the powertools JSON line, `eventId`, `logStreamName`). The
message carries the fields powertools' Logger adds inside Lambda (`location`, `cold_start`,
`function_*`, `xray_trace_id`, `correlation_id`) in its compact JSON, so a line is as long as a
real one (~840 bytes signed).

A small share of lines is noise the aggregator must skip (a repeated request id, malformed JSON,
a negative count, a different message), as a real log holds. Every usage line is signed as
invoke_model signs it (``token_profiler.signing.sign`` with ``bench_keyring()``), so an aggregation
verifies each line's HMAC as production does; ``signed=False`` writes the pre-signing lines.
`Truth` sums what should be counted, independently of the product's code, so a benchmark can
check the aggregated totals.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench.fake_bedrock import BENCH_KEYRING

CATALOG = Path(__file__).resolve().parent.parent / "functions" / "token_profiler" / "catalog.json"

# Ten text models as a tenant calls them: cross-region profile ids and bare ids mixed.
MODELS = (
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "us.amazon.nova-micro-v1:0",
    "us.amazon.nova-lite-v1:0",
    "amazon.nova-pro-v1:0",
    "us.meta.llama3-1-8b-instruct-v1:0",
    "meta.llama3-3-70b-instruct-v1:0",
    "mistral.mistral-large-2402-v1:0",
)
REGION = "us-east-1"
FUNCTION = "btp_invoke_model"
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
# Shares of noise lines; everything else is a valid usage line.
DUPLICATE_SHARE = 0.002
MALFORMED_SHARE = 0.001
INVALID_SHARE = 0.001
OTHER_SHARE = 0.001


@dataclass
class Truth:
    """What a correct aggregation of the generated day must report."""

    day: str
    lines: int = 0
    valid: int = 0
    skipped: int = 0
    duplicates: int = 0
    # (tenant, model as called) -> [input, output, cache_read, cache_write, invocations]
    sums: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, tenant: str, model: str, usage: dict[str, int]) -> None:
        row = self.sums.setdefault((tenant, model), [0, 0, 0, 0, 0])
        for i, name in enumerate(TOKEN_FIELDS):
            row[i] += usage[name]
        row[4] += 1
        self.valid += 1

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys((*TOKEN_FIELDS, "invocations"), 0)
        for row in self.sums.values():
            for i, name in enumerate((*TOKEN_FIELDS, "invocations")):
                out[name] += row[i]
        return out

    def total_cost(self, prices: dict[str, dict[str, Decimal]]) -> Decimal:
        """Exact cost of the day: per key, tokens / 1000 x price per 1,000, summed."""
        total = Decimal(0)
        for (_, model), row in self.sums.items():
            price = prices[model]
            for i, kind in enumerate(("input", "output", "cache_read", "cache_write")):
                if row[i]:
                    total += Decimal(row[i]) / 1000 * price.get(kind, Decimal(0))
        return total


def catalog_prices(models: tuple[str, ...] = MODELS, region: str = REGION) -> dict[str, dict[str, Decimal]]:
    """Price per 1,000 tokens of each model as called, read from the catalog by this file's own rule."""
    catalog = json.loads(CATALOG.read_text())
    out: dict[str, dict[str, Decimal]] = {}
    for called in models:
        base, geo = called, ""
        for prefix in catalog["profile_prefixes"]:
            if called.startswith(prefix):
                base, geo = called[len(prefix) :], prefix[:-1]
                break
        entry = catalog["models"][base]
        prices = entry.get("profile_prices", {}).get(geo, {}).get(region) or entry["prices"][region]
        out[called] = {
            k: Decimal(v) for k, v in prices.items() if k in ("input", "output", "cache_read", "cache_write")
        }
    return out


def bench_keyring():
    """The keyring the generated lines are signed with (the bench's, never a deployment's)."""
    from token_profiler.signing import parse_keyring

    return parse_keyring(BENCH_KEYRING)


def tenants(n: int) -> list[str]:
    return [f"tenant-{i:03d}" for i in range(1, n + 1)]


def _stamp(ms: int) -> str:
    # powertools' default format: "2026-11-26 13:45:12,345+0000"
    t = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{ms % 1000:03d}+0000"


def generate(
    n: int,
    *,
    day: str = "2026-11-26",
    n_tenants: int = 50,
    models: tuple[str, ...] = MODELS,
    seed: int = 7,
    truth: Truth | None = None,
    noise: bool = True,
    keyring=None,
    signed: bool = True,
) -> Iterator[dict]:
    """Yield `n` CloudWatch events of one UTC day, in time order; fill `truth` as it goes.

    Every token_usage object is signed as the invoke function signs it, with ``keyring``
    (token_profiler.signing.Keyring; default ``bench_keyring()``), unless ``signed`` is False."""
    from token_profiler import USAGE_SCHEMA_VERSION

    sign = None
    if signed:
        from token_profiler.signing import sign

        keyring = keyring or bench_keyring()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    start = int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)
    step = 86_400_000 / max(n, 1)
    tenant_ids = tenants(n_tenants)
    cacheable = {m for m, p in catalog_prices(models).items() if "cache_read" in p}
    streams = [f"2026/11/26/[$LATEST]{uuid.UUID(int=rng.getrandbits(128)).hex}" for _ in range(8)]
    recent: list[str] = []
    for i in range(n):
        ts = start + int(i * step)
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        lambda_request = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        tenant = tenant_ids[rng.randrange(n_tenants)]
        model = models[rng.randrange(len(models))]
        cached = model in cacheable and rng.random() < 0.3
        usage = {
            "input_tokens": rng.randint(5, 4000),
            "output_tokens": rng.randint(1, 2000),
            "cache_read_input_tokens": rng.randint(0, 3000) if cached else 0,
            "cache_write_input_tokens": rng.randint(0, 1000) if cached else 0,
        }
        kind = "valid"
        if noise:
            r = rng.random()
            if r < DUPLICATE_SHARE and recent:
                kind, request_id = "duplicate", recent[rng.randrange(len(recent))]
            elif r < DUPLICATE_SHARE + MALFORMED_SHARE:
                kind = "malformed"
            elif r < DUPLICATE_SHARE + MALFORMED_SHARE + INVALID_SHARE:
                kind, usage["output_tokens"] = "invalid", -1
            elif r < DUPLICATE_SHARE + MALFORMED_SHARE + INVALID_SHARE + OTHER_SHARE:
                kind = "other"
        record = {
            "level": "INFO",
            "location": "invoke:88",
            "message": "TOKEN_USAGE" if kind != "other" else "Bedrock call throttled, retrying: TOKEN_USAGE",
            "timestamp": _stamp(ts),
            "service": "invoke_model",
            "cold_start": i == 0,
            "function_name": FUNCTION,
            "function_memory_size": "256",
            "function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}",
            "function_request_id": lambda_request,
            "correlation_id": request_id,
            "token_usage": {
                "schema_version": USAGE_SCHEMA_VERSION,
                "tenant_id": tenant,
                "request_id": request_id,
                "model_id": model,
                "region": REGION,
                **usage,
                "latency_ms": rng.randint(80, 6000),
                "day": _stamp(ts)[:10],  # schema 3: the call's UTC day, signed
            },
            "xray_trace_id": f"1-{ts // 1000:08x}-{rng.getrandbits(96):024x}",
        }
        if sign is not None:
            record["token_usage"] = sign(record["token_usage"], keyring)
        message = json.dumps(record, separators=(",", ":"), ensure_ascii=False)  # powertools' compact JSON
        if kind == "malformed":  # cut inside the token_usage object, as a truncated write would
            message = message[: message.index('"token_usage"') + 60]
        if truth is not None:
            truth.lines += 1
            if kind == "valid":
                truth.add(tenant, model, usage)
            else:
                truth.skipped += kind != "duplicate"
                truth.duplicates += kind == "duplicate"
        if kind == "valid":
            recent.append(request_id)
            if len(recent) > 1000:
                del recent[:500]
        yield {
            "logStreamName": streams[i % len(streams)],
            "timestamp": ts,
            "message": message,
            "ingestionTime": ts + 900,
            "eventId": f"{ts:020d}{i:016d}",
        }


def fast_messages(n: int, *, day: str = "2026-11-26", n_tenants: int = 50, seed: int = 7) -> Iterator[str]:
    """Valid usage-line messages of the same shape as `generate`'s, several times faster (string
    formatting instead of json.dumps): for the memory runs, where the generator itself runs under
    tracemalloc. Unsigned (read as a day before SIGNED_LINES_FROM), no noise and no truth."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    start = int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)
    step = 86_400_000 / max(n, 1)
    tenant_ids = tenants(n_tenants)
    head = (
        '{"level":"INFO","location":"invoke:88","message":"TOKEN_USAGE","timestamp":"%s",'
        '"service":"invoke_model","cold_start":false,"function_name":"' + FUNCTION + '",'
        '"function_memory_size":"256","function_arn":"arn:aws:lambda:'
        + REGION
        + ":123456789012:function:"
        + FUNCTION
        + '","function_request_id":"%s","correlation_id":"%s",'
    )
    usage = (
        '"token_usage":{"schema_version":2,"tenant_id":"%s","request_id":"%s","model_id":"%s",'
        '"region":"' + REGION + '","input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":0,'
        '"cache_write_input_tokens":0,"latency_ms":%d},"xray_trace_id":"1-%08x-%024x"}'
    )
    template = head + usage
    bits = rng.getrandbits

    def uuid4_text() -> str:
        h = f"{bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    for i in range(n):
        ts = start + int(i * step)
        ms_of_day = ts - start
        stamp = (
            f"{day} {ms_of_day // 3_600_000:02d}:{ms_of_day // 60_000 % 60:02d}:"
            f"{ms_of_day // 1000 % 60:02d},{ms_of_day % 1000:03d}+0000"
        )
        request_id = uuid4_text()
        yield template % (
            stamp,
            uuid4_text(),
            request_id,
            tenant_ids[rng.randrange(n_tenants)],
            request_id,
            MODELS[rng.randrange(len(MODELS))],
            rng.randint(5, 4000),
            rng.randint(1, 2000),
            rng.randint(80, 6000),
            ts // 1000,
            rng.getrandbits(96),
        )
