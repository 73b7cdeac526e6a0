"""The web console in headless Chromium against the whole local stack.

Two fresh tenants (created here with temporary passwords, so each first sign-in goes through the
NEW_PASSWORD_REQUIRED challenge) invoke models through the page; the seeded admin aggregates and
reads every tenant's cost. Expected costs are computed here from catalog.json and the usage the
page showed, never taken from the API.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests

from tests.e2e.axe import axe_violations, describe
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CATALOG = json.loads((REPO / "functions" / "token_profiler" / "catalog.json").read_text())
TEXT_MODEL_A = "amazon.nova-lite-v1:0"  # active: the picker leaves out models past end of life
EMBED_MODEL_A = "amazon.titan-embed-text-v1"
TEXT_MODEL_B = "amazon.nova-micro-v1:0"
INJECTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
# The e2e session's recorder of prompts and tokens sent (its log scan looks for them).
RECORDER: dict = {"session": None}
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")


def utc_day() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def catalog_id(model_id: str) -> str | None:
    """The catalog key of a model id as called (cross-region profile prefixes dropped), or None."""
    if model_id in CATALOG["models"]:
        return model_id
    for prefix in CATALOG["profile_prefixes"]:
        if model_id.startswith(prefix) and model_id[len(prefix) :] in CATALOG["models"]:
            return model_id[len(prefix) :]
    return None


def price_of(model_id: str, region: str) -> dict[str, Decimal]:
    prices = CATALOG["models"][catalog_id(model_id)]["prices"]
    table = prices.get(region) or prices[CATALOG["default_region"]]
    return {key: Decimal(table.get(key, "0")) for key in PRICE_KEYS}


def expected_cost(model_id: str, tokens: dict[str, int], region: str) -> Decimal:
    price = price_of(model_id, region)
    return sum(
        (Decimal(tokens[t]) / 1000 * price[p] for t, p in zip(TOKEN_KEYS, PRICE_KEYS, strict=True)),
        Decimal(0),
    )


def int_text(text: str) -> int:
    return int(text.replace(",", "").strip())


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def stack(local_stack, e2e) -> dict:
    """The local stack's outputs (tests/e2e/conftest.py; E2E_STACK_OUTPUTS reuses a running one)."""
    RECORDER["session"] = e2e
    return local_stack


