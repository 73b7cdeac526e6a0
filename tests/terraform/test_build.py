"""The build: byte-identical zips for unchanged code, the layer's layout, tfvars, models.json."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from types import SimpleNamespace

import jinja2
import pytest

from scripts import build
from scripts.config import validate_entry

pytestmark = pytest.mark.unit

SEED = {
    "STACK_PREFIX": "demo",
    "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
    "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
    "VPC_CIDR": "10.10.0.0/16",
    "API_THROTTLING_RATE": 10000,
    "API_BURST_RATE": 5000,
}


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def source(tmp_path):
    """A small function folder and domain package, so the test owns every byte."""
    functions = tmp_path / "functions"
    (functions / "token_profiler").mkdir(parents=True)
    (functions / "token_profiler" / "__init__.py").write_text('"""domain"""\n')
    (functions / "token_profiler" / "prices.py").write_text("PRICE = 1\n")
    (functions / "token_profiler" / "__pycache__").mkdir()
    (functions / "token_profiler" / "__pycache__" / "prices.cpython-312.pyc").write_bytes(b"\0junk")
    for key in build.FUNCTIONS:
        (functions / key).mkdir()
        (functions / key / "index.py").write_text(
            f"def lambda_handler(event, context):\n    return {key!r}\n"
        )
    return functions


def test_rebuilding_unchanged_code_gives_identical_bytes(source, tmp_path):
    first = build.build_function("invoke_model", source, tmp_path / "a")
    # Touch every file (new mtimes) and rebuild elsewhere: only content may matter.
    for path in source.rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))
    second = build.build_function("invoke_model", source, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_a_change_changes_the_zip(source, tmp_path):
    before = _sha(build.build_function("invoke_model", source, tmp_path / "a"))
    (source / "invoke_model" / "index.py").write_text("def lambda_handler(event, context):\n    return 2\n")
    after = _sha(build.build_function("invoke_model", source, tmp_path / "b"))
    assert before != after


def test_zip_entries_are_sorted_with_fixed_time_and_mode(source, tmp_path):
    (source / "invoke_model" / "b_helper.py").write_text("X = 1\n")
    (source / "invoke_model" / "a_helper.py").write_text("Y = 1\n")
    with zipfile.ZipFile(build.build_function("invoke_model", source, tmp_path)) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names) == ["a_helper.py", "b_helper.py", "index.py"]
    assert {info.date_time for info in infos} == {build.ZIP_DATE}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_layer_holds_the_package_under_python_without_bytecode(source, tmp_path):
    requirements = tmp_path / "runtime.txt"
    requirements.write_text("# nothing to install\n")
    cache = tmp_path / "cache"
    first = build.build_layer(source, requirements, tmp_path / "a", cache)
    second = build.build_layer(source, requirements, tmp_path / "b", cache)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    assert "python/token_profiler/__init__.py" in names
    assert "python/token_profiler/prices.py" in names
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]


def test_the_real_layer_rebuilds_identically(tmp_path):
    """The shipped layer (with its pip-installed dependencies, cached) is deterministic too."""
    config = validate_entry(dict(SEED))
    first = build.build_all(config, tmp_path / "a")
    second = build.build_all(config, tmp_path / "b")
    for name in [*build.FUNCTIONS, "layer", "models"]:
        assert _sha(first[name]) == _sha(second[name]), name
    with zipfile.ZipFile(first["layer"]) as archive:
        names = archive.namelist()
        records = [archive.read(n).decode() for n in names if n.endswith(".dist-info/RECORD")]
    assert any(name.startswith("python/aws_lambda_powertools/") for name in names)
    assert not any(name.startswith("python/bin/") for name in names)
    # no RECORD names a console script: its hash covers this machine's interpreter path
    assert records and not [line for text in records for line in text.splitlines() if "/bin/" in line]


def test_script_records_are_dropped_and_the_other_records_kept(tmp_path):
    info = tmp_path / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(
        "../../bin/tool,sha256=abc,10\npkg/__init__.py,sha256=def,0\npkg-1.0.dist-info/RECORD,,\n"
    )
    untouched = tmp_path / "other-2.0.dist-info"
    untouched.mkdir()
    (untouched / "RECORD").write_text("other/__init__.py,sha256=x,0\n")
    build.drop_script_records(tmp_path)
    assert (info / "RECORD").read_text() == "pkg/__init__.py,sha256=def,0\npkg-1.0.dist-info/RECORD,,\n"
    assert (untouched / "RECORD").read_text() == "other/__init__.py,sha256=x,0\n"


def test_the_layer_carries_a_time_zone_database_zoneinfo_can_use(tmp_path):
    """PLAN_TIME_ZONE must resolve on a Lambda runtime without /usr/share/zoneinfo: the layer holds
    tzdata, and with only the layer on the path (no site-packages, no system database) a zone
    resolves to the same offsets as this machine's database."""
    import subprocess
    import sys

    root = build.ROOT
    layer = build.build_layer(
        root / "functions", root / "requirements" / "runtime.txt", tmp_path, root / "build" / "cache"
    )
    with zipfile.ZipFile(layer) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "layer")
    assert "python/tzdata/zoneinfo/America/New_York" in names
    assert "python/tzdata/zoneinfo/Asia/Tokyo" in names
    python = tmp_path / "layer" / "python"
    probe = (
        "import sys, zoneinfo, datetime as dt\n"
        f"sys.path.insert(0, {str(python)!r})\n"
        "zoneinfo.reset_tzpath(to=[])\n"
        "import tzdata\n"
        f"assert tzdata.__file__.startswith({str(python)!r}), tzdata.__file__\n"
        "from token_profiler import plans\n"
        "zone = plans.time_zone('America/New_York')\n"
        "p = plans.period_at(dt.datetime(2026, 3, 1, 4, 59, tzinfo=dt.UTC), zone)\n"
        "print(p.key, p.start.astimezone(dt.UTC).isoformat(), p.end.astimezone(dt.UTC).isoformat())\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONTZPATH": ""}
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    # 2026-03-01 04:59 UTC is still February in New York (EST, UTC-5); March ends in EDT (UTC-4)
    assert result.stdout.split() == ["2026-02", "2026-02-01T05:00:00+00:00", "2026-03-01T05:00:00+00:00"]


