"""The one place that runs Terraform (through python-terraform): init, plan, apply, destroy, output.

Each deployment runs in its own state directory, so deployments never share state:

- ``make deploy`` / ``make destroy``: ``build/deploy/<prefix>/`` (state in ``terraform.tfstate``
  there, or the S3 backend from configs.json's STATE_BACKEND);
- the local stack and the Terraform tests: whatever ``state_dir`` they pass (``build/local/...``,
  a pytest tmp dir).

A state directory holds ``stack/`` (a copy of ``terraform/`` plus a generated ``backend.tf``),
``terraform.tfvars.json``, ``terraform.tfstate`` (local backend) and ``outputs.json``. The
provider comes from the local filesystem mirror when there is one (``/opt/tf-plugins``), else
from the public registry; a shared plugin cache under ``build/`` avoids copying it per run.

Swap the wrapper here and nothing else changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform

from scripts.config import ROOT, StackConfig, StateBackend

TERRAFORM_DIR = ROOT / "terraform"
PROVIDER_MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
PLUGIN_CACHE = ROOT / "build" / "terraform-plugin-cache"
CLI_CONFIG = ROOT / "build" / "terraform.rc"
TFVARS = "terraform.tfvars.json"

# python-terraform reads os.environ at each call; environment changes are serialized.
_ENV_LOCK = threading.RLock()


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its stderr."""


@dataclass
class Result:
    """What a command printed and how long it took."""

    code: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Stack:
    """One deployment's working copy of the root module, with its own state."""

    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return self.state_dir / "stack"

    @property
    def tfvars(self) -> Path:
        return self.state_dir / TFVARS

    @property
    def state_file(self) -> Path:
        return self.state_dir / "terraform.tfstate"


def cli_config() -> Path:
    """A CLI config that takes hashicorp providers from the local mirror when it exists."""
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    lines = [f'plugin_cache_dir = "{PLUGIN_CACHE}"', "plugin_cache_may_break_dependency_lock_file = true"]
    if PROVIDER_MIRROR.is_dir():
        hashicorp = '["registry.terraform.io/hashicorp/*"]'
        lines += [
            "provider_installation {",
            f'  filesystem_mirror {{\n    path    = "{PROVIDER_MIRROR}"\n    include = {hashicorp}\n  }}',
            f"  direct {{\n    exclude = {hashicorp}\n  }}",
            "}",
        ]
    text = "\n".join(lines) + "\n"
    CLI_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    if not CLI_CONFIG.is_file() or CLI_CONFIG.read_text() != text:
        CLI_CONFIG.write_text(text)
    return CLI_CONFIG


@contextlib.contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    with _ENV_LOCK:
        saved = dict(os.environ)
        os.environ.update({"TF_CLI_CONFIG_FILE": str(cli_config()), "TF_IN_AUTOMATION": "1", **extra})
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _run(stack: Stack, command: str, *args: Any, check: bool = True, **options: Any) -> Result:
    terraform = Terraform(working_dir=str(stack.workdir))
    started = time.monotonic()
    with _environment(stack.env):
        if command == "cmd":
            code, out, err = terraform.cmd(*args, **options)
        else:
            code, out, err = getattr(terraform, command)(*args, **options)
    result = Result(code, out or "", err or "", time.monotonic() - started)
    if check and code != 0:
        raise TerraformError(
            f"terraform {command} {' '.join(map(str, args))} failed ({code}):\n"
            f"{result.stderr}{result.stdout[-4000:]}"
        )
    return result


def prepare(state_dir: Path, backend: StateBackend | None = None, env: dict[str, str] | None = None) -> Stack:
    """Copy the root module into state_dir/stack and write its backend block."""
    stack = Stack(Path(state_dir).resolve(), dict(env or {}))
    stack.state_dir.mkdir(parents=True, exist_ok=True)
    keep = stack.workdir / ".terraform"
    for path in stack.workdir.glob("*") if stack.workdir.is_dir() else []:
        if path != keep:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(
        TERRAFORM_DIR,
        stack.workdir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl", "*.tfvars*"
        ),
    )
    backend = backend or StateBackend()
    kind = "s3" if backend.type == "s3" else "local"
    (stack.workdir / "backend.tf").write_text(
        f'# Written by scripts/tf.py for this state directory.\nterraform {{\n  backend "{kind}" {{}}\n}}\n'
    )
    return stack


def backend_config(stack: Stack, backend: StateBackend | None) -> dict[str, str]:
    if backend is None or backend.type != "s3":
        return {"path": str(stack.state_file)}
    config = {"bucket": backend.bucket, "key": backend.key, "region": backend.region, "encrypt": "true"}
    if backend.dynamodb_table:
        config["dynamodb_table"] = backend.dynamodb_table
    else:
        config["use_lockfile"] = "true"
    return config


