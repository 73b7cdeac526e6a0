"""`aggregation`: parse, aggregate and price one day of usage lines in memory.

Ours: token_profiler.aggregate (DayAggregate.add per CloudWatch message, then build_rows prices
the sums with the catalog). Lines are generated in chunks outside the timer and fed to one
aggregate, so the timer sees only our code and the input never sits in memory all at once.
Memory: tracemalloc peak while streaming N lines through the aggregate, at two sizes; the day's
request-id set is measured on its own, since it must grow with the lines (a request id counts
once per day).

Baselines, on a sample and extrapolated linearly (their cost is per row; the sample is run at two
sizes to show it): the reference's pandas row-wise apply, and LiteLLM's cost_per_token per line.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import time
import tracemalloc
from decimal import Decimal
from itertools import islice

from bench import harness
from bench.linegen import MODELS, Truth, bench_keyring, catalog_prices, fast_messages, generate
from bench.reference_figures import REFERENCE

DAY = "2026-11-26"
CHUNK = 100_000


def _ours():
    from token_profiler.aggregate import DayAggregate, build_rows
    from token_profiler.prices import Catalog

    catalog = Catalog(json.loads((harness.FUNCTIONS / "token_profiler" / "catalog.json").read_text()))
    return DayAggregate, build_rows, catalog


def check(agg, rows, truth: Truth) -> dict:
    """Compare our aggregate with the generator's independent truth; returns what differs."""
    got_sums: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        got_sums[(row["name"], row["model_id"])] = [
            row["input_tokens"],
            row["output_tokens"],
            row["cache_read_input_tokens"],
            row["cache_write_input_tokens"],
            row["invocations"],
        ]
    got_cost = sum((row["total_cost"] for row in rows), Decimal(0))
    want_cost = truth.total_cost(catalog_prices())
    problems = []
    if got_sums != truth.sums:
        problems.append("per (tenant, model) sums differ from the generator's")
    if got_cost != want_cost:
        problems.append(f"total cost {got_cost} != {want_cost}")
    if agg.duplicates != truth.duplicates:
        problems.append(f"duplicates {agg.duplicates} != {truth.duplicates}")
    if agg.lines_skipped != truth.skipped:
        problems.append(f"skipped {agg.lines_skipped} != {truth.skipped}")
    if agg.lines_rejected:
        problems.append(f"{agg.lines_rejected} signed lines rejected: {agg.rejected}")
    if any(row["unpriced"] for row in rows):
        problems.append("a row is unpriced")
    return {
        "correct": not problems,
        "problems": problems,
        "keys": len(rows),
        "invocations": sum(r[4] for r in got_sums.values()),
        "expected_invocations": truth.valid,
        "total_cost_usd": str(got_cost),
        "expected_total_cost_usd": str(want_cost),
        "duplicates": agg.duplicates,
        "skipped": agg.lines_skipped,
    }


def run_ours(n: int, *, seed: int = 7, signed: bool = True) -> dict:
    """Throughput of our code on n lines (chunked input, timer around our code only). ``signed``
    False: the pre-signing lines, read as a day before SIGNED_LINES_FROM (no HMAC to verify)."""
    DayAggregate, build_rows, catalog = _ours()
    truth = Truth(DAY)
    keyring = bench_keyring()
    # signed as invoke_model signs them: the timer includes verifying every line's HMAC
    lines = (
        e["message"] for e in generate(n, day=DAY, seed=seed, truth=truth, keyring=keyring, signed=signed)
    )
    agg = DayAggregate(DAY, keyring.keys, accept_unsigned=not signed)
    add = agg.add
    wall = cpu = 0.0
    while True:
        chunk = list(islice(lines, CHUNK))
        if not chunk:
            break
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        for message in chunk:
            add(message)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
    w0, c0 = time.perf_counter(), time.process_time()
    rows, _warnings = build_rows(agg, catalog, 400)
    price_wall = time.perf_counter() - w0
    wall += price_wall
    cpu += time.process_time() - c0
    return {
        "lines": n,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "lines_per_s": round(n / wall),
        "lines_per_cpu_s": round(n / cpu) if cpu else None,
        "pricing_s": round(price_wall, 4),
        "check": check(agg, rows, truth),
    }