def test_models_json_follows_enabled_models_and_overrides():
    catalog = {
        "profile_prefixes": ["us."],
        "models": {
            "a.text-v1": {"label": "Text", "kind": "text", "prices": {}},
            "b.embed-v1": {"label": "Embed", "kind": "embedding", "prices": {}},
        },
    }
    overrides = {"c.new-v1": {"label": "New", "kind": "text", "prices": {"us-east-1": {}}}}
    every = build.web_models(catalog, overrides, [])
    assert [m["model_id"] for m in every] == ["a.text-v1", "b.embed-v1", "c.new-v1"]
    enabled = build.web_models(catalog, overrides, ["us.a.text-v1", "b.embed-v1", "unknown.model"])
    assert enabled == [
        {"model_id": "us.a.text-v1", "kind": "text", "label": "Text", "status": "active"},
        {"model_id": "b.embed-v1", "kind": "embedding", "label": "Embed", "status": "active"},
    ]


def test_models_json_offers_active_and_legacy_token_models_and_profile_ids():
    life = {"legacy": "2026-06-01", "end_of_life": "2026-12-01", "successor": "a.new-v1"}
    catalog = {
        "profile_prefixes": ["us.", "eu.", "global."],
        "models": {
            "a.old-v1": {"label": "Old", "kind": "text", "lifecycle": life},
            "a.new-v1": {"label": "New", "kind": "text", "profile_only": {"us-east-1": ["us", "global"]}},
            "a.image-v1": {"label": "Image", "kind": "image", "billing": "image"},
            "a.tokens-image-v1": {"label": "Odd", "kind": "text", "billing": "request"},
        },
    }
    ids = [(m["model_id"], m["status"]) for m in build.web_models(catalog, {}, [], "us-east-1", "2026-05-31")]
    assert ids == [("a.old-v1", "active"), ("us.a.new-v1", "active")]
    ids = [(m["model_id"], m["status"]) for m in build.web_models(catalog, {}, [], "eu-west-3", "2026-06-01")]
    assert ids == [("a.old-v1", "legacy"), ("a.new-v1", "active")]
    ids = [m["model_id"] for m in build.web_models(catalog, {}, [], "us-east-1", "2026-12-01")]
    assert ids == ["us.a.new-v1"]
    enabled = build.web_models(catalog, {}, ["global.a.new-v1", "a.old-v1"], "us-east-1", "2026-11-30")
    assert [(m["model_id"], m["status"]) for m in enabled] == [
        ("global.a.new-v1", "active"),
        ("a.old-v1", "legacy"),
    ]
    with pytest.raises(
        build.BuildError,
        match=r"a\.new-v1 can only be called through an inference profile in us-east-1: enable us\.a\.new-v1",
    ):
        build.web_models(catalog, {}, ["a.new-v1"], "us-east-1", "2026-11-30")
    # the shipped catalog: Claude 3.7 Sonnet and Sonnet 4 are offered by their us. profile in us-east-1
    shipped = json.loads((build.ROOT / "functions" / "token_profiler" / "catalog.json").read_text())
    offered = {m["model_id"] for m in build.web_models(shipped, {}, [], "us-east-1", "2026-01-01")}
    assert {
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
    } <= offered
    assert (
        not {"anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"} & offered
    )


