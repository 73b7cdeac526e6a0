"""Build what Terraform deploys: deterministic zips, the web model list and the tfvars.

- ``build/dist/<key>.zip``: ``functions/<key>/`` (the handler, ``index.py`` at the root).
- ``build/dist/layer.zip``: ``python/token_profiler/`` plus requirements/runtime.txt installed for
  the Lambda platform (manylinux2014 x86_64 wheels, CPython 3.12). The pip result is cached under
  ``build/cache/`` by a hash of the requirements, so a rebuild does not reach the registry.
- ``build/web/models.json``: the catalog plus PRICE_OVERRIDES, filtered by ENABLED_MODELS, without
  models past their end of life, profile-only models by their profile id.
- ``build/deploy/<prefix>/terraform.tfvars.json``: rendered from configs.json (jinja2, undefined
  variables are errors).

Zips have sorted entries, a fixed timestamp and fixed permissions: unchanged code gives
byte-identical zips, so Terraform sees no change after a rebuild.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import jinja2

try:
    from scripts.config import ROOT, ConfigError, StackConfig, load_configs, select
except ModuleNotFoundError:  # run as a plain script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from scripts.config import ROOT, ConfigError, StackConfig, load_configs, select

FUNCTIONS = (
    "invoke_model",
    "cost_tracking",
    "cost_tracking_manual",
    "ddb_cost_retrieval",
    "tenant_plan",
    "tenant_status",
    "focus_export",
    "statements",
    "archive_verify",
    "tenants",
)
DOMAIN_PACKAGE = "token_profiler"
PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_x86_64"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "tests"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


class BuildError(RuntimeError):
    """Something the build needs is missing; the message says what."""


def _files(base: Path) -> list[Path]:
    """Files below base, sorted, without caches and bytecode."""
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            if path.suffix not in SKIP_SUFFIXES and not name.startswith("."):
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(base).as_posix())


def write_zip(target: Path, entries: list[tuple[str, Path]]) -> Path:
    """Write a zip whose bytes depend only on the entry names and file contents."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permission bits below are honoured
            mode = 0o755 if os.access(path, os.X_OK) and path.suffix in {"", ".sh"} else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    partial.replace(target)
    return target


def build_function(key: str, functions_dir: Path, dist_dir: Path) -> Path:
    source = functions_dir / key
    if not (source / "index.py").is_file():
        raise BuildError(f"{source}/index.py not found: function {key!r} has no handler")
    entries = [(path.relative_to(source).as_posix(), path) for path in _files(source)]
    return write_zip(dist_dir / f"{key}.zip", entries)


def _requirements_hash(requirements: Path) -> str:
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    # the tail names how the folder is post-processed: a change there must not reuse an old folder
    digest.update(f"{PLATFORM}|{PYTHON_VERSION}|only-binary|no-script-records".encode())
    return digest.hexdigest()[:16]


def drop_script_records(target: Path) -> None:
    """Remove the console scripts' lines from each package's RECORD.

    A RECORD lists ``../../bin/<script>`` with the hash of a file whose first line is the building
    interpreter's path, so the layer would differ from one machine or virtualenv to the next (and
    Terraform would replace it) although those scripts are deleted and never shipped."""
    for record in sorted(target.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("../../bin/")]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")


def install_dependencies(requirements: Path, cache_dir: Path) -> Path:
    """pip install the runtime requirements for the Lambda platform, once per requirements hash."""
    target = cache_dir / f"layer-deps-{_requirements_hash(requirements)}"
    if (target / ".complete").is_file():
        return target
    # Install beside the cache entry and rename it into place: a concurrent build (local stack,
    # tests) never sees a half-written folder.
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=cache_dir))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--upgrade",
        "--target",
        str(partial),
        "--platform",
        PLATFORM,
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise BuildError(f"pip could not install {requirements} for {PLATFORM}:\n{result.stderr.strip()}")
    # pip leaves a bin/ of console scripts with this machine's interpreter path: not for Lambda.
    shutil.rmtree(partial / "bin", ignore_errors=True)
    drop_script_records(partial)
    (partial / ".complete").write_text("ok\n")
    try:
        partial.rename(target)
    except OSError:  # another build finished first: its copy is as good as ours
        shutil.rmtree(partial, ignore_errors=True)
        if not (target / ".complete").is_file():
            raise
    return target


def build_layer(functions_dir: Path, requirements: Path, dist_dir: Path, cache_dir: Path) -> Path:
    package = functions_dir / DOMAIN_PACKAGE
    if not (package / "__init__.py").is_file():
        raise BuildError(f"{package}/__init__.py not found: the domain package is missing")
    entries = [
        (f"python/{DOMAIN_PACKAGE}/{path.relative_to(package).as_posix()}", path) for path in _files(package)
    ]
    dependencies = install_dependencies(requirements, cache_dir)
    names = {name for name, _ in entries}
    for path in _files(dependencies):
        name = f"python/{path.relative_to(dependencies).as_posix()}"
        if name not in names:
            entries.append((name, path))
    return write_zip(dist_dir / "layer.zip", entries)


def _status(model: dict[str, Any], day: str) -> str:
    life = model.get("lifecycle") or {}
    if life.get("end_of_life") and day >= life["end_of_life"]:
        return "end-of-life"
    if life.get("legacy") and day >= life["legacy"]:
        return "legacy"
    return "active"


