"""The domain package stays free of powertools (outside its API Gateway glue) and of AWS calls at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_domain_modules_import_without_powertools_or_boto3():
    modules = sorted(
        p.stem for p in (FUNCTIONS / "token_profiler").glob("*.py") if p.stem not in ("__init__", "apigw")
    )
    code = (
        "import sys\n"
        + "".join(f"import token_profiler.{m}\n" for m in modules)
        + "bad = [m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'boto3'))]\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=FUNCTIONS, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_handlers_are_thin():
    for key in (
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
    ):
        source = (FUNCTIONS / key / "index.py").read_text()
        assert "def lambda_handler(event, context):" in source
        assert "log_event=True" not in source
        assert len(source.splitlines()) < 60, key