class Console:
    """One browser tab on the console, with the steps the tests repeat."""

    def __init__(self, browser, url: str, bypass_csp: bool = False):
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=bypass_csp
        )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]")

    def close(self):
        self.context.close()

    def shot(self, name: str, full_page: bool = True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
        # Every view worth a screenshot must also pass axe-core (WCAG 2 A/AA), with real data in it.
        violations = axe_violations(self.page)
        assert not violations, f"[{name}]\n{describe(violations)}"

    def click_and_wait(self, button: str):
        """Click a button that runs a request; return once that run has finished."""
        # A run the page started by itself (a tab's first load) finishes first.
        self.page.wait_for_selector(f"{button}:not([disabled])", timeout=60_000)
        runs = int(self.page.get_attribute(button, "data-runs") or 0)
        self.page.click(button)
        self.page.wait_for_selector(f'{button}[data-runs="{runs + 1}"]', timeout=60_000)

    def sign_in(self, username: str, password: str, new_password: str | None = None, shot: str | None = None):
        p = self.page
        p.fill("#signin-username", username)
        p.fill("#signin-password", password)
        p.click("#signin-submit")
        if new_password:
            p.wait_for_selector("#newpassword-form:not([hidden])")
            p.fill("#newpassword-password", new_password)
            p.fill("#newpassword-confirm", new_password)
            if shot:
                self.shot(shot, full_page=False)
            p.click("#newpassword-submit")
        p.wait_for_selector("#app-view:not([hidden])", timeout=30_000)

    def invoke(self, model_id: str, prompt: str, max_tokens: int = 256) -> dict:
        session = RECORDER["session"]
        if session is not None:
            prompt = session.prompt(prompt)
        p = self.page
        p.click("#tab-invoke")
        p.select_option("#model-select", model_id)
        p.fill("#prompt", prompt)
        if not p.is_disabled("#param-max-tokens"):
            p.fill("#param-max-tokens", str(max_tokens))
        self.click_and_wait("#invoke-submit")
        error = p.locator("#invoke-error")
        assert error.is_hidden(), error.text_content()
        return {
            "prompt": prompt,
            "model_id": p.text_content("#call-model"),
            "answer": p.text_content("#answer"),
            "input_tokens": int_text(p.text_content("#call-input-tokens")),
            "output_tokens": int_text(p.text_content("#call-output-tokens")),
            "cache_read_input_tokens": int_text(p.text_content("#call-cache-read")),
            "cache_write_input_tokens": int_text(p.text_content("#call-cache-write")),
            "cost": p.text_content("#call-cost"),
        }

    def id_token(self) -> str:
        return json.loads(self.page.evaluate("sessionStorage.getItem('btp.session')"))["idToken"]

    def record_tokens(self):
        session = RECORDER["session"]
        if session is not None:
            tokens = json.loads(self.page.evaluate("sessionStorage.getItem('btp.session')"))
            with session.lock:
                session.tokens.update({tokens["idToken"], tokens["accessToken"]})


@pytest.fixture(scope="module")
def tenants(stack) -> dict[str, dict]:
    """Two tenants of this module's own, created with temporary passwords (as an operator would)."""
    cognito = boto3.client("cognito-idp", endpoint_url=stack["aws_endpoint_url"], region_name=stack["region"])
    schema = cognito.describe_user_pool(UserPoolId=stack["user_pool_id"])["UserPool"].get(
        "SchemaAttributes", []
    )
    has_tenant_attr = any(a["Name"] == "custom:tenant_id" for a in schema)
    made = {}
    suffix = secrets.token_hex(3)
    for key in ("a", "b"):
        username = f"web-{key}-{suffix}"
        tenant_id = f"web-tenant-{key}-{suffix}"
        attributes = [{"Name": "email", "Value": f"{username}@example.com"}]
        if has_tenant_attr:
            attributes.append({"Name": "custom:tenant_id", "Value": tenant_id})
        temporary = f"Tmp-{secrets.token_urlsafe(8)}1a!"
        cognito.admin_create_user(
            UserPoolId=stack["user_pool_id"],
            Username=username,
            TemporaryPassword=temporary,
            UserAttributes=attributes,
            MessageAction="SUPPRESS",
        )
        made[key] = {
            "username": username,
            "tenant_id": tenant_id if has_tenant_attr else username,
            "temporary": temporary,
            "password": f"New-{secrets.token_urlsafe(8)}2b!",
            "activated": False,
        }
    return made


def open_as(browser, stack, user: dict, bypass_csp: bool = False, shot: str | None = None) -> Console:
    console = Console(browser, stack["web_url"], bypass_csp=bypass_csp)
    if user.get("activated", True):
        console.sign_in(user["username"], user["password"])
    else:
        console.sign_in(user["username"], user["temporary"], new_password=user["password"], shot=shot)
        user["activated"] = True
    console.record_tokens()
    return console


@pytest.fixture(scope="module")
def ledger(browser, stack, tenants) -> dict:
    """What the tenants invoked through the page, as the page reported it."""
    record = {"calls": [], "first_day": utc_day(), "aggregated": False}
    console = Console(browser, stack["web_url"])
    console.shot("signin", full_page=False)
    console.close()

    a = open_as(browser, stack, tenants["a"], shot="new-password")
    record["calls"].append(
        {"tenant": tenants["a"]["tenant_id"], **a.invoke(EMBED_MODEL_A, "embed this sentence")}
    )
    record["calls"].append(
        {"tenant": tenants["a"]["tenant_id"], **a.invoke(TEXT_MODEL_A, "What does a token profiler measure?")}
    )
    record["calls"].append(
        {
            "tenant": tenants["a"]["tenant_id"],
            **a.invoke(TEXT_MODEL_A, "Name three ways to lower a bill.", 64),
        }
    )
    a.shot("tenant-invoke")
    record["problems"] = list(a.problems)
    record["a_storage"] = a.page.evaluate(
        "[localStorage.length, sessionStorage.getItem('btp.session') !== null]"
    )
    a.close()

    b = open_as(browser, stack, tenants["b"])
    record["calls"].append(
        {"tenant": tenants["b"]["tenant_id"], **b.invoke(TEXT_MODEL_B, "Say hello to tenant B.")}
    )
    record["problems"] += b.problems
    b.close()

    # The seeded tenants too, so the admin sees them; their totals also hold other tests' calls.
    record["seeded_calls"] = []
    for user in (u for u in stack["users"] if not u["admin"]):
        console = open_as(browser, stack, user)
        call = console.invoke(TEXT_MODEL_A, f"Hello from {user['tenant_id']}.")
        record["seeded_calls"].append({"tenant": user["tenant_id"], **call})
        record["problems"] += console.problems
        console.close()
    return record


def sums_by_tenant_model(calls: list[dict]) -> dict[tuple[str, str], dict[str, int]]:
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((*TOKEN_KEYS, "invocations"), 0)
    )
    for call in calls:
        entry = sums[(call["tenant"], call["model_id"])]
        for key in TOKEN_KEYS:
            entry[key] += call[key]
        entry["invocations"] += 1
    return sums


