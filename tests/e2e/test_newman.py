"""The Postman collection, run by newman (installed from npm by `make node-deps`) against the stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
NEWMAN = REPO / "node_modules" / ".bin" / "newman"
COLLECTION = REPO / "postman" / "bedrock-token-profiler.postman_collection.json"


def test_newman_run_is_green(local_stack, tmp_path, e2e):
    if not NEWMAN.exists():
        pytest.fail("newman is not installed: run `make node-deps` (npm ci)")
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(local_stack))
    environment = tmp_path / "environment.json"
    subprocess.run(
        [sys.executable, "-m", "local.postman_env", str(outputs_file), str(environment)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [
            str(NEWMAN),
            "run",
            str(COLLECTION),
            "-e",
            str(environment),
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--timeout-request",
            "60000",
            "--color",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    run = json.loads(report.read_text())["run"]
    assert run["stats"]["assertions"]["failed"] == 0
    assert run["stats"]["assertions"]["total"] >= 20
    # Tokens newman obtained are in the report; the log scan looks for them too
    for execution in run["executions"]:
        text = (execution.get("response") or {}).get("stream")
        if text and isinstance(text, dict) and text.get("data"):
            body = bytes(text["data"]).decode(errors="ignore")
            if "IdToken" in body:
                result_tokens = json.loads(body)["AuthenticationResult"]
                e2e.tokens.update({result_tokens["IdToken"], result_tokens["AccessToken"]})