def test_tfvars_render_from_config(tmp_path):
    config = validate_entry(
        {**SEED, "ENABLED_MODELS": ["us.a.text-v1"], "PRICE_OVERRIDES": {"m": {"prices": {}}}}
    )
    target = build.render_tfvars(config, tmp_path / "stack.tfvars.json", tmp_path / "build")
    values = json.loads(target.read_text())
    assert values["prefix"] == "demo"
    assert values["enabled_models"] == ["us.a.text-v1"]
    assert json.loads(values["price_overrides"]) == {"m": {"prices": {}}}
    assert values["aws_endpoint_url"] == ""
    assert not any(value for key, value in values.items() if key.startswith("emulator_"))
    emulated = json.loads(
        build.render_tfvars(
            config, tmp_path / "e.json", tmp_path, endpoint_url="http://127.0.0.1:1"
        ).read_text()
    )
    assert all(value for key, value in emulated.items() if key.startswith("emulator_"))


def test_an_undefined_template_variable_is_an_error(tmp_path):
    """A setting the template needs but the config lacks fails the render, never renders empty."""
    config = validate_entry(dict(SEED))
    incomplete = SimpleNamespace(**{k: v for k, v in vars(config).items() if k != "admin_group"})
    incomplete.bedrock_url = config.bedrock_url
    with pytest.raises(jinja2.UndefinedError, match="admin_group"):
        build.render_tfvars(incomplete, tmp_path / "x.json", tmp_path)
    assert not (tmp_path / "x.json").exists()


def test_state_backend_block_and_settings(tmp_path):
    from scripts import tf
    from scripts.config import StateBackend

    local = tf.prepare(tmp_path / "local")
    assert 'backend "local"' in (local.workdir / "backend.tf").read_text()
    assert tf.backend_config(local, None) == {"path": str(local.state_file)}

    s3 = StateBackend(type="s3", bucket="state", key="demo.tfstate", region="us-east-1")
    remote = tf.prepare(tmp_path / "remote", s3)
    assert 'backend "s3"' in (remote.workdir / "backend.tf").read_text()
    assert tf.backend_config(remote, s3) == {
        "bucket": "state",
        "key": "demo.tfstate",
        "region": "us-east-1",
        "encrypt": "true",
        "use_lockfile": "true",
    }
    locked = StateBackend(type="s3", bucket="state", key="k", region="us-east-1", dynamodb_table="locks")
    assert tf.backend_config(remote, locked)["dynamodb_table"] == "locks"
    # The copy never carries state or variables from terraform/ itself.
    assert not list(remote.workdir.glob("*.tfstate*")) and not list(remote.workdir.glob("*.tfvars*"))
