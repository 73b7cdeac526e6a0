"""`terraform test` of the network module with AWS's answers mocked: the subnets go only where
every interface endpoint is served (moto serves every endpoint in every zone, so the apply suite
cannot show it). The cases are in terraform/modules/network/tests/zones.tftest.hcl."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from scripts import tf

pytestmark = pytest.mark.terraform


def test_zone_choice_with_mocked_aws(tmp_path):
    module = tmp_path / "network"
    shutil.copytree(
        tf.TERRAFORM_DIR / "modules" / "network", module, ignore=shutil.ignore_patterns(".terraform*")
    )
    env = {**tf.os.environ, "TF_CLI_CONFIG_FILE": str(tf.cli_config()), "TF_IN_AUTOMATION": "1"}
    for command in (["terraform", "init", "-no-color", "-input=false"], ["terraform", "test", "-no-color"]):
        result = subprocess.run(command, cwd=module, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
    assert "3 passed, 0 failed" in result.stdout, result.stdout