def aggregate_via_api(stack, days: tuple[str, str]):
    admin = next(u for u in stack["users"] if u["admin"])
    cognito = boto3.client("cognito-idp", endpoint_url=stack["aws_endpoint_url"], region_name=stack["region"])
    token = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack["client_id"],
        AuthParameters={"USERNAME": admin["username"], "PASSWORD": admin["password"]},
    )["AuthenticationResult"]["IdToken"]
    body = {"date": days[0]} if days[0] == days[1] else {"start_date": days[0], "end_date": days[1]}
    response = requests.post(
        f"{stack['api_url']}/cost_track_manual", json=body, headers={"Auth": token}, timeout=60
    )
    assert response.status_code == 200, response.text


# ------------------------------------------------------------------------------------------ tests


def test_tenant_signs_in_invokes_and_sees_answer_and_cost(ledger, stack, tenants):
    assert not ledger["problems"], ledger["problems"]
    # Tokens are kept for this tab only.
    assert ledger["a_storage"] == [0, True]
    calls = [c for c in ledger["calls"] if c["tenant"] == tenants["a"]["tenant_id"]]
    text_calls = [c for c in calls if c["model_id"] == TEXT_MODEL_A]
    embed_calls = [c for c in calls if c["model_id"] == EMBED_MODEL_A]
    assert len(text_calls) == 2 and len(embed_calls) == 1
    for call in text_calls:
        assert call["answer"].strip()
        assert call["input_tokens"] > 0 and call["output_tokens"] > 0
    assert embed_calls[0]["answer"].startswith("Embedding with ")
    for call in ledger["calls"]:
        assert Decimal(call["cost"]) == expected_cost(call["model_id"], call, stack["region"]), call


def test_prompt_with_script_injection_is_shown_as_text(browser, stack, tenants, ledger):
    # Without the page's CSP, so that only the page's own handling of text stands between the
    # prompt and the DOM.
    console = open_as(browser, stack, tenants["b"], bypass_csp=True)
    try:
        prompt = f"Repeat this: {INJECTION}"
        call = console.invoke(TEXT_MODEL_B, prompt)
        ledger["calls"].append({"tenant": tenants["b"]["tenant_id"], **call})
        page = console.page
        assert page.text_content("#asked") == call["prompt"]
        assert INJECTION in call["prompt"]
        assert page.locator("#asked *").count() == 0
        assert page.locator("#answer *").count() == 0
        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert not console.problems, console.problems
        console.shot("tenant-injection")
    finally:
        console.close()


