"""Run a deployment's FOCUS export now (docs/focus.md): ``make focus-export STACK=<prefix> [MONTH=YYYY-MM]``.

The export normally runs on its schedule, after the nightly aggregation. This invokes the same
function, ``function_names["focus_export"]`` of ``build/deploy/<prefix>/outputs.json``, and waits for
its answer: the month given, or the months the schedule would write. The caller's AWS credentials
need ``lambda:InvokeFunction`` on that function and nothing else. (Without STACK, ``make
focus-export`` runs the export on the local stack: ``python -m local focus-export``.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scripts.tenants import Failure, outputs_path  # also puts functions/ (token_profiler) on the path

FUNCTION_KEY = "focus_export"


def check_month(value: str | None) -> str | None:
    """YYYY-MM, checked here so a typo never reaches the deployment."""
    if value is None:
        return None
    from token_profiler import focus

    try:
        focus.parse_month(value)
    except ValueError as exc:
        raise Failure(f"MONTH: {exc}") from None
    return value


def function_of(outputs_file: Path, stack: str) -> tuple[str, str]:
    """(function name, region) of the stack's FOCUS export, from its Terraform outputs."""
    try:
        outputs = json.loads(outputs_file.read_text())
    except FileNotFoundError:
        raise Failure(f"no outputs at {outputs_file}: deploy it first (make deploy STACK={stack})") from None
    except json.JSONDecodeError as exc:
        raise Failure(f"{outputs_file} is not valid JSON ({exc})") from None
    name = (outputs.get("function_names") or {}).get(FUNCTION_KEY)
    if not name or not outputs.get("region"):
        raise Failure(
            f"{outputs_file} names no {FUNCTION_KEY} function: the stack predates the FOCUS export; "
            f"deploy it again (make deploy STACK={stack})"
        )
    return name, outputs["region"]


def invoke(client: Any, function_name: str, month: str | None) -> dict[str, Any]:
    """Invoke the export and wait; its answer, or Failure with the function's own error."""
    payload = {"month": month} if month else {}
    response = client.invoke(
        FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
    )
    body = response["Payload"].read()
    try:
        answer = json.loads(body) if body else {}
    except json.JSONDecodeError:
        answer = {"raw": body.decode("utf-8", "replace")[:500]}
    if response.get("FunctionError"):
        error = answer.get("errorMessage") if isinstance(answer, dict) else None
        raise Failure(f"{function_name} failed ({response['FunctionError']}): {error or answer}")
    return answer


def run(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.focus_export", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stack", required=True, help="the deployment's STACK_PREFIX")
    parser.add_argument("--month", default=None, help="YYYY-MM (default: the months the schedule writes)")
    parser.add_argument("--outputs", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        month = check_month(args.month)
        name, region = function_of(outputs_path(args.stack, args.outputs), args.stack)
        if client is None:
            import boto3

            client = boto3.client("lambda", region_name=region)
        answer = invoke(client, name, month)
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - botocore: no credentials, access denied, throttled
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(run())