def _traced_peak(consume) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def memory_ours(n: int, *, seed: int = 11) -> dict:
    """tracemalloc peak while n lines stream through one aggregate (input never held), and the
    peak of a control that streams the same lines into nothing but a set of their request ids
    (what the day's de-duplication must hold, set resizes included)."""
    DayAggregate, build_rows, catalog = _ours()
    result: dict = {}

    def ours() -> None:
        # fast_messages writes unsigned lines: the memory run aggregates them as a pre-signing day
        agg = DayAggregate(DAY, accept_unsigned=True)
        add = agg.add
        for message in fast_messages(n, day=DAY, seed=seed):
            add(message)
        rows, _ = build_rows(agg, catalog, 400)
        result["keys"] = len(rows)
        result["ids"] = len(agg.seen)

    def control() -> None:
        seen: set[str] = set()
        key = '"request_id":"'
        for message in fast_messages(n, day=DAY, seed=seed):
            start = message.find(key)
            if start > 0:
                seen.add(message[start + len(key) : start + len(key) + 36])
        result["control_ids"] = len(seen)

    peak = _traced_peak(ours)
    control_peak = _traced_peak(control)
    return {
        "lines": n,
        "peak_mib": round(peak / 2**20, 2),
        "request_id_set_mib": round(control_peak / 2**20, 2),
        "peak_without_id_set_mib": round((peak - control_peak) / 2**20, 2),
        "keys": result["keys"],
        "request_ids": result["ids"],
    }


def run_pandas(sizes: tuple[int, ...], target_lines: int, *, signed: bool = True) -> dict:
    from bench.baselines import pandas_aggregation

    # the reference's kind of price file (model -> Region -> rates), from our catalog's rates
    price_file = pandas_aggregation.write_price_file()
    samples = []
    for n in sizes:
        truth = Truth(DAY)
        events = list(generate(n, day=DAY, seed=3, truth=truth, signed=signed))
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        frame = pandas_aggregation.aggregate(events)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        invocations = int(frame["invocations"].sum())
        cost = pandas_aggregation.total_cost(frame)
        want = truth.total_cost(catalog_prices()).quantize(Decimal("0.000001"))
        samples.append(
            {
                "lines": n,
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "lines_per_s": round(n / wall),
                "invocations_ok": invocations == truth.valid,
                "cost_ok_to_1e-6": abs(cost - want) <= Decimal("0.000002"),
            }
        )
    # Linear fit through the samples: time = fixed + per_line * n, then project to target_lines.
    out = _extrapolate(samples, target_lines, "pandas row-wise apply (price file re-read per row) + groupby")
    out["price_file"] = price_file
    out["signed_lines"] = signed
    if signed:
        out["price_row"] = price_row_cost()
    return out


