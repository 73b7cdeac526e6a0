"""`package_size`: the size of each function zip and of the layer, as scripts/build.py makes them.

Ours: build/dist/<key>.zip and build/dist/layer.zip, built through scripts.build's Python API
(the same functions `make build` runs), zip size and unzipped size.
Baseline: the reference's three layers (boto3, langchain + powertools, pandas), measured as the
installed size of each package's dependency closure in this interpreter (.venv-bench): what pip
puts into a layer's python/ folder, before zipping.
"""

from __future__ import annotations

import importlib.metadata as md
import zipfile
from pathlib import Path

from bench import harness

MB = 1_000_000
REFERENCE_LAYERS = {
    "boto3 + awscli": ("boto3", "awscli"),
    "langchain-community + powertools": ("langchain-community", "aws-lambda-powertools"),
    "pandas": ("pandas",),
}


def build(dist: Path | None = None) -> dict[str, Path]:
    """Build every function zip and the layer with scripts.build (no configs.json needed)."""
    from scripts import build as builder

    dist = dist or harness.ROOT / "build" / "dist"
    built = {key: builder.build_function(key, harness.FUNCTIONS, dist) for key in builder.FUNCTIONS}
    built["layer"] = builder.build_layer(
        harness.FUNCTIONS,
        harness.ROOT / "requirements" / "runtime.txt",
        dist,
        harness.ROOT / "build" / "cache",
    )
    return built


def zip_sizes(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    return {
        "zip_bytes": path.stat().st_size,
        "unzipped_bytes": sum(i.file_size for i in infos),
        "files": len(infos),
    }


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def closure(roots: tuple[str, ...]) -> set[str]:
    """Distribution names installed for roots and their (non-extra) requirements, recursively."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [_normal(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen.add(name)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_normal(req.name))
    return seen


def installed_bytes(names: set[str]) -> int:
    total = 0
    for name in names:
        for file in md.distribution(name).files or []:
            path = Path(file.locate())
            if path.suffix != ".pyc" and path.is_file():
                total += path.stat().st_size
    return total


def run(*, do_build: bool = True, dist: Path | None = None, require_baselines: bool = True) -> dict:
    dist = dist or harness.ROOT / "build" / "dist"
    notes = []
    if do_build:
        try:
            paths = build(dist)
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the other metrics still run
            return harness.not_run("package_size", f"build failed: {exc}")
    else:
        paths = {p.stem: p for p in sorted(dist.glob("*.zip"))}
    if not paths:
        return harness.not_run("package_size", f"no zips in {dist}")
    ours = {name: zip_sizes(path) for name, path in paths.items()}
    baseline: dict = {}
    for label, roots in REFERENCE_LAYERS.items():
        names = closure(roots)
        if not names or _normal(roots[0]) not in names:
            if require_baselines:
                raise RuntimeError(f"{roots[0]} is not installed: run `make bench` (it builds .venv-bench)")
            baseline[label] = {"skipped": f"{roots[0]} not installed in this interpreter"}
            continue
        missing = [r for r in roots if _normal(r) not in names]
        baseline[label] = {"installed_bytes": installed_bytes(names), "distributions": len(names)}
        if missing:
            baseline[label]["not_installed"] = missing
            notes.append(f"reference layer '{label}' measured without {', '.join(missing)} (not installed)")
    measured = [b["installed_bytes"] for b in baseline.values() if "installed_bytes" in b]
    reference_total = sum(measured) if len(measured) == len(REFERENCE_LAYERS) else None
    layer = ours.get("layer")
    ratio = {"layers_unzipped": harness.ratio(reference_total, layer["unzipped_bytes"]) if layer else None}
    table = []
    targets = []
    for name, sizes in ours.items():
        if name == "layer":
            size_mb = round(sizes["zip_bytes"] / MB, 3)
            table.append({"figure": "layer.zip MB", "ours": size_mb, "baseline": None, "ratio": None})
            targets.append(harness.target("layer.zip MB <= 15", size_mb, 15.0))
        else:
            size_kb = round(sizes["zip_bytes"] / 1000, 2)
            table.append({"figure": f"{name}.zip kB", "ours": size_kb, "baseline": None, "ratio": None})
            targets.append(harness.target(f"{name}.zip kB <= 1,000", size_kb, 1000.0))
    if layer:
        table.append(
            {
                "figure": "layers unzipped MB (ours: 1; reference: 3)",
                "ours": round(layer["unzipped_bytes"] / MB, 1),
                "baseline": round(reference_total / MB, 1) if reference_total else None,
                "ratio": ratio["layers_unzipped"],
            }
        )
    for label, b in baseline.items():
        if "installed_bytes" in b:
            table.append(
                {
                    "figure": f"  reference layer: {label} MB",
                    "ours": None,
                    "baseline": round(b["installed_bytes"] / MB, 1),
                    "ratio": None,
                }
            )
    notes.append(
        "MB = 1,000,000 bytes, kB = 1,000 bytes; zips built by scripts/build.py "
        "(deterministic, deflate level 9)"
    )
    notes.append(
        "reference layers: installed size (no .pyc) of each dependency closure in .venv-bench (CPython "
        "x86_64 wheels); the reference's own figures were about 200 MB (boto3 + awscli), 190 MB and 160 MB"
    )
    return harness.metric(
        "package_size",
        unit="bytes",
        ours=ours,
        baseline=baseline,
        ratio=ratio,
        targets=targets,
        notes=notes,
        table=table,
    )