def test_admin_aggregates_and_sees_both_tenants_with_right_totals(browser, stack, tenants, ledger, tmp_path):
    admin = next(u for u in stack["users"] if u["admin"])
    console = open_as(browser, stack, admin)
    page = console.page
    try:
        assert page.is_visible("#tab-admin")
        page.click("#tab-admin")
        first, last = ledger["first_day"], utc_day()
        if first != last:
            page.check("#aggregate-mode-range")
            page.fill("#aggregate-end", last)
        page.fill("#aggregate-start", first)
        page.fill("#report-start", first)
        page.fill("#report-end", last)

        mine = {tenants["a"]["tenant_id"], tenants["b"]["tenant_id"]}
        seeded = {c["tenant"] for c in ledger["seeded_calls"]}
        expected = sums_by_tenant_model(ledger["calls"])
        seeded_minimum = sums_by_tenant_model(ledger["seeded_calls"])
        seen: dict[tuple[str, str], dict] = {}
        # The usage lines reach the logs asynchronously: aggregate again (it is idempotent) until
        # every invocation made above is counted, for a bounded number of tries.
        for _ in range(10):
            console.click_and_wait("#aggregate-submit")
            assert page.locator("#aggregate-error").is_hidden(), page.text_content("#aggregate-error")
            assert page.text_content("#aggregate-message") == "Calculation Finished!"
            console.click_and_wait("#report-load")
            assert page.locator("#report-error").is_hidden(), page.text_content("#report-error")
            seen = {}
            for row in page.locator("#report-table tbody tr[data-tenant]").all():
                cells = [c.text_content() for c in row.locator("td").all()]
                seen[(row.get_attribute("data-tenant"), row.get_attribute("data-model"))] = {
                    "invocations": int_text(cells[3]),
                    "input_tokens": int_text(cells[4]),
                    "output_tokens": int_text(cells[5]),
                    "cache_read_input_tokens": int_text(cells[6].split("/")[0]),
                    "cache_write_input_tokens": int_text(cells[6].split("/")[1]),
                    "total_cost": cells[9],
                }
            complete = all(
                seen.get(k, {}).get("invocations") == v["invocations"] for k, v in expected.items()
            )
            complete &= all(
                seen.get(k, {}).get("invocations", 0) >= v["invocations"] for k, v in seeded_minimum.items()
            )
            if complete:
                break
            page.wait_for_timeout(1000)
        ledger["aggregated"] = True

        # This module's tenants: one row per model, tokens equal to what the invocations reported.
        assert {k for k in seen if k[0] in mine} == set(expected)
        for key, sums in expected.items():
            for field in (*TOKEN_KEYS, "invocations"):
                assert seen[key][field] == sums[field], (key, field)
        # The seeded tenants: at least the calls made above.
        for key, sums in seeded_minimum.items():
            assert seen[key]["invocations"] >= sums["invocations"], key

        # Every row's cost is its tokens at the catalog's prices (rows of models outside the
        # catalog are not priced here and are checked only for being summed right).
        for (tenant, model), row in seen.items():
            if catalog_id(model) is not None and not row["total_cost"].endswith("(unpriced)"):
                assert Decimal(row["total_cost"]) == expected_cost(model, row, stack["region"]), (
                    tenant,
                    model,
                )

        # Totals per tenant: this module's from the ledger and the catalog; every tenant's from its rows.
        for tenant in mine | seeded:
            shown = Decimal(page.text_content(f'#tenant-totals tr[data-tenant="{tenant}"] .total-cost'))
            rows_sum = sum(
                (Decimal(r["total_cost"].split()[0]) for (t, _), r in seen.items() if t == tenant), Decimal(0)
            )
            assert shown == rows_sum, tenant
            if tenant in mine:
                total = sum(
                    (expected_cost(m, s, stack["region"]) for (t, m), s in expected.items() if t == tenant),
                    Decimal(0),
                )
                assert shown == total, tenant
                invocations = sum(s["invocations"] for (t, _), s in expected.items() if t == tenant)
                cells = page.locator(f'#tenant-totals tr[data-tenant="{tenant}"] td').all()
                assert int_text(cells[1].text_content()) == invocations

        # The grand total is the exact sum of the tenants' totals shown.
        shown_totals = [
            Decimal(c.text_content()) for c in page.locator("#tenant-totals tbody .total-cost").all()
        ]
        assert Decimal(page.text_content("#grand-cost")) == sum(shown_totals, Decimal(0))
        assert page.locator("#report-chart rect.bar").count() >= len(mine | seeded)
        legend = {li.text_content() for li in page.locator("#report-chart .legend li").all()}
        assert mine | seeded <= legend

        with page.expect_download() as info:
            page.click("#report-csv")
        target = tmp_path / "report.csv"
        info.value.save_as(target)
        rows = list(csv.DictReader(io.StringIO(target.read_text())))
        csv_mine = {(r["tenant"], r["model_id"]): r for r in rows if r["tenant"] in mine}
        assert set(csv_mine) == set(expected)
        for key, row in csv_mine.items():
            assert int(row["input_tokens"]) == expected[key]["input_tokens"]
            assert Decimal(row["total_cost"]) == Decimal(seen[key]["total_cost"])
        assert {(r["tenant"], r["model_id"]) for r in rows} == set(seen)

        page.fill("#report-tenant", tenants["a"]["tenant_id"])
        page.wait_for_timeout(200)
        shown = {
            r.get_attribute("data-tenant") for r in page.locator("#report-table tbody tr[data-tenant]").all()
        }
        assert shown == {tenants["a"]["tenant_id"]}
        page.fill("#report-tenant", "")
        console.shot("admin")
        assert not console.problems, console.problems
    finally:
        console.close()


