"""make focus-export STACK=<prefix>: the deployment's export function invoked with the month, its
answer printed, and every problem one line on stderr with exit code 2."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from scripts import focus_export

pytestmark = pytest.mark.unit


def outputs(tmp_path, **extra):
    path = tmp_path / "outputs.json"
    values = {"region": "eu-west-1", "function_names": {"focus_export": "acme_focus_export"}, **extra}
    path.write_text(json.dumps(values))
    return path


def stubbed(payload_sent: dict, answer: bytes, function_error: str | None = None):
    client = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))}
    if function_error:
        response["FunctionError"] = function_error
    stub.add_response(
        "invoke",
        response,
        {
            "FunctionName": "acme_focus_export",
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(payload_sent).encode(),
        },
    )
    stub.activate()
    return client, stub


def test_the_month_is_sent_and_the_answer_printed(tmp_path, capsys):
    written = {"written": [{"month": "2026-10", "rows": 12}]}
    client, stub = stubbed({"month": "2026-10"}, json.dumps(written).encode())
    code = focus_export.run(
        ["--stack", "acme", "--month", "2026-10", "--outputs", str(outputs(tmp_path))], client=client
    )
    stub.assert_no_pending_responses()
    assert code == 0
    assert json.loads(capsys.readouterr().out) == written


def test_without_a_month_the_function_picks_the_scheduled_months(tmp_path, capsys):
    client, stub = stubbed({}, b'{"written": []}')
    assert focus_export.run(["--stack", "acme", "--outputs", str(outputs(tmp_path))], client=client) == 0
    stub.assert_no_pending_responses()
    assert json.loads(capsys.readouterr().out) == {"written": []}


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-10", "1969-12"])
def test_a_bad_month_is_refused_before_anything_is_invoked(tmp_path, capsys, month):
    client, stub = stubbed({}, b"{}")  # never called: the stub's pending response stays
    code = focus_export.run(
        ["--stack", "acme", "--month", month, "--outputs", str(outputs(tmp_path))], client=client
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MONTH: ") and month in err and err[-1] == "\n" and err.count("\n") == 1
    with pytest.raises(AssertionError):
        stub.assert_no_pending_responses()


def test_the_functions_own_error_is_reported(tmp_path, capsys):
    error = {"errorMessage": "month must be YYYY-MM, got 'x'", "errorType": "ValueError"}
    client, _ = stubbed({"month": "2026-10"}, json.dumps(error).encode(), function_error="Unhandled")
    code = focus_export.run(
        ["--stack", "acme", "--month", "2026-10", "--outputs", str(outputs(tmp_path))], client=client
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "error: acme_focus_export failed (Unhandled): month must be YYYY-MM, got 'x'\n"
    )


def test_a_stack_not_deployed_or_too_old_says_what_to_do(tmp_path, capsys):
    missing = tmp_path / "nowhere.json"
    assert focus_export.run(["--stack", "acme", "--outputs", str(missing)]) == 2
    assert "deploy it first (make deploy STACK=acme)" in capsys.readouterr().err
    old = outputs(tmp_path, function_names={"invoke_model": "acme_invoke_model"})
    assert focus_export.run(["--stack", "acme", "--outputs", str(old)]) == 2
    assert "names no focus_export function" in capsys.readouterr().err
