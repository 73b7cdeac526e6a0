"""The console's tenants card (admins) in headless Chromium against the fake backend of
test_web_page.py, taught the registry's four routes: list with status, plan and spend; add a
tenant; disable and enable; add a user whose temporary password is shown once; axe-core clean."""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.axe import axe_violations, describe
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_web_page import (
    FakeBackend,
    _open,
    _sign_in,
    serve_console,
)

pytestmark = pytest.mark.e2e


class RegistryBackend(FakeBackend):
    """The fake backend plus the tenant registry's routes, admins only, as the API answers them."""

    def __init__(self) -> None:
        super().__init__()
        self.registry: dict[str, dict] = {}
        self.members: dict[str, str] = {}  # username -> tenant

    def register(self, tenant, name=None, status="active"):
        self.registry[tenant] = {
            "tenant": tenant,
            "display_name": name or tenant,
            "status": status,
            "created_at": "2026-11-02T09:00:00+00:00",
            "updated_at": "2026-11-02T09:00:00+00:00",
        }

    def api(self, route, query, headers, body):
        if route not in ("tenants", "tenant_create", "tenant_update", "tenant_user"):
            return super().api(route, query, headers, body)
        claims = self.tokens.get(headers.get("Auth", ""))
        if not claims:
            return 401, {"message": "Unauthorized"}, {}
        self.calls.append((route, {"body": body}))
        if "admin" not in claims.get("cognito:groups", []):
            return 403, {"message": "only members of the admin group may manage tenants"}, {}
        if route == "tenants":
            rows = []
            for tenant in sorted(self.registry):
                status = self.status(tenant)
                rows.append(
                    {
                        **self.registry[tenant],
                        "plan": status["plan"],
                        "period": "2026-11",
                        "spend_month_to_date": status["spend_settled"],
                        "spend_in_flight": status["spend_in_flight"],
                    }
                )
            return 200, {"tenants": rows}, {}
        tenant = body["tenant"]
        if route == "tenant_create":
            created = tenant not in self.registry
            if created:
                self.register(tenant, body.get("display_name"))
            return 200, {**self.registry[tenant], "created": created}, {}
        if tenant not in self.registry:
            return 404, {"message": f"tenant {tenant} is not registered", "request_id": "r404"}, {}
        if route == "tenant_update":
            self.registry[tenant]["status"] = body["status"]
            return 200, self.registry[tenant], {}
        owner = self.members.get(body["username"])
        if owner and owner != tenant:
            message = f"user {body['username']} already exists and belongs to tenant {owner}, not {tenant}"
            return 409, {"message": message, "request_id": "r409"}, {}
        answer = {"tenant": tenant, "username": body["username"], "created": owner is None}
        answer["admin"] = body["admin"]
        if owner is None:
            self.members[body["username"]] = tenant
            self.last_password = answer["temporary_password"] = "Tmp-" + secrets.token_urlsafe(12) + "7!"
        return 200, answer, {}


@pytest.fixture(scope="module")
def fake_registry():
    backend = RegistryBackend()
    _config, web_url, servers = serve_console(backend)
    yield {"backend": backend, "web_url": web_url}
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser, fake_registry):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert not errors, errors


def _row(page, tenant):
    return page.locator(f"#tenants-table tbody tr[data-tenant={tenant}]")


def _cells(page, tenant):
    return [c.strip() for c in _row(page, tenant).locator("td").all_text_contents()]


