"""The console's answer to a refused call, in headless Chromium against the whole local stack.

Each test makes a tenant of its own (a fresh tenant id: no container has its plan cached, and no
other test's calls count against it), has the seeded admin set its plan through the API, then
invokes through the page: a tiny hard budget gives 402, one request per minute gives 429 on the
second call. The page must say what happened in words, and show no answer for the refused call.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time

import pytest

from local.users import add_user
from tests.e2e.test_web import RECORDER, TEXT_MODEL_B, Console, open_as

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(local_stack, e2e) -> dict:
    RECORDER["session"] = e2e
    return local_stack


def plan_tenant(e2e, stack, plan: dict) -> dict:
    """A fresh tenant and user whose plan the admin sets to ``plan`` before its first call."""
    suffix = secrets.token_hex(3)
    user = {
        "username": f"refused-{suffix}",
        "password": f"Rf-{secrets.token_urlsafe(8)}3c!",
        "tenant_id": f"refused-tenant-{suffix}",
    }
    pool = stack["user_pool_id"]
    add_user(e2e.cognito, pool, user["username"], user["password"], tenant_id=user["tenant_id"])
    answer = e2e.post("tenant_plan", e2e.admin_token(), {"tenant": user["tenant_id"], **plan})
    assert answer.status_code == 200, answer.text
    assert answer.json()["default"] is False
    return user


def next_month_utc(now: dt.datetime) -> str:
    """The reset of the e2e stack's period (PLAN_TIME_ZONE is UTC in configs.json)."""
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC).isoformat()


def submit_refused(console: Console, model_id: str, prompt: str) -> str:
    """Invoke through the page, expecting a refusal; the error the page shows."""
    session = RECORDER["session"]
    if session is not None:
        prompt = session.prompt(prompt)
    page = console.page
    page.click("#tab-invoke")
    page.select_option("#model-select", model_id)
    page.fill("#prompt", prompt)
    console.click_and_wait("#invoke-submit")
    error = page.locator("#invoke-error")
    assert error.is_visible(), "the refused call showed no error"
    return error.text_content()


def test_a_call_over_a_hard_budget_shows_the_402_in_words(browser, stack, e2e):
    user = plan_tenant(e2e, stack, {"monthly_budget_usd": "0.000001", "hard": True})
    console = open_as(browser, stack, user)
    try:
        text = submit_refused(console, TEXT_MODEL_B, "Will this fit in my budget?")
        reset = next_month_utc(dt.datetime.now(dt.UTC))
        assert text.startswith("Over budget (402): "), text
        assert f"tenant {user['tenant_id']} has no room in its monthly budget of 0.000001 USD" in text
        assert "0 USD spent" in text and f"the budget resets at {reset}" in text, text
        assert re.search(r"\[request [0-9a-f-]{8,}\]$", text), text
        page = console.page
        assert page.text_content("#answer") == "" and page.text_content("#asked") == ""
        # the bar follows the refusal: nothing spent, nothing reserved, the whole budget left
        page.wait_for_selector("#budget-bar:not([hidden])")
        assert page.text_content("#budget-limit") == "0.000001 US$ (hard)"
        assert page.text_content("#budget-remaining") == "0.000001 US$ left"
        assert page.text_content("#budget-in-flight") == "0"
        console.shot("tenant-refused-402")
        assert not console.problems, console.problems
    finally:
        console.close()
    status = e2e.post("tenant_status", e2e.admin_token(), {"tenant": user["tenant_id"]}).json()
    assert (status["spend_settled"], status["spend_in_flight"]) == ("0", "0")
    assert status["period_end"] == reset


def test_a_second_call_in_a_minute_shows_the_429_and_the_wait(browser, stack, e2e):
    user = plan_tenant(e2e, stack, {"requests_per_minute": 1})
    console = open_as(browser, stack, user)
    try:
        # both calls must fall in one UTC minute (the limit's window): start early in a minute
        second = dt.datetime.now(dt.UTC).second
        if second >= 45:
            time.sleep(61 - second)
        first = console.invoke(TEXT_MODEL_B, "The first call of this minute.")
        assert first["answer"].strip()
        text = submit_refused(console, TEXT_MODEL_B, "A second call in the same minute.")
        assert text.startswith("Too many requests (429): "), text
        assert f"tenant {user['tenant_id']} reached its limit of 1 requests per minute" in text, text
        # the wait (Retry-After), said once
        waits = re.findall(r"(?:retry after|try again in) (\d+) s", text, re.IGNORECASE)
        assert len(waits) == 1 and 1 <= int(waits[0]) <= 60, text
        # the page still shows the first call's answer, not a result for the refused one
        assert console.page.text_content("#asked") == first["prompt"]
        console.shot("tenant-refused-429")
        assert not console.problems, console.problems
    finally:
        console.close()