def web_models(
    catalog: dict[str, Any],
    overrides: dict[str, Any],
    enabled: list[str],
    region: str = "us-east-1",
    day: str | None = None,
) -> list[dict[str, str]]:
    """The console's model list: [{model_id, kind, label, status}] from catalog + overrides, enabled
    only. Models past their end of life on ``day`` and models billed by something other than tokens
    are left out; legacy ones say so. A bare id that ``region`` serves only through an inference
    profile is offered as its first profile id; enabling such a bare id explicitly is an error
    naming the profile id to enable instead."""
    day = day or dt.datetime.now(dt.UTC).date().isoformat()
    models = {**catalog.get("models", {})}
    for model_id, model in overrides.items():
        if model_id != "application_profiles":
            models[model_id] = {**models.get(model_id, {}), **model}
    prefixes = tuple(sorted(catalog.get("profile_prefixes", []), key=len, reverse=True))

    def entry(model_id: str) -> dict[str, str] | None:
        base = model_id
        for prefix in prefixes:
            if model_id not in models and model_id.startswith(prefix) and model_id[len(prefix) :] in models:
                base = model_id[len(prefix) :]
                break
        model = models.get(base)
        if model is None:
            return None
        kind = model.get("kind", "text")
        status = _status(model, day)
        if kind not in ("text", "embedding") or model.get("billing", "tokens") != "tokens":
            return None
        if status == "end-of-life":
            return None
        profiles = model.get("profile_only", {}).get(region, [])
        if model_id == base and profiles:
            if enabled:
                raise BuildError(
                    f"ENABLED_MODELS: {model_id} can only be called through an inference profile in "
                    f"{region}: enable {profiles[0]}.{base} instead"
                )
            model_id = f"{profiles[0]}.{base}"
        return {"model_id": model_id, "kind": kind, "label": model.get("label", model_id), "status": status}

    ids = enabled or list(models)
    return [item for item in (entry(model_id) for model_id in ids) if item is not None]


def build_models_json(config: StackConfig, functions_dir: Path, web_dir: Path) -> Path:
    catalog_path = functions_dir / DOMAIN_PACKAGE / "catalog.json"
    if not catalog_path.is_file():
        raise BuildError(f"{catalog_path} not found: the model catalog is missing")
    catalog = json.loads(catalog_path.read_text())
    items = web_models(catalog, config.price_overrides, config.enabled_models, config.region)
    web_dir.mkdir(parents=True, exist_ok=True)
    target = web_dir / "models.json"
    target.write_text(json.dumps(items, indent=2, sort_keys=True) + "\n")
    return target


def _strict_json(value: Any) -> str:
    """JSON of a template value; an undefined one raises naming it (tojson would not)."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value)


def render_tfvars(
    config: StackConfig,
    target: Path,
    build_dir: Path,
    functions_dir: Path = ROOT / "functions",
    site_dir: Path = ROOT / "web",
    endpoint_url: str = "",
    console_origin: str = "",
) -> Path:
    """Render the stack's tfvars; an undefined template variable is an error, not an empty string.

    console_origin is the console's origin from an earlier apply (make deploy's second step)."""
    from scripts.endpoints import GATEWAY_ENDPOINTS, REQUIRED_INTERFACE_ENDPOINTS

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - renders JSON through tojson, never HTML
        keep_trailing_newline=True,
    )
    environment.filters["json"] = _strict_json
    text = environment.get_template("stack.tfvars.json.j2").render(
        config=config,
        bedrock_url=config.bedrock_url,
        build_dir=str(build_dir.resolve()),
        functions_dir=str(functions_dir.resolve()),
        web_dir=str(site_dir.resolve()),
        emulator={"enabled": bool(endpoint_url), "endpoint_url": endpoint_url},
        required_interface_endpoints=REQUIRED_INTERFACE_ENDPOINTS,
        gateway_endpoints=GATEWAY_ENDPOINTS,
        console_origin=console_origin,
    )
    json.loads(text)  # a template bug fails here, not inside Terraform
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def build_all(
    config: StackConfig,
    build_dir: Path = ROOT / "build",
    functions_dir: Path = ROOT / "functions",
    requirements: Path = ROOT / "requirements" / "runtime.txt",
    cache_dir: Path = ROOT / "build" / "cache",
) -> dict[str, Path]:
    """Every artifact Terraform reads, for one stack config (the pip cache is shared by default)."""
    dist = build_dir / "dist"
    built = {key: build_function(key, functions_dir, dist) for key in FUNCTIONS}
    built["layer"] = build_layer(functions_dir, requirements, dist, cache_dir)
    built["models"] = build_models_json(config, functions_dir, build_dir / "web")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=os.environ.get("STACK") or None, help="STACK_PREFIX of the entry")
    parser.add_argument("--config", type=Path, default=ROOT / "configs.json")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    try:
        config = select(load_configs(args.config), args.stack)
        built = build_all(config, args.build_dir)
        tfvars = render_tfvars(
            config, args.build_dir / "deploy" / config.stack_prefix / "terraform.tfvars.json", args.build_dir
        )
    except (ConfigError, BuildError) as exc:
        print(f"build failed:\n{exc}", file=sys.stderr)
        return 2
    for name, path in {**built, "tfvars": tfvars}.items():
        size = path.stat().st_size
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        print(
            f"{name:22} {str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path):48} "
            f"{size:>9} B  sha256 {digest}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