def test_admin_lists_adds_disables_enables_tenants_and_adds_a_user(page, fake_registry):
    backend = fake_registry["backend"]
    backend.add_user("registrar", "Registrar-pass1", "ops", groups=["admin"])
    backend.register("acme", "Acme Corp")
    backend.register("globex", status="disabled")
    backend.plans["acme"] = {**backend.default_plan(), "monthly_budget_usd": "25"}
    backend.spend["acme"] = ("3.125", "0")
    _open(page, fake_registry["web_url"])
    _sign_in(page, "registrar", "Registrar-pass1")
    page.wait_for_selector("#tab-admin:not([hidden])")
    page.click("#tab-admin")
    page.wait_for_selector("#tenants-table tbody tr[data-tenant=acme]")

    # the list: status, plan budget and month-to-date spend, as the API gave them
    assert _cells(page, "acme") == ["acme", "Acme Corp", "active", "25", "3.125", "2026-11-02", "Disable"]
    assert _cells(page, "globex")[:5] == ["globex", "globex", "disabled", "none", "0"]
    assert _row(page, "globex").locator("button").text_content() == "Enable"

    # a malformed id is refused in the page, before any request
    sent = len([c for c in backend.calls if c[0] == "tenant_create"])
    page.fill("#tenant-id", "Bad_Id")
    page.click("#tenant-add")
    page.wait_for_selector("#tenants-error:not([hidden])")
    assert "lowercase letters" in page.text_content("#tenants-error")
    assert len([c for c in backend.calls if c[0] == "tenant_create"]) == sent

    # a new tenant, then the same again (idempotent, and the page says so)
    page.fill("#tenant-id", "initech")
    page.fill("#tenant-name", "Initech")
    page.click("#tenant-add")
    page.wait_for_selector("#tenants-table tbody tr[data-tenant=initech]")
    assert page.text_content("#tenant-message") == "Registered initech."
    assert _cells(page, "initech")[:3] == ["initech", "Initech", "active"]
    page.click("#tenant-add")
    page.wait_for_function("document.getElementById('tenant-message').textContent.includes('already')")
    assert page.input_value("#user-tenant") == "initech"

    # a user: the temporary password is shown once
    page.fill("#user-name", "bob")
    page.fill("#user-email", "bob@initech.example.com")
    page.check("#user-admin")
    page.click("#user-add")
    page.wait_for_selector("#tenant-password-box:not([hidden])")
    password = page.text_content("#tenant-password")
    assert password == backend.last_password
    sent_body = [c for c in backend.calls if c[0] == "tenant_user"][-1][1]["body"]
    email = "bob@initech.example.com"
    assert sent_body == {"tenant": "initech", "username": "bob", "email": email, "admin": True}
    assert page.text_content("#tenant-message") == "Created user bob in initech (admin)."
    found = axe_violations(page)
    assert not found, describe(found)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-tenants.png"), full_page=True)
    runs = "Number(document.getElementById('user-add').dataset.runs || 0)"
    before = page.evaluate(runs)
    page.click("#user-add")  # again: no new user, and the password is gone from the page
    page.wait_for_function(f"{runs} === {before + 1}")
    assert page.is_hidden("#tenant-password-box") and page.text_content("#tenant-password") == ""
    assert "already exists in initech; no user created" in page.text_content("#tenant-message")
    assert password not in page.content()

    # a user of another tenant: the 409 is a sentence naming the owner
    page.fill("#user-tenant", "acme")
    page.click("#user-add")
    page.wait_for_selector("#tenants-error:not([hidden])")
    assert "Conflict (409)" in page.text_content("#tenants-error")
    assert "belongs to tenant initech" in page.text_content("#tenants-error")

    # disable acme, then enable it again
    _row(page, "acme").locator("button").click()
    page.wait_for_selector("#tenants-table tbody tr[data-tenant=acme][data-status=disabled]")
    assert backend.registry["acme"]["status"] == "disabled"
    assert "Disabled acme" in page.text_content("#tenant-message")
    assert _row(page, "acme").locator("button").text_content() == "Enable"
    _row(page, "acme").locator("button").click()
    page.wait_for_selector("#tenants-table tbody tr[data-tenant=acme][data-status=active]")
    assert backend.registry["acme"]["status"] == "active"
    found = axe_violations(page)
    assert not found, describe(found)


def test_a_tenant_never_sees_the_card(page, fake_registry):
    backend = fake_registry["backend"]
    backend.add_user("plain-user", "Plain-pass1", "acme")
    registry_routes = ("tenants", "tenant_create", "tenant_update", "tenant_user")
    before = len([c for c in backend.calls if c[0] in registry_routes])
    _open(page, fake_registry["web_url"])
    _sign_in(page, "plain-user", "Plain-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    assert page.is_hidden("#tab-admin") and page.is_hidden("#tenants-card")
    assert len([c for c in backend.calls if c[0] in registry_routes]) == before
