"""Small parts of the local stack: the schedule evaluator, config.js, read-back helpers, ports."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest

from local.readback import ReadbackError, code_sha256, parse_api_url, scheduled_event, zips_by_hash
from local.readback import Schedule as DeployedSchedule
from local.schedule import UnsupportedSchedule, next_fire
from local.settings import Ports
from local.webserver import config_js

pytestmark = pytest.mark.unit

UTC = dt.UTC


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(15 0 * * ? *)", "2026-11-27T13:00", "2026-11-28T00:15"),
        ("cron(15 0 * * ? *)", "2026-11-27T00:10", "2026-11-27T00:15"),
        ("cron(0 0 * * ? *)", "2026-12-31T23:59", "2027-01-01T00:00"),
        ("cron(0/20 * * * ? *)", "2026-11-27T13:05", "2026-11-27T13:20"),
        ("cron(0 9 ? * MON-FRI *)", "2026-11-27T10:00", "2026-11-30T09:00"),  # Friday → Monday
        ("cron(30 6 1 JAN,JUL ? *)", "2026-11-27T00:00", "2027-01-01T06:30"),
        ("rate(5 minutes)", "2026-11-27T13:00", "2026-11-27T13:05"),
        ("rate(1 day)", "2026-11-27T13:00", "2026-11-28T13:00"),
    ],
)
def test_next_fire(expression, after, expected):
    start = dt.datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert next_fire(expression, start) == dt.datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "expression", ["cron(0 0 L * ? *)", "cron(0 0 * * 2#1 *)", "at(2026-01-01T00:00:00)", "cron(0 0 * *)"]
)
def test_unsupported_schedules_are_refused(expression):
    with pytest.raises(UnsupportedSchedule):
        next_fire(expression, dt.datetime(2026, 1, 1, tzinfo=UTC))


def test_config_js_follows_the_design_contract():
    text = config_js(
        {
            "region": "us-east-1",
            "user_pool_id": "pool",
            "client_id": "client",
            "api_url": "http://127.0.0.1:1/demo_prod",
            "aws_endpoint_url": "http://127.0.0.1:2",
            "admin_group": "admin",
        }
    )
    assert text.startswith("window.APP_CONFIG = ") and text.rstrip().endswith(";")
    config = json.loads(text[len("window.APP_CONFIG = ") :].rstrip().rstrip(";"))
    assert config == {
        "region": "us-east-1",
        "userPoolId": "pool",
        "clientId": "client",
        "apiUrl": "http://127.0.0.1:1/demo_prod",
        "cognitoEndpoint": "http://127.0.0.1:2/",
        "adminGroup": "admin",
    }


def test_api_url_and_schedule_input_parsing():
    assert parse_api_url("https://abc123.execute-api.us-east-1.amazonaws.com/demo_prod") == (
        "abc123",
        "demo_prod",
    )
    with pytest.raises(ReadbackError):
        parse_api_url("http://example.com/")
    schedule = DeployedSchedule("s", "cron(0 0 * * ? *)", "UTC", True, "arn", '{"date": "2026-01-01"}')
    assert scheduled_event(schedule) == {"date": "2026-01-01"}


def test_zips_are_matched_by_code_sha256(tmp_path):
    for name, text in (("a.zip", "one"), ("b.zip", "two")):
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("index.py", text)
    found = zips_by_hash(tmp_path)
    assert found[code_sha256(tmp_path / "b.zip")] == tmp_path / "b.zip"


def test_ports_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOCAL_API_PORT", "8080")
    monkeypatch.delenv("LOCAL_AWS_PORT", raising=False)
    ports = Ports.from_env()
    assert ports.api == 8080 and ports.aws == 18660
    monkeypatch.setenv("LOCAL_WEB_PORT", "http")
    with pytest.raises(SystemExit, match="LOCAL_WEB_PORT"):
        Ports.from_env()


def test_access_log_renders_the_deployed_format():
    from local.access_log import group_of, render

    template = json.dumps(
        {
            "requestId": "$context.requestId",
            "status": "$context.status",
            "tenant": "$context.authorizer.claims.cognito:username",
            "error": "$context.error.message",
        }
    )
    line = json.loads(render(template, {"requestId": "r-1", "status": 401, "error.message": 'say "no"'}))
    assert line == {"requestId": "r-1", "status": "401", "tenant": "-", "error": 'say "no"'}
    assert (
        group_of("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/x/access:*")
        == "/aws/apigateway/x/access"
    )


def test_run_schedule_runs_one_schedule_when_the_overrides_name_it():
    """make focus-export runs the FOCUS export alone, with its month; local-aggregate runs them all."""
    from types import SimpleNamespace

    from local.stack import LocalStack

    calls = []

    class Pool:
        def __init__(self, key):
            self.key = key

        def invoke(self, event):
            calls.append((self.key, event))
            return SimpleNamespace(ok=True, payload={})

    arns = {
        key: f"arn:aws:lambda:us-east-1:123456789012:function:demo_{key}"
        for key in ("cost_tracking", "focus_export")
    }
    fake = SimpleNamespace(
        schedules=[
            DeployedSchedule(f"demo_{key}", "cron(15 0 * * ? *)", "UTC", True, arn, "{}")
            for key, arn in arns.items()
        ],
        pools={arn: Pool(key) for key, arn in arns.items()},
    )
    runs = LocalStack.run_schedule(fake, {"month": "2026-11"}, "focus_export")
    assert calls == [("focus_export", {"month": "2026-11"})]
    assert [r["schedule"] for r in runs] == ["demo_focus_export"]
    calls.clear()
    LocalStack.run_schedule(fake, {"date": "2026-11-05"})
    assert [key for key, _ in calls] == ["cost_tracking", "focus_export"]