def test_tenant_sees_no_admin_controls_and_only_own_history(browser, stack, tenants, ledger):
    first, last = ledger["first_day"], utc_day()
    if not ledger["aggregated"]:
        aggregate_via_api(stack, (first, last))
    tenant = tenants["a"]
    console = open_as(browser, stack, tenant)
    page = console.page
    try:
        assert not page.is_visible("#tab-admin")
        assert not page.is_visible("#admin-panel")
        assert not page.is_visible("#aggregate-submit")
        assert not page.is_visible("#report-load")
        assert not page.is_visible("#who-admin")
        assert page.text_content("#who-tenant") == f"tenant {tenant['tenant_id']}"

        page.click("#tab-usage")
        page.fill("#usage-start", first)
        page.fill("#usage-end", last)
        console.click_and_wait("#usage-load")
        assert page.locator("#usage-error").is_hidden(), page.text_content("#usage-error")

        expected = {
            model: sums
            for (t, model), sums in sums_by_tenant_model(ledger["calls"]).items()
            if t == tenant["tenant_id"]
        }
        rows = page.locator("#usage-table tbody tr[data-model]").all()
        assert {r.get_attribute("data-model") for r in rows} == set(expected)
        assert int_text(page.text_content("#usage-total-invocations")) == sum(
            s["invocations"] for s in expected.values()
        )
        total = sum((expected_cost(m, s, stack["region"]) for m, s in expected.items()), Decimal(0))
        assert Decimal(page.text_content("#usage-total-cost")) == total
        assert page.locator("#usage-chart rect.bar").count() >= 1
        console.shot("tenant-usage")

        # The API itself answers a tenant with its own rows only, whatever the request asks.
        token = console.id_token()
        for body in ({"start_date": first, "end_date": last}, {}):
            response = requests.post(
                f"{stack['api_url']}/ddb_cost_retrieval", json=body, headers={"Auth": token}, timeout=30
            )
            assert response.status_code == 200, response.text
            assert {item["name"] for item in response.json()["body"]} <= {tenant["tenant_id"]}
        other = requests.post(
            f"{stack['api_url']}/ddb_cost_retrieval",
            json={"tenant": tenants["b"]["tenant_id"]},
            headers={"Auth": token},
            timeout=30,
        )
        assert other.status_code == 403
        assert not console.problems, console.problems
    finally:
        console.close()


def test_admin_writes_statements_and_a_tenant_downloads_its_own(browser, stack, tenants, ledger, tmp_path):
    """The Statements tab: the admin writes this month's statement of tenant A through the page,
    then tenant A lists its statements and downloads the CSV through the presigned link; its total
    is the cost of the calls the page reported, priced here from catalog.json."""
    first, last = ledger["first_day"], utc_day()
    aggregate_via_api(stack, (first, last))
    month = last[:7]
    tenant = tenants["a"]
    admin_user = next(u for u in stack["users"] if u["admin"])
    admin = open_as(browser, stack, admin_user)
    try:
        page = admin.page
        page.click("#tab-statements")
        assert page.is_visible("#statements-generate-form")
        page.fill("#statements-generate-month", month)
        page.fill("#statements-generate-tenant", tenant["tenant_id"])
        admin.click_and_wait("#statements-generate")
        assert page.locator("#statements-generate-error").is_hidden(), page.text_content(
            "#statements-generate-error"
        )
        assert page.text_content("#statements-generated") == f"Wrote 1 statement for {month}."
        assert not admin.problems, admin.problems
    finally:
        admin.close()

    expected = {
        model: sums
        for (t, model), sums in sums_by_tenant_model(ledger["calls"]).items()
        if t == tenant["tenant_id"]
    }
    total = sum((expected_cost(m, s, stack["region"]) for m, s in expected.items()), Decimal(0))

    console = open_as(browser, stack, tenant)
    try:
        page = console.page
        page.click("#tab-statements")
        page.wait_for_selector(f'#statements-table tbody tr[data-month="{month}"]', timeout=60_000)
        assert not page.is_visible("#statements-generate-form")  # admins only
        assert not page.is_visible("#statements-tenant")
        rows = page.locator("#statements-table tbody tr").all()
        assert {r.get_attribute("data-tenant") for r in rows} == {tenant["tenant_id"]}
        row = page.locator(f'#statements-table tbody tr[data-month="{month}"]')
        assert Decimal(row.locator("td.num").get_attribute("data-total")) == total
        console.shot("tenant-statements")

        with page.expect_download(timeout=30_000) as info:
            row.locator('button[data-format="csv"]').click()
        target = tmp_path / "statement.csv"
        info.value.save_as(target)
        records = list(csv.DictReader(io.StringIO(target.read_text())))
        (total_record,) = [r for r in records if r["record"] == "total"]
        assert Decimal(total_record["total_cost"]) == total
        assert {r["tenant"] for r in records} == {tenant["tenant_id"]}
        assert {r["model_id"] for r in records if r["record"] == "line"} == set(expected)
        assert int(total_record["invocations"]) == sum(s["invocations"] for s in expected.values())
        assert not console.problems, console.problems

        # the API refuses the other tenant's statement to this tenant
        response = requests.post(
            f"{stack['api_url']}/statement_download",
            json={"month": month, "format": "csv", "tenant": tenants["b"]["tenant_id"]},
            headers={"Auth": console.id_token()},
            timeout=30,
        )
        assert response.status_code == 403
    finally:
        console.close()