def price_row_cost(calls: int = 2_000) -> dict:
    """The baseline's per-row price function alone, and the price-file re-read inside it (µs per call),
    to set beside the reference's own 88 µs and 74 µs."""
    import pandas as pd

    from bench.baselines import pandas_aggregation

    usage = json.loads(next(generate(1, day=DAY, seed=9))["message"])["token_usage"]
    row = pd.Series(usage)
    t0 = time.perf_counter()
    for _ in range(calls):
        pandas_aggregation._price_row(row)
    per_row = (time.perf_counter() - t0) / calls
    t0 = time.perf_counter()
    for _ in range(calls):
        with open(pandas_aggregation.PRICE_FILE) as handle:
            json.load(handle)
    reread = (time.perf_counter() - t0) / calls
    # the same re-read of our effective-dated catalog, which the baseline does not read (for scale)
    t0 = time.perf_counter()
    for _ in range(calls // 10):
        with open(harness.FUNCTIONS / "token_profiler" / "catalog.json") as handle:
            json.load(handle)
    catalog = (time.perf_counter() - t0) / (calls // 10)
    return {
        "price_row_us": round(per_row * 1e6, 1),
        "reread_us": round(reread * 1e6, 1),
        "catalog_reread_us": round(catalog * 1e6, 1),
        "calls": calls,
    }


def _extrapolate(samples: list[dict], target_lines: int, what: str) -> dict:
    wall = _fit(samples, target_lines, "wall_s")
    cpu = _fit(samples, target_lines, "cpu_s")
    return {
        "what": what,
        "samples": samples,
        "extrapolated": True,
        "per_line_us": wall["per_line_us"],
        "fixed_s": wall["fixed_s"],
        "projected_lines": target_lines,
        "projected_wall_s": wall["projected_s"],
        "lines_per_s": wall["lines_per_s"],
        "projected_cpu_s": cpu["projected_s"],
        "lines_per_cpu_s": cpu["lines_per_s"],
    }


def _fit(samples: list[dict], target_lines: int, key: str) -> dict:
    """Linear fit time = fixed + per_line x n through the smallest and largest sample."""
    if len(samples) >= 2:
        (n1, t1), (n2, t2) = (
            (samples[0]["lines"], samples[0][key]),
            (samples[-1]["lines"], samples[-1][key]),
        )
        per_line = (t2 - t1) / (n2 - n1) if n2 != n1 else t2 / n2
        if per_line <= 0:  # noise swamped the fit: fall back to the largest sample's average
            per_line = t2 / n2
        fixed = max(t2 - per_line * n2, 0.0)
    else:
        per_line = samples[0][key] / samples[0]["lines"]
        fixed = 0.0
    projected = fixed + per_line * target_lines
    return {
        "per_line_us": round(per_line * 1e6, 2),
        "fixed_s": round(fixed, 3),
        "projected_s": round(projected, 1),
        "lines_per_s": round(target_lines / projected),
    }


def run_litellm(sizes: tuple[int, ...], target_lines: int) -> dict:
    from bench.baselines import litellm_baseline

    samples = []
    unpriced_models = set()
    for n in sizes:
        events = list(generate(n, day=DAY, seed=5))
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        sums, unpriced = litellm_baseline.aggregate(events)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        samples.append(
            {
                "lines": n,
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "lines_per_s": round(n / wall),
                "unpriced_lines": unpriced,
            }
        )
    for model in MODELS:
        try:
            litellm_baseline.litellm.cost_per_token(
                model=litellm_baseline.litellm_model(model), prompt_tokens=1, completion_tokens=1
            )
        except Exception:  # noqa: BLE001
            unpriced_models.add(model)
    out = _extrapolate(samples, target_lines, "json.loads + litellm.cost_per_token per line")
    out["models_litellm_cannot_price"] = sorted(unpriced_models)
    return out


def _times(ours: float | None, theirs: float | None) -> float | None:
    """How many times our rate is the baseline's (higher is better for rates)."""
    return round(ours / theirs, 1) if ours and theirs else None


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run(
    *,
    lines: int = 1_000_000,
    memory_sizes: tuple[int, int] = (250_000, 1_000_000),
    pandas_sizes: tuple[int, ...] = (10_000, 40_000),
    litellm_sizes: tuple[int, ...] = (10_000, 40_000),
    require_baselines: bool = True,
) -> dict:
    notes = [
        f"{lines:,} lines of one UTC day, 50 tenants x 10 models, powertools JSON lines of about 840 bytes "
        "in the current usage-line schema, each signed as invoke_model signs it (HMAC-SHA256); "
        "0.5% noise lines (repeated request ids, truncated JSON, negative counts, other messages); "
        "the baselines read the same signed lines",
        "ours: DayAggregate.add over every line (verifying its signature) plus build_rows (pricing), timed "
        "by the clock and by CPU "
        f"time; input generated in chunks of {CHUNK:,} outside the timers; one thread, so one core",
    ]
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    ours = run_ours(lines)
    phases["throughput"] = round(time.perf_counter() - t0, 1)
    # the same work without the signature (the reference verified nothing): pre-signing lines, read
    # as a day before SIGNED_LINES_FROM, against the pandas baseline on the same unsigned lines
    t0 = time.perf_counter()
    ours_unsigned = run_ours(lines, signed=False)
    phases["throughput_unsigned"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    memory = [memory_ours(n) for n in memory_sizes]
    phases["memory"] = round(time.perf_counter() - t0, 1)
    small, big = memory[0], memory[-1]
    growth = big["peak_without_id_set_mib"] - small["peak_without_id_set_mib"]
    baselines: dict = {}
    for name, runner, module, sizes in (
        ("pandas", run_pandas, "pandas", pandas_sizes),
        ("litellm", run_litellm, "litellm", litellm_sizes),
    ):
        if available(module):
            t0 = time.perf_counter()
            baselines[name] = runner(sizes, lines)
            phases[name] = round(time.perf_counter() - t0, 1)
        elif require_baselines:
            raise RuntimeError(f"{module} is not installed: run `make bench` (it builds .venv-bench)")
        else:
            baselines[name] = {"skipped": f"{module} not installed in this interpreter"}
    pandas, litellm = baselines["pandas"], baselines["litellm"]
    if "lines_per_s" in pandas:
        t0 = time.perf_counter()
        baselines["pandas_unsigned"] = run_pandas(pandas_sizes, lines, signed=False)
        phases["pandas_unsigned"] = round(time.perf_counter() - t0, 1)
    pandas_unsigned = baselines.get("pandas_unsigned") or {}
    cpu_vs_pandas_unsigned = _times(ours_unsigned["lines_per_cpu_s"], pandas_unsigned.get("lines_per_cpu_s"))
    # "on one core": lines per CPU-second of the one thread; wall-clock shown beside it, since the
    # shared cores make wall time depend on other people's load
    cpu_vs_pandas = _times(ours["lines_per_cpu_s"], pandas.get("lines_per_cpu_s"))
    wall_vs_pandas = _times(ours["lines_per_s"], pandas.get("lines_per_s"))
    cpu_vs_litellm = _times(ours["lines_per_cpu_s"], litellm.get("lines_per_cpu_s"))
    wall_vs_litellm = _times(ours["lines_per_s"], litellm.get("lines_per_s"))
    if "lines_per_s" in pandas:
        notes.append(
            f"pandas baseline run on {', '.join(f'{s:,}' for s in pandas_sizes)} lines and extrapolated "
            f"linearly to {lines:,} (fixed + per-line cost fitted through the two samples); "
            "not run at full size"
        )
        pf, micro = pandas["price_file"], pandas["price_row"]
        catalog_kb = (harness.FUNCTIONS / "token_profiler" / "catalog.json").stat().st_size / 1000
        notes.append(
            f"pandas baseline's price file: the reference's kind (model id -> Region -> per-1K rates, "
            f"exact-id lookup), written from our catalog's rates for the {pf['models']} models the bench "
            f"calls ({pf['prices']} model-Region prices, {pf['bytes']:,} bytes, {pf['path']}); re-read per "
            f"row in {micro['reread_us']} µs (the reference measured {REFERENCE['price_file_reread_us']} µs "
            f"for its own; our {catalog_kb:.0f} kB effective-dated catalog, which the baseline does not "
            f"read, takes {micro['catalog_reread_us']} µs)"
        )
    if "lines_per_s" in pandas_unsigned:
        notes.append(
            "unsigned rows (no HMAC on either side): the same generator's pre-signing lines, ours read as a "
            "day before SIGNED_LINES_FROM (accept_unsigned), the pandas baseline on the same unsigned "
            "lines; the reference verified nothing, so this is the like-for-like work, while the "
            "signed rows are what a deployment runs (the targets use the signed rows)"
        )
    if "lines_per_s" in litellm:
        notes.append(
            f"LiteLLM baseline run on {', '.join(f'{s:,}' for s in litellm_sizes)} lines and extrapolated "
            "the same way; models it could not price (counted at cost 0): "
            f"{', '.join(litellm['models_litellm_cannot_price']) or 'none'}"
        )
    notes.append(
        "lines/s (cpu): lines per CPU-second of the single thread, the 'one core' figure the targets "
        "use; lines/s (wall): the same run by the clock, which other load on the shared cores slows"
    )
    notes.append(
        f"memory: tracemalloc peak while {small['lines']:,} and {big['lines']:,} lines stream through "
        "one aggregate (valid lines of the same shape); the request-id set is the peak of a control "
        "that only collects the same ids; without it the peak moves by "
        f"{growth:+.2f} MiB while the id set grows from {small['request_id_set_mib']} to "
        f"{big['request_id_set_mib']} MiB"
    )

    def row(figure, mine, theirs, ratio):
        return {"figure": figure, "ours": mine, "baseline": theirs, "ratio": ratio}

    table = [
        row("lines/s (cpu) vs pandas", ours["lines_per_cpu_s"], pandas.get("lines_per_cpu_s"), cpu_vs_pandas),
        row("lines/s (wall) vs pandas", ours["lines_per_s"], pandas.get("lines_per_s"), wall_vs_pandas),
        row(
            "lines/s (cpu) vs LiteLLM",
            ours["lines_per_cpu_s"],
            litellm.get("lines_per_cpu_s"),
            cpu_vs_litellm,
        ),
        row("lines/s (wall) vs LiteLLM", ours["lines_per_s"], litellm.get("lines_per_s"), wall_vs_litellm),
        row(
            "lines/s (cpu) vs pandas, unsigned lines (no HMAC, like-for-like)",
            ours_unsigned["lines_per_cpu_s"],
            pandas_unsigned.get("lines_per_cpu_s"),
            cpu_vs_pandas_unsigned,
        ),
        row(f"correct totals ({lines:,} lines)", ours["check"]["correct"], None, None),
        row(f"correct totals, unsigned ({lines:,} lines)", ours_unsigned["check"]["correct"], None, None),
    ]
    for m in memory:
        table.append(row(f"peak MiB at {m['lines']:,} lines", m["peak_mib"], None, None))
        table.append(row("  request-id set MiB (control)", m["request_id_set_mib"], None, None))
        table.append(row("  peak without the id set MiB", m["peak_without_id_set_mib"], None, None))
    targets = [
        harness.target(
            "lines/s on one core (cpu) >= 200,000", ours["lines_per_cpu_s"], 200_000, at_most=False
        ),
        harness.target("x pandas baseline (cpu) >= 25", cpu_vs_pandas, 25, at_most=False),
        harness.target("peak MiB growth without id set <= 2", round(growth, 2), 2.0),
        harness.target(
            "aggregated totals equal the generated usage",
            1.0 if ours["check"]["correct"] and ours_unsigned["check"]["correct"] else 0.0,
            1.0,
            at_most=False,
        ),
    ]
    ratio = {
        "vs_pandas_cpu": cpu_vs_pandas,
        "vs_pandas_wall": wall_vs_pandas,
        "vs_pandas_cpu_unsigned": cpu_vs_pandas_unsigned,
        "vs_litellm_cpu": cpu_vs_litellm,
        "vs_litellm_wall": wall_vs_litellm,
    }
    return harness.metric(
        "aggregation",
        unit="lines/s",
        ours={"throughput": ours, "throughput_unsigned": ours_unsigned, "memory": memory},
        phase_seconds=phases,
        baseline=baselines,
        ratio=ratio,
        targets=targets,
        notes=notes,
        table=table,
    )
