"""make deploy without AWS credentials stops before Terraform, with a clear message."""

from __future__ import annotations

import pytest

from scripts import deploy

pytestmark = pytest.mark.unit


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("command", ["plan", "deploy", "destroy"])
def test_stops_before_terraform_without_credentials(no_credentials, monkeypatch, capsys, command):
    def must_not_run(*args, **kwargs):
        raise AssertionError("Terraform (or the build) ran without credentials")

    monkeypatch.setattr(deploy, "_stack", must_not_run)
    assert deploy.main([command]) == 2
    message = capsys.readouterr().err
    assert "stopped before Terraform: No AWS credentials found" in message
    assert "AWS_PROFILE" in message


def test_an_emulator_endpoint_is_refused_for_a_real_deployment(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setattr(deploy, "_stack", lambda *a, **k: pytest.fail("Terraform ran"))
    assert deploy.main(["deploy"]) == 2
    assert "AWS_ENDPOINT_URL is set" in capsys.readouterr().err