def init(stack: Stack, backend: StateBackend | None = None) -> Result:
    return _run(stack, "init", backend_config=backend_config(stack, backend), upgrade=IsNotFlagged)


def validate(stack: Stack) -> Result:
    return _run(stack, "cmd", "validate", no_color=IsFlagged)


def plan(stack: Stack, destroy: bool = False, out: Path | None = None) -> tuple[bool, Result]:
    """Plan (saved to `out` when given, for show_json); returns (changes pending, result)."""
    options: dict[str, Any] = {"out": str(out)} if out else {}
    result = _run(
        stack,
        "plan",
        check=False,
        var_file=str(stack.tfvars),
        lock_timeout="60s",
        destroy=IsFlagged if destroy else IsNotFlagged,
        **options,
    )
    if result.code not in (0, 2):
        raise TerraformError(f"terraform plan failed ({result.code}):\n{result.stderr}")
    return result.code == 2, result


def apply(stack: Stack) -> Result:
    return _run(stack, "apply", var_file=str(stack.tfvars), skip_plan=True, lock_timeout="60s")


def destroy(stack: Stack) -> Result:
    # python-terraform passes -force, which Terraform 1.x no longer knows: -auto-approve instead.
    return _run(
        stack,
        "destroy",
        var_file=str(stack.tfvars),
        force=IsNotFlagged,
        auto_approve=IsFlagged,
        lock_timeout="60s",
    )


def output(stack: Stack) -> dict[str, Any]:
    """Outputs as plain values."""
    result = _run(stack, "cmd", "output", json=IsFlagged)
    return {name: item["value"] for name, item in json.loads(result.stdout or "{}").items()}


def show_json(stack: Stack, plan_file: Path | None = None) -> dict[str, Any]:
    """`terraform show -json`: the state, or a saved plan when plan_file is given."""
    args = ["show", "-json", "-no-color"] + ([str(plan_file)] if plan_file else [])
    result = _run(stack, "cmd", *args)
    return json.loads(result.stdout)


def _is_data_source(address: str) -> bool:
    # Strip the module path ("module.<name>." pairs); a data source's own part starts with "data.".
    while address.startswith("module."):
        address = address.split(".", 2)[2]
    return address.startswith("data.")


def state_resources(stack: Stack) -> list[str]:
    """Addresses of every managed resource in the state (data sources left out)."""
    result = _run(stack, "cmd", "state list")
    return [line for line in result.stdout.splitlines() if line and not _is_data_source(line)]


def write_outputs(stack: Stack, outputs: dict[str, Any], target: Path | None = None) -> Path:
    target = target or stack.state_dir / "outputs.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return target


# ---- the emulator path (local stack, Terraform tests) ------------------------------------------

EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def emulator_stack(
    endpoint_url: str,
    state_dir: Path,
    config: StackConfig,
    build_dir: Path = ROOT / "build",
    functions_dir: Path = ROOT / "functions",
    web_dir: Path = ROOT / "web",
) -> Stack:
    """Prepare and init a state dir whose tfvars point every AWS service at endpoint_url."""
    from scripts.build import render_tfvars

    env = {**EMULATOR_CREDENTIALS, "AWS_REGION": config.region, "AWS_DEFAULT_REGION": config.region}
    stack = prepare(state_dir, None, env)
    render_tfvars(config, stack.tfvars, build_dir, functions_dir, web_dir, endpoint_url=endpoint_url)
    init(stack)
    return stack


def apply_emulated(
    endpoint_url: str,
    state_dir: Path,
    config: StackConfig,
    build_dir: Path = ROOT / "build",
    functions_dir: Path = ROOT / "functions",
    web_dir: Path = ROOT / "web",
    build: bool = True,
) -> dict[str, Any]:
    """Build (unless build=False), apply the root module against endpoint_url, return the outputs.

    State lives only in state_dir (local backend), never in build/deploy/, so an emulated stack
    and a real deployment can never share state. The outputs are also written to
    state_dir/outputs.json.
    """
    if build:
        from scripts.build import build_all

        build_all(config, build_dir, functions_dir)
    stack = emulator_stack(endpoint_url, state_dir, config, build_dir, functions_dir, web_dir)
    apply(stack)
    outputs = output(stack)
    write_outputs(stack, outputs)
    return outputs


def destroy_emulated(
    endpoint_url: str,
    state_dir: Path,
    config: StackConfig,
    build_dir: Path = ROOT / "build",
    functions_dir: Path = ROOT / "functions",
    web_dir: Path = ROOT / "web",
) -> None:
    """Destroy what apply_emulated created in the same state_dir."""
    destroy(emulator_stack(endpoint_url, state_dir, config, build_dir, functions_dir, web_dir))
