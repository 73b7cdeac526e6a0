"""terraform fmt and validate over the root module and every module."""

from __future__ import annotations

import subprocess

import pytest

from scripts import tf

pytestmark = pytest.mark.terraform


def test_fmt_check():
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(tf.TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
        env={**tf.os.environ, "TF_CLI_CONFIG_FILE": str(tf.cli_config())},
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


def test_every_module_has_the_four_files():
    for module in [tf.TERRAFORM_DIR, *sorted((tf.TERRAFORM_DIR / "modules").iterdir())]:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (module / name).is_file(), f"{module.name}/{name} missing"


def test_validate(tmp_path):
    stack = tf.prepare(tmp_path / "validate")
    tf.init(stack)
    result = tf.validate(stack)
    assert "Success" in result.stdout, result.stdout + result.stderr
