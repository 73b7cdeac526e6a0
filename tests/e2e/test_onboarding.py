"""Onboarding from one command on the local stack: `make tenant-add` registers a tenant and its
user, the user signs in through Cognito's new-password challenge, invokes a model and is billed to
its tenant; `make tenant-disable` stops its calls (403) within the plan cache time."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
# invoke_model's PLAN_CACHE_SECONDS default: a disable takes effect within it
CACHE_SECONDS = 30
FIGURES = REPO / "build" / "e2e" / "onboarding.json"


def make(local_stack, *args: str) -> subprocess.CompletedProcess:
    """A Makefile target against the suite's stack (its state directory), venv taken as built."""
    env = {**os.environ, "LOCAL_STATE_DIR": local_stack["state_dir"], "STACK": ""}
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def invoke(e2e, token):
    return e2e.post(
        "invoke_model",
        token,
        {"inputs": e2e.prompt("What is a tenant?"), "parameters": {"maxTokenCount": 64}},
        params={"model_id": MODEL},
    )


def first_sign_in(e2e, username: str, temporary: str) -> tuple[str, str]:
    """USER_PASSWORD_AUTH answers NEW_PASSWORD_REQUIRED; the new password completes the sign-in."""
    cognito, client_id = e2e.cognito, e2e.outputs["client_id"]
    challenge = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in challenge
    chosen = f"Nw{secrets.token_urlsafe(12)}5#"
    answer = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": chosen},
    )
    token = answer["AuthenticationResult"]["IdToken"]
    with e2e.lock:
        e2e.tokens.update({token, answer["AuthenticationResult"]["AccessToken"]})
    return token, chosen


def tenant_rows(e2e, token, tenant, day):
    return [r for r in e2e.rows(token, {"start_date": day, "end_date": day}) if r["name"] == tenant]


def test_one_command_onboards_a_tenant_that_is_billed_then_disabled(e2e, local_stack):
    tenant = f"onb-{secrets.token_hex(3)}"
    user, email = f"{tenant}-alice", f"alice@{tenant}.example.com"
    args = [f"TENANT={tenant}", f"USER={user}", f"EMAIL={email}", "NAME=Onboarded Co"]

    # One command: the tenant and its user, with the temporary password printed once
    first = make(local_stack, "tenant-add", *args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"tenant {tenant}: created (Onboarded Co)" in first.stdout
    assert f"user {user}: created in tenant {tenant}" in first.stdout
    temporary = re.search(r"first sign-in\): (\S+)", first.stdout)[1]
    # Again: one tenant and one user, and it says so
    second = make(local_stack, "tenant-add", *args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"tenant {tenant}: exists (active" in second.stdout
    assert f"user {user}: exists in tenant {tenant}; no user created" in second.stdout
    assert temporary not in second.stdout and "password" not in second.stdout
    users = e2e.cognito.list_users(UserPoolId=e2e.outputs["user_pool_id"], Filter=f'username = "{user}"')
    assert [u["Username"] for u in users["Users"]] == [user]

    # The user signs in through the new-password challenge and calls a model
    token, _ = first_sign_in(e2e, user, temporary)
    response = invoke(e2e, token)
    assert response.status_code == 200, response.text
    usage = response.json()[0]["usage"]

    # Billed to its tenant: the admin aggregates today, the tenant retrieves its own row
    day = dt.datetime.now(dt.UTC).date().isoformat()
    e2e.aggregate(e2e.admin_token())
    [row] = tenant_rows(e2e, token, tenant, day)
    assert row["model_id"] == MODEL and int(row["invocations"]) == 1
    assert int(row["input_tokens"]) == usage["input_tokens"]
    assert int(row["output_tokens"]) == usage["output_tokens"]
    assert Decimal(row["total_cost"]) == Decimal(usage["cost"])

    listing = make(local_stack, "tenant-list")
    assert listing.returncode == 0, listing.stderr
    line = next(line for line in listing.stdout.splitlines() if line.startswith(tenant + " "))
    cells = line.split()
    assert cells[:2] == [tenant, "active"]
    assert Decimal(cells[-1]) == Decimal(usage["cost"])  # live spend from the plan counters

    # Disabled: within the cache time every call answers 403, and nothing more is billed
    disabled = make(local_stack, "tenant-disable", f"TENANT={tenant}")
    assert disabled.returncode == 0, disabled.stdout + disabled.stderr
    assert f"tenant {tenant}: disabled" in disabled.stdout
    started, billed = time.monotonic(), 1
    while True:
        response = invoke(e2e, token)
        if response.status_code == 403:
            break
        assert response.status_code == 200, response.text
        billed += 1  # a warm container still holds the tenant as active
        assert time.monotonic() - started < CACHE_SECONDS + 10, "the disable did not take effect"
        time.sleep(1)
    assert response.json()["message"] == f"tenant {tenant} is disabled"
    took = round(time.monotonic() - started, 1)
    for _ in range(4):  # every container now refuses (each read the registry or will within the bound)
        again = invoke(e2e, token)
        assert again.status_code in (200, 403), again.text
        billed += again.status_code == 200
    e2e.aggregate(e2e.admin_token())
    [row] = tenant_rows(e2e, token, tenant, day)
    assert int(row["invocations"]) == billed
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    figures = {"disable_to_403_seconds": took, "bound_seconds": CACHE_SECONDS, "billed_calls": billed}
    FIGURES.write_text(json.dumps(figures))

    enabled = make(local_stack, "tenant-enable", f"TENANT={tenant}")
    assert enabled.returncode == 0 and f"tenant {tenant}: active" in enabled.stdout


def test_command_errors_name_the_problem(local_stack):
    bad = make(local_stack, "tenant-add", "TENANT=Not_Valid", "USER=x", "EMAIL=x@y.example.com")
    assert bad.returncode != 0
    assert "tenant must be a tenant id" in bad.stderr and "Traceback" not in bad.stderr
    missing = make(local_stack, "tenant-disable", "TENANT=never-registered-1")
    assert missing.returncode != 0 and "tenant never-registered-1 is not registered" in missing.stderr
