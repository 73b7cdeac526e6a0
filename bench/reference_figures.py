"""What the reference's own code measured on this kind of machine (issue 6), to check that the
re-created baselines are faithful. Medians on 2 cores, noisy."""

from __future__ import annotations

REFERENCE = {
    "invoke_import_ms": 720,
    "cost_tracking_manual_import_ms": 565,
    "warm_p50_ms": 53,
    "warm_p95_ms": 324,
    "aggregation_rows_per_s": (7_500, 9_600),
    "price_row_us": 88,
    "price_file_reread_us": 74,
    "layers_mb": {"boto3 + awscli": 200, "langchain-community + powertools": 190, "pandas": 160},
}


def faithfulness(document: dict) -> list[str]:
    """One line per baseline: our re-creation's figure beside the reference's own."""
    ref = REFERENCE
    metrics = document["metrics"]
    lines: list[str] = []
    handler = metrics.get("handler_overhead") or {}
    base = (handler.get("baseline") or {}).get("per_request_client")
    if handler.get("status") == "ok" and base:
        lines.append(
            f"handler_overhead: per-request-client baseline p50 {base['p50_ms']:.1f} ms / p95 "
            f"{base['p95_ms']:.0f} ms; the reference measured about {ref['warm_p50_ms']} ms / "
            f"{ref['warm_p95_ms']} ms"
        )
    cold = metrics.get("cold_import") or {}
    if cold.get("status") == "ok":
        b = cold.get("baseline") or {}
        inv = (b.get("invoke_model") or {}).get("median_ms")
        man = (b.get("cost_tracking_manual") or {}).get("median_ms")
        if inv:
            lines.append(
                f"cold_import: reference-imports invoke module {inv:.0f} ms (the reference measured about "
                f"{ref['invoke_import_ms']} ms)"
            )
        if man:
            lines.append(
                f"cold_import: reference-imports cost-tracking module {man:.0f} ms (the reference "
                f"measured about {ref['cost_tracking_manual_import_ms']} ms)"
            )
    agg = metrics.get("aggregation") or {}
    pandas = (agg.get("baseline") or {}).get("pandas") or {}
    if agg.get("status") == "ok" and pandas.get("lines_per_s"):
        low, high = ref["aggregation_rows_per_s"]
        text = (
            f"aggregation: pandas baseline {pandas['lines_per_s']:,} rows/s (the reference measured "
            f"{low:,}–{high:,})"
        )
        micro = pandas.get("price_row")
        if micro:
            text += (
                f"; its per-row price function {micro['price_row_us']:.0f} µs, of which re-reading the "
                f"price file {micro['reread_us']:.0f} µs (reference: {ref['price_row_us']} µs and "
                f"{ref['price_file_reread_us']} µs)"
            )
        lines.append(text)
        mine = (agg.get("ours") or {}).get("throughput", {})
        wall, cpu = mine.get("lines_per_s"), mine.get("lines_per_cpu_s")
        if wall and cpu:
            lines.append(
                f"aggregation: against the reference's own measured {low:,}–{high:,} rows/s, our "
                f"{wall:,} lines/s (wall) is {wall / high:.0f}x–{wall / low:.0f}x and our {cpu:,} "
                f"lines/s (cpu) is {cpu / high:.0f}x–{cpu / low:.0f}x"
            )
    size = metrics.get("package_size") or {}
    if size.get("status") == "ok":
        for label, mb in ref["layers_mb"].items():
            got = (size.get("baseline") or {}).get(label) or {}
            if "installed_bytes" in got:
                lines.append(
                    f"package_size: reference layer '{label}' re-installed: "
                    f"{got['installed_bytes'] / 1e6:.0f} MB (the reference measured about {mb} MB)"
                )
    return lines
