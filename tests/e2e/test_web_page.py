"""The web console in headless Chromium against a small fake backend (Cognito + API on loopback).

This exercises what the local stack cannot easily provoke: a Credential override with no config.js,
short-lived tokens that must be refreshed, API errors, exact decimal totals and the CSV download.
The whole-stack journeys live in test_web.py.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import mimetypes
import secrets
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.axe import axe_violations, describe
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
STAGE = "fake_prod"
CLIENT_ID = "fakeclient123"
MODELS = [
    {"model_id": "anthropic.claude-3-haiku-20240307-v1:0", "kind": "text", "label": "Claude 3 Haiku"},
    {
        "model_id": "amazon.titan-embed-text-v1",
        "kind": "embedding",
        "label": "Titan Embeddings G1",
        "status": "legacy",
    },
]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeBackend:
    """Cognito's JSON API and the three routes, just enough for the page; tokens are unsigned."""

    def __init__(self) -> None:
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}  # id token -> claims
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> username
        self.rows: list[dict] = []
        self.token_lifetime = 3600
        self.calls: list[tuple[str, dict]] = []
        self.next_error: tuple[int, dict, dict] | None = None
        self.page_size = 5000  # items per ddb_cost_retrieval answer, as the API's default limit
        # tenant plans: tenant -> stored plan, tenant -> (settled, in flight) as decimal strings
        self.plans: dict[str, dict] = {}
        self.spend: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()

    def add_user(self, username, password, tenant, groups=(), temporary=False):
        self.users[username] = {
            "password": password,
            "tenant": tenant,
            "groups": list(groups),
            "temp": temporary,
        }

    def issue(self, username: str) -> dict:
        user = self.users[username]
        now = int(time.time())
        claims = {
            "sub": secrets.token_hex(8),
            "cognito:username": username,
            "custom:tenant_id": user["tenant"],
            "token_use": "id",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + self.token_lifetime,
            "nonce": secrets.token_hex(4),
        }
        if user["groups"]:
            claims["cognito:groups"] = user["groups"]
        id_token = f"{_b64({'alg': 'none'})}.{_b64(claims)}.sig"
        refresh = secrets.token_hex(16)
        with self.lock:
            self.tokens[id_token] = claims
            self.refresh_tokens[refresh] = username
        return {
            "IdToken": id_token,
            "AccessToken": secrets.token_hex(16),
            "RefreshToken": refresh,
            "ExpiresIn": 1,
        }

    # -- Cognito
    def cognito(self, action: str, body: dict) -> tuple[int, dict]:
        self.calls.append((action, body))
        if body.get("ClientId") != CLIENT_ID and action != "GlobalSignOut":
            return 400, {"__type": "ResourceNotFoundException", "message": "User pool client does not exist."}
        if action == "InitiateAuth" and body["AuthFlow"] == "USER_PASSWORD_AUTH":
            params = body["AuthParameters"]
            user = self.users.get(params["USERNAME"])
            if not user or user["password"] != params["PASSWORD"]:
                return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
            if user["temp"]:
                return 200, {
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": "session-" + params["USERNAME"],
                    "ChallengeParameters": {"USER_ID_FOR_SRP": params["USERNAME"]},
                }
            return 200, {"AuthenticationResult": self.issue(params["USERNAME"])}
        if action == "InitiateAuth" and body["AuthFlow"] == "REFRESH_TOKEN_AUTH":
            username = self.refresh_tokens.get(body["AuthParameters"]["REFRESH_TOKEN"])
            if not username:
                return 400, {"__type": "NotAuthorizedException", "message": "Invalid Refresh Token"}
            result = self.issue(username)
            del result["RefreshToken"]  # as Cognito does: the refresh token is kept
            return 200, {"AuthenticationResult": result}
        if action == "RespondToAuthChallenge":
            username = body["ChallengeResponses"]["USERNAME"]
            if body.get("Session") != "session-" + username:
                return 400, {"__type": "NotAuthorizedException", "message": "Invalid session"}
            self.users[username].update(password=body["ChallengeResponses"]["NEW_PASSWORD"], temp=False)
            return 200, {"AuthenticationResult": self.issue(username)}
        if action == "GlobalSignOut":
            return 200, {}
        return 400, {"__type": "InvalidParameterException", "message": f"unsupported {action}"}

    # -- API
    def api(self, route: str, query: dict, headers, body: dict) -> tuple[int, dict | list, dict]:
        claims = self.tokens.get(headers.get("Auth", ""))
        if not claims or claims["exp"] <= time.time():
            return 401, {"message": "Unauthorized"}, {}
        self.calls.append((route, {"auth": headers.get("Auth"), "body": body, "query": query}))
        # the budget bar's refresh runs beside other calls: a staged error is for the call under test
        if self.next_error and route != "tenant_status":
            status, payload, extra = self.next_error
            self.next_error = None
            return status, payload, extra
        admin = "admin" in claims.get("cognito:groups", [])
        tenant = claims["custom:tenant_id"]
        if route == "invoke_model":
            model_id = query.get("model_id", [""])[0]
            usage = {
                "input_tokens": 12,
                "output_tokens": 34,
                "cache_read_input_tokens": 0,
                "cache_write_input_tokens": 0,
                "cost": "0.0000455",
            }
            if "embed" in model_id:
                return 200, [{"embedding": [0.125, -0.5, 0.25], "usage": usage}], {}
            return 200, [{"generated_text": "Echo: " + body["inputs"], "usage": usage}], {}
        if route == "ddb_cost_retrieval":
            rows = [r for r in self.rows if body["start_date"] <= r["date"] <= body["end_date"]]
            if not admin:
                rows = [r for r in rows if r["name"] == tenant]
            if body.get("tenant"):
                rows = [r for r in rows if r["name"] == body["tenant"]]
            # Paged like the API: a token is a position, sent back with the same filters.
            start = int(body.get("next_token") or 0)
            answer = {"body": rows[start : start + self.page_size]}
            if start + self.page_size < len(rows):
                answer["next_token"] = str(start + self.page_size)
            return 200, answer, {}
        if route == "cost_track_manual":
            if not admin:
                return 403, {"message": "admin group required", "request_id": "req-403"}, {}
            return 200, {"body": "Calculation Finished!", "dates": [body.get("date")], "rows_written": 2}, {}
        if route == "tenant_plan":
            if not admin:
                return 403, {"message": "only members of the admin group may read or change tenant plans"}, {}
            fields = {k: v for k, v in body.items() if k != "tenant"}
            stored = self.plans.get(body["tenant"])
            plan = dict(stored or self.default_plan())
            if fields:
                plan.update(fields)
                self.plans[body["tenant"]] = plan
            return 200, {"tenant": body["tenant"], "default": not (stored or fields), **plan}, {}
        if route == "tenant_status":
            if admin and not body.get("tenant"):
                tenants = sorted(set(self.plans) | set(self.spend))
                return 200, [self.status(t) for t in tenants], {}
            return 200, self.status(body.get("tenant") if admin else tenant), {}
        return 404, {"message": "no such route"}, {}

    @staticmethod
    def default_plan() -> dict:
        return {
            "monthly_budget_usd": None,
            "hard": True,
            "alert_thresholds": [50, 80, 100],
            "requests_per_minute": 0,
            "tokens_per_minute": 0,
            "models": [],
        }

    def status(self, tenant: str) -> dict:
        plan = self.plans.get(tenant) or self.default_plan()
        settled, in_flight = self.spend.get(tenant, ("0", "0"))
        budget = plan["monthly_budget_usd"]
        remaining = None
        if budget is not None:
            remaining = str(max(Decimal(0), Decimal(budget) - Decimal(settled) - Decimal(in_flight)))
        return {
            "tenant": tenant,
            "plan": plan,
            "period": "2026-11",
            "period_start": "2026-11-01T00:00:00+00:00",
            "period_end": "2026-12-01T00:00:00+00:00",
            "spend_settled": settled,
            "spend_in_flight": in_flight,
            "remaining": remaining,
        }


def _handler(backend: FakeBackend, web_root: Path, extra_files: dict[str, tuple[str, bytes]]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _send(self, status, payload, ctype="application/json", extra=None):
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "Retry-After")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self):
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Auth, X-Amz-Target")
            self.end_headers()

        def do_GET(self):
            path = urlsplit(self.path).path.lstrip("/") or "index.html"
            if path in extra_files:
                ctype, data = extra_files[path]
                return self._send(200, data, ctype)
            file = (web_root / path).resolve()
            if web_root not in file.parents or not file.is_file():
                return self._send(404, b"not found", "text/plain")
            ctype = (
                CONTENT_TYPES.get(file.suffix)
                or mimetypes.guess_type(file.name)[0]
                or "application/octet-stream"
            )
            return self._send(200, file.read_bytes(), ctype)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            target = self.headers.get("X-Amz-Target", "")
            if target.startswith("AWSCognitoIdentityProviderService."):
                status, payload = backend.cognito(target.split(".", 1)[1], body)
                return self._send(status, payload, "application/x-amz-json-1.1")
            parts = urlsplit(self.path)
            route = parts.path.removeprefix(f"/{STAGE}/")
            status, payload, extra = backend.api(route, parse_qs(parts.query), self.headers, body)
            return self._send(status, payload, extra=extra)

    return Handler


def _serve(handler) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def serve_console(backend) -> tuple[dict, str, list]:
    """Serve ``backend`` (the API and Cognito) and the console configured for it, on loopback:
    (the console's config, the console's URL, the servers to shut down)."""
    backend_url, backend_server = _serve(_handler(backend, WEB, {}))
    config = {
        "region": "us-east-1",
        "userPoolId": "us-east-1_fake",
        "clientId": CLIENT_ID,
        "apiUrl": f"{backend_url}/{STAGE}",
        "cognitoEndpoint": f"{backend_url}/",
        "adminGroup": "admin",
    }
    files = {
        "config.js": ("text/javascript", f"window.APP_CONFIG = {json.dumps(config)};\n".encode()),
        "models.json": ("application/json", json.dumps(MODELS).encode()),
    }
    web_url, web_server = _serve(_handler(backend, WEB, files))
    return config, web_url, [backend_server, web_server]


@pytest.fixture(scope="module")
def fake():
    backend = FakeBackend()
    config, web_url, servers = serve_console(backend)
    # The same files with neither config.js nor models.json: the Credential dialog must do.
    bare_url, bare_server = _serve(_handler(backend, WEB, {}))
    yield {"backend": backend, "web_url": web_url, "bare_url": bare_url, "config": config}
    for server in (*servers, bare_server):
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser, fake):
    fake["backend"].token_lifetime = 3600
    fake["backend"].next_error = None
    fake["backend"].page_size = 5000
    # bypass_csp: wait_for_function evaluates strings, which the page's own CSP forbids.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert not errors, errors


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def _sign_in(page, username, password):
    page.fill("#signin-username", username)
    page.fill("#signin-password", password)
    page.click("#signin-submit")


def _token_in_session(page) -> str:
    return json.loads(page.evaluate("sessionStorage.getItem('btp.session')"))["idToken"]


def test_credential_dialog_configures_a_page_without_config(page, fake):
    backend = fake["backend"]
    backend.add_user("cred-user", "Passw0rd!x", "tenant-c")
    _open(page, fake["bare_url"])
    assert "open Credential" in page.text_content("#notice")
    # Signing in before the settings exist names what is missing.
    _sign_in(page, "cred-user", "Passw0rd!x")
    assert "Missing settings" in page.text_content("#signin-error")

    page.click("#credential-button")
    cfg = fake["config"]
    page.fill("#cred-api-url", "http://example.com/api")
    page.fill("#cred-client-id", cfg["clientId"])
    page.click("#credential-save")
    assert "https" in page.text_content("#credential-error")  # plain http off-loopback is refused
    page.fill("#cred-region", cfg["region"])
    page.fill("#cred-user-pool-id", cfg["userPoolId"])
    page.fill("#cred-api-url", cfg["apiUrl"])
    page.fill("#cred-cognito-endpoint", cfg["cognitoEndpoint"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "credential.png"))
    page.click("#credential-save")
    assert not page.is_visible("#credential-dialog")

    # Kept for this tab only.
    override = json.loads(page.evaluate("sessionStorage.getItem('btp.config-override')"))
    assert override["apiUrl"] == cfg["apiUrl"]
    assert page.evaluate("localStorage.length") == 0
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    _sign_in(page, "cred-user", "Passw0rd!x")
    page.wait_for_selector("#app-view:not([hidden])")
    # Without models.json the model is typed in.
    assert page.is_visible("#model-input")
    assert not page.is_visible("#model-select")


def test_new_password_challenge_is_answered_in_the_page(page, fake):
    backend = fake["backend"]
    backend.add_user("newbie", "Temp0rary!", "tenant-n", temporary=True)
    _open(page, fake["web_url"])
    _sign_in(page, "newbie", "Temp0rary!")
    page.wait_for_selector("#newpassword-form:not([hidden])")
    page.fill("#newpassword-password", "Brand-new-1")
    page.fill("#newpassword-confirm", "Brand-new-2")
    page.click("#newpassword-submit")
    assert "differ" in page.text_content("#signin-error")
    page.fill("#newpassword-confirm", "Brand-new-1")
    page.click("#newpassword-submit")
    page.wait_for_selector("#app-view:not([hidden])")
    assert page.text_content("#who-tenant") == "tenant tenant-n"
    assert backend.users["newbie"]["password"] == "Brand-new-1"
    assert page.evaluate("localStorage.length") == 0


def test_wrong_password_is_a_readable_message(page, fake):
    fake["backend"].add_user("someone", "Right-pass1", "tenant-s")
    _open(page, fake["web_url"])
    _sign_in(page, "someone", "wrong")
    page.wait_for_selector("#signin-error:not([hidden])")
    assert "Wrong user name or password" in page.text_content("#signin-error")
    assert page.is_visible("#signin-view")


def test_tokens_are_refreshed_before_they_expire(page, fake):
    backend = fake["backend"]
    backend.add_user("short", "Short-lived1", "tenant-r")
    backend.token_lifetime = 4  # refreshed half-way, after about 2 s
    _open(page, fake["web_url"])
    _sign_in(page, "short", "Short-lived1")
    page.wait_for_selector("#app-view:not([hidden])")
    first = _token_in_session(page)
    with page.expect_request(
        lambda r: r.method == "POST" and "REFRESH_TOKEN_AUTH" in (r.post_data or ""), timeout=10_000
    ):
        pass
    page.wait_for_function(
        f"JSON.parse(sessionStorage.getItem('btp.session')).idToken !== {json.dumps(first)}"
    )
    time.sleep(4.5)  # the first token has expired by now; the page must be using a refreshed one
    page.select_option("#model-select", MODELS[0]["model_id"])
    page.fill("#prompt", "still signed in?")
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-result:not([hidden])")
    assert page.text_content("#answer") == "Echo: still signed in?"
    sent = [c for c in backend.calls if c[0] == "invoke_model"][-1][1]["auth"]
    assert sent != first


def test_api_errors_show_as_sentences(page, fake):
    backend = fake["backend"]
    backend.add_user("errs", "Errors-pass1", "tenant-e")
    _open(page, fake["web_url"])
    _sign_in(page, "errs", "Errors-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    backend.next_error = (429, {"message": "Rate exceeded", "request_id": "abc-123"}, {"Retry-After": "7"})
    page.fill("#prompt", "hello")
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-error:not([hidden])")
    text = page.text_content("#invoke-error")
    assert text == "Too many requests (429): Rate exceeded Try again in 7 s. [request abc-123]"
    backend.next_error = (400, {"message": "parameters.temperature must be between 0 and 1, got 3"}, {})
    page.click("#invoke-submit")
    page.wait_for_function("document.querySelector('#invoke-error').textContent.includes('temperature')")
    assert page.text_content("#invoke-error").startswith("Bad request (400): parameters.temperature")


def test_embedding_answer_and_parameters(page, fake):
    backend = fake["backend"]
    backend.add_user("emb", "Embed-pass1", "tenant-m")
    _open(page, fake["web_url"])
    _sign_in(page, "emb", "Embed-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    page.select_option("#model-select", MODELS[1]["model_id"])
    # a legacy model is marked in the picker, an active one is not
    legacy = page.text_content(f'#model-select option[value="{MODELS[1]["model_id"]}"]')
    active = page.text_content(f'#model-select option[value="{MODELS[0]["model_id"]}"]')
    assert legacy == f"Titan Embeddings G1 (legacy) — {MODELS[1]['model_id']}"
    assert active == f"Claude 3 Haiku — {MODELS[0]['model_id']}"
    assert page.is_disabled("#param-temperature")
    page.fill("#prompt", "vectorise me")
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-result:not([hidden])")
    assert page.text_content("#answer").startswith("Embedding with 3 dimensions")
    call = [c for c in backend.calls if c[0] == "invoke_model"][-1][1]
    assert call["query"]["model_id"] == [MODELS[1]["model_id"]]
    assert call["body"] == {"inputs": "vectorise me"}
    page.select_option("#model-select", MODELS[0]["model_id"])
    page.fill("#param-max-tokens", "64")
    page.fill("#param-temperature", "0.2")
    page.fill("#param-top-p", "0.5")
    page.click("#invoke-submit")
    page.wait_for_function("document.querySelector('#answer').textContent.startsWith('Echo')")
    call = [c for c in backend.calls if c[0] == "invoke_model"][-1][1]
    assert call["body"]["parameters"] == {"maxTokenCount": 64, "temperature": 0.2, "topP": 0.5}
    assert page.text_content("#call-cost") == "0.0000455"


def _row(date, tenant, model, cost, invocations=1):
    return {
        "date": date,
        "name": tenant,
        "pk": tenant,
        "model_id": model,
        "input_tokens": "10",
        "output_tokens": "20",
        "cache_read_input_tokens": "0",
        "cache_write_input_tokens": "0",
        "invocations": str(invocations),
        "input_cost": "0",
        "output_cost": cost,
        "cache_read_cost": "0",
        "cache_write_cost": "0",
        "total_cost": cost,
        "unpriced": False,
    }


def test_admin_totals_are_exact_and_csv_is_safe(page, fake, tmp_path):
    backend = fake["backend"]
    backend.add_user("boss", "Admin-pass1", "ops", groups=["admin"])
    model = MODELS[0]["model_id"]
    # 0.1 + 0.2 is not 0.3 in floating point; 1E-7 arrives in exponent form.
    backend.rows = [
        _row("2026-01-02", "alpha", model, "0.1"),
        _row("2026-01-02", "beta", model, "0.00003"),
        _row("2026-01-03", "alpha", model, "0.2"),
        _row("2026-01-03", "alpha", "amazon.titan-embed-text-v1", "1E-7"),
        _row("2026-01-03", "=HYPERLINK(1)", model, "5", invocations=2),
    ]
    _open(page, fake["web_url"])
    _sign_in(page, "boss", "Admin-pass1")
    page.wait_for_selector("#tab-admin:not([hidden])")
    page.click("#tab-admin")
    page.fill("#report-start", "2026-01-01")
    page.fill("#report-end", "2026-01-31")
    page.click("#report-load")
    page.wait_for_selector("#tenant-totals tbody tr[data-tenant=alpha]")
    assert page.text_content("#tenant-totals tr[data-tenant=alpha] .total-cost") == "0.3000001"
    assert page.text_content("#tenant-totals tr[data-tenant=beta] .total-cost") == "0.00003"
    assert page.text_content("#grand-cost") == str(Decimal("5.3000301"))
    assert page.locator("#report-table tbody tr").count() == 5
    assert page.locator("#report-chart rect.bar").count() == 4

    page.fill("#report-tenant", "alp")
    assert page.locator("#report-table tbody tr").count() == 3
    assert page.text_content("#grand-cost") == "0.3000001"
    page.fill("#report-tenant", "")

    with page.expect_download() as info:
        page.click("#report-csv")
    target = tmp_path / "report.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 5
    assert {r["tenant"] for r in rows} == {"alpha", "beta", "'=HYPERLINK(1)"}
    assert sum(Decimal(r["total_cost"]) for r in rows) == Decimal("5.3000301")

    # Aggregation: one day, and a range.
    page.fill("#aggregate-start", "2026-01-03")
    page.click("#aggregate-submit")
    page.wait_for_selector("#aggregate-result:not([hidden])")
    assert page.text_content("#aggregate-message") == "Calculation Finished!"
    assert [c for c in backend.calls if c[0] == "cost_track_manual"][-1][1]["body"] == {"date": "2026-01-03"}
    page.check("#aggregate-mode-range")
    page.fill("#aggregate-end", "2026-01-05")
    page.click("#aggregate-submit")
    page.wait_for_function(
        "document.querySelector('#aggregate-submit').disabled === false"
        " && !document.querySelector('#aggregate-result').hidden"
    )
    body = [c for c in backend.calls if c[0] == "cost_track_manual"][-1][1]["body"]
    assert body == {"start_date": "2026-01-03", "end_date": "2026-01-05"}


def test_sign_out_forgets_the_tokens(page, fake):
    fake["backend"].add_user("leaver", "Leaver-pass1", "tenant-l")
    _open(page, fake["web_url"])
    _sign_in(page, "leaver", "Leaver-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('btp.session')")
    page.click("#signout-button")
    page.wait_for_selector("#signin-view:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('btp.session')") is None
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.is_visible("#signin-view")
    assert not page.is_visible("#app-view")


def test_server_text_with_markup_stays_text(page, fake):
    backend = fake["backend"]
    backend.add_user("xss", "Markup-pass1", "tenant-x")
    _open(page, fake["web_url"])
    _sign_in(page, "xss", "Markup-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'
    page.fill("#prompt", payload)
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-result:not([hidden])")
    # The fake echoes the prompt back as the model's answer: server text full of markup.
    assert page.text_content("#answer") == "Echo: " + payload
    assert page.text_content("#asked") == payload
    assert page.locator("#invoke-result img, #invoke-result script, #invoke-result b").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # An error message carrying markup is text too.
    backend.next_error = (400, {"message": '<img src=y onerror="window.__pwned=3">'}, {})
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-error:not([hidden])")
    assert "<img src=y" in page.text_content("#invoke-error")
    assert page.locator("#invoke-error *").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_refused_refresh_signs_out_with_a_message(page, fake):
    backend = fake["backend"]
    backend.add_user("revoked", "Revoked-pass1", "tenant-v")
    backend.token_lifetime = 3
    _open(page, fake["web_url"])
    _sign_in(page, "revoked", "Revoked-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    with backend.lock:
        backend.refresh_tokens.clear()  # as if an administrator had signed the user out everywhere
    page.wait_for_selector("#signin-view:not([hidden])", timeout=10_000)
    assert "session has expired" in page.text_content("#notice")
    assert page.evaluate("sessionStorage.getItem('btp.session')") is None


def _paged_rows(count: int, tenants: tuple[str, ...]) -> list[dict]:
    """count rows over several days, tenants and both models, with costs that do not round well."""
    models = [m["model_id"] for m in MODELS]
    return [
        _row(
            f"2026-02-{1 + i % 28:02d}",
            tenants[i % len(tenants)],
            models[(i // len(tenants)) % 2],
            f"0.{i:03d}00007",
            invocations=1 + i % 3,
        )
        for i in range(count)
    ]


def _retrievals(backend) -> list[dict]:
    return [c[1]["body"] for c in backend.calls if c[0] == "ddb_cost_retrieval"]


def test_admin_view_follows_every_page(page, fake, tmp_path):
    backend = fake["backend"]
    backend.add_user("pager", "Pager-pass1", "ops", groups=["admin"])
    backend.rows = _paged_rows(25, ("alpha", "beta", "gamma"))
    backend.page_size = 10  # three pages: 10 + 10 + 5
    expected = sum(Decimal(r["total_cost"]) for r in backend.rows)
    per_tenant = {t: Decimal(0) for t in ("alpha", "beta", "gamma")}
    for r in backend.rows:
        per_tenant[r["name"]] += Decimal(r["total_cost"])
    invocations = sum(int(r["invocations"]) for r in backend.rows)
    _open(page, fake["web_url"])
    _sign_in(page, "pager", "Pager-pass1")
    page.wait_for_selector("#tab-admin:not([hidden])")
    page.click("#tab-admin")
    page.fill("#report-start", "2026-02-01")
    page.fill("#report-end", "2026-02-28")
    before = len(_retrievals(backend))
    page.click("#report-load")
    page.wait_for_function("document.querySelector('#report-load').dataset.runs === '1'")
    sent = _retrievals(backend)[before:]
    assert [b.get("next_token") for b in sent] == [None, "10", "20"]
    assert all(b["start_date"] == "2026-02-01" and b["end_date"] == "2026-02-28" for b in sent)
    assert page.text_content("#report-progress") == "All 25 rows loaded (3 pages)."
    assert page.locator("#report-table tbody tr").count() == 25
    assert Decimal(page.text_content("#grand-cost")) == expected
    assert page.text_content("#grand-invocations") == str(invocations)
    for tenant, cost in per_tenant.items():
        assert Decimal(page.text_content(f"#tenant-totals tr[data-tenant={tenant}] .total-cost")) == cost
    with page.expect_download() as info:
        page.click("#report-csv")
    target = tmp_path / "paged.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 25
    assert sum(Decimal(r["total_cost"]) for r in rows) == expected


def test_tenant_usage_follows_every_page(page, fake):
    backend = fake["backend"]
    backend.add_user("pagedtenant", "Paged-pass1", "delta")
    backend.rows = _paged_rows(14, ("delta",)) + _paged_rows(6, ("other",))
    backend.page_size = 5  # the tenant's 14 rows in three pages
    own = [r for r in backend.rows if r["name"] == "delta"]
    _open(page, fake["web_url"])
    _sign_in(page, "pagedtenant", "Paged-pass1")
    page.wait_for_selector("#app-view:not([hidden])")
    page.click("#tab-usage")  # loads the last seven days at once
    page.wait_for_function("document.querySelector('#usage-load').dataset.runs === '1'")
    page.fill("#usage-start", "2026-02-01")
    page.fill("#usage-end", "2026-02-28")
    page.click("#usage-load")
    page.wait_for_function("document.querySelector('#usage-load').dataset.runs === '2'")
    assert page.text_content("#usage-progress") == "All 14 rows loaded (3 pages)."
    assert page.locator("#usage-table tbody tr").count() == 14
    assert Decimal(page.text_content("#usage-total-cost")) == sum(Decimal(r["total_cost"]) for r in own)


def test_a_view_past_the_page_cap_says_it_is_partial(page, fake):
    backend = fake["backend"]
    backend.add_user("capped", "Capped-pass1", "ops", groups=["admin"])
    backend.rows = _paged_rows(203, ("alpha", "beta"))
    backend.page_size = 1  # 203 pages, over the console's cap of 200
    shown = backend.rows[:200]
    _open(page, fake["web_url"])
    _sign_in(page, "capped", "Capped-pass1")
    page.wait_for_selector("#tab-admin:not([hidden])")
    page.click("#tab-admin")
    page.fill("#report-start", "2026-02-01")
    page.fill("#report-end", "2026-02-28")
    page.click("#report-load")
    page.wait_for_function("document.querySelector('#report-load').dataset.runs === '1'", timeout=60_000)
    text = page.text_content("#report-progress")
    assert text.startswith("Partial view: only the first 200 rows (200 pages"), text
    assert page.get_attribute("#report-progress", "data-partial") == "true"
    assert page.locator("#report-table tbody tr").count() == 200
    assert Decimal(page.text_content("#grand-cost")) == sum(Decimal(r["total_cost"]) for r in shown)


def test_every_view_passes_axe_as_tenant_and_admin(page, fake):
    """axe-core (WCAG 2 A/AA and best practices) on every view, signed out, as a tenant and as an admin."""
    backend = fake["backend"]
    backend.add_user("axe-tenant", "Axe-tenant1", "alpha")
    backend.add_user("axe-admin", "Axe-admin1", "ops", groups=["admin"])
    backend.add_user("axe-new", "Axe-temp1", "alpha", temporary=True)
    backend.rows = _paged_rows(12, ("alpha", "beta", "ops"))
    found: dict[str, list[dict]] = {}

    def check(view: str) -> None:
        found[view] = axe_violations(page)

    _open(page, fake["web_url"])
    check("sign-in")
    _sign_in(page, "axe-tenant", "wrong")
    page.wait_for_selector("#signin-error:not([hidden])")
    check("sign-in with an error")
    page.click("#credential-button")
    page.wait_for_selector("#credential-dialog[open]")
    check("credential dialog")
    page.click("#credential-cancel")
    _sign_in(page, "axe-new", "Axe-temp1")
    page.wait_for_selector("#newpassword-form:not([hidden])")
    check("new password")
    page.click("#newpassword-cancel")

    for user, password in (("axe-tenant", "Axe-tenant1"), ("axe-admin", "Axe-admin1")):
        role = "admin" if user == "axe-admin" else "tenant"
        _sign_in(page, user, password)
        page.wait_for_selector("#app-view:not([hidden])")
        check(f"{role}: invoke")
        page.fill("#prompt", "hello")
        page.click("#invoke-submit")
        page.wait_for_selector("#invoke-result:not([hidden])")
        check(f"{role}: invoke answer")
        backend.next_error = (400, {"message": "topP must be between 0 and 1", "request_id": "r-1"}, {})
        page.click("#invoke-submit")
        page.wait_for_selector("#invoke-error:not([hidden])")
        check(f"{role}: invoke error")
        runs = "Number(document.querySelector('#usage-load').dataset.runs || 0)"
        before = page.evaluate(runs)
        page.click("#tab-usage")  # loads the last seven days at once
        page.wait_for_function(f"{runs} === {before + 1}")
        page.fill("#usage-start", "2026-02-01")
        page.fill("#usage-end", "2026-02-28")
        page.click("#usage-load")
        page.wait_for_function(f"{runs} === {before + 2}")
        assert page.locator("#usage-table tbody tr[data-date]").count() > 0
        check(f"{role}: my usage")
        if role == "admin":
            page.click("#tab-admin")
            page.fill("#report-start", "2026-02-01")
            page.fill("#report-end", "2026-02-28")
            page.click("#report-load")
            page.wait_for_selector("#tenant-totals tbody tr[data-tenant=alpha]")
            page.click("#aggregate-submit")
            page.wait_for_selector("#aggregate-result:not([hidden])")
            check("admin: admin")
        page.click("#signout-button")
        page.wait_for_selector("#signin-view:not([hidden])")
        check(f"{role}: signed out")

    failing = {view: v for view, v in found.items() if v}
    assert not failing, "\n".join(f"[{view}]\n{describe(v)}" for view, v in failing.items())
    assert len(found) == 15


def test_budget_bar_shows_live_spend_and_a_402_refusal(page, fake):
    backend = fake["backend"]
    backend.add_user("budgeted", "Budget-pass1", "tenant-b")
    backend.plans["tenant-b"] = {**backend.default_plan(), "monthly_budget_usd": "10"}
    backend.spend["tenant-b"] = ("7.25", "0.5")
    _open(page, fake["web_url"])
    _sign_in(page, "budgeted", "Budget-pass1")
    page.wait_for_selector("#budget-bar:not([hidden])")
    assert page.text_content("#budget-settled") == "7.25"
    assert page.text_content("#budget-in-flight") == "0.5"
    assert "10 US$ (hard)" in page.text_content("#budget-limit")
    assert page.text_content("#budget-remaining") == "2.25 US$ left"
    assert "2026-12-01" in page.text_content("#budget-period")
    assert page.evaluate("document.getElementById('budget-progress').value") == 7.75
    # the budget runs out: the call is refused with 402, and the bar follows
    backend.spend["tenant-b"] = ("10", "0")
    message = "tenant tenant-b has no room in its monthly budget of 10 USD for this call"
    backend.next_error = (402, {"message": message, "request_id": "req-402"}, {})
    page.fill("#prompt", "one more")
    page.click("#invoke-submit")
    page.wait_for_selector("#invoke-error:not([hidden])")
    assert "(402)" in page.text_content("#invoke-error") and "monthly budget" in page.text_content(
        "#invoke-error"
    )
    page.wait_for_selector("#budget-bar[data-state=exhausted]")
    assert page.text_content("#budget-remaining") == "0 US$ left"
    # a rate limit names the wait
    backend.next_error = (
        429,
        {"message": "tenant tenant-b reached its limit", "request_id": "r"},
        {"Retry-After": "17"},
    )
    page.click("#invoke-submit")
    page.wait_for_function("document.getElementById('invoke-error').textContent.includes('17 s')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "budget-bar.png"))


def test_admin_views_and_edits_plans(page, fake):
    backend = fake["backend"]
    backend.add_user("planner", "Planner-pass1", "ops", groups=["admin"])
    backend.spend["tenant-p1"] = ("1.5", "0")
    _open(page, fake["web_url"])
    _sign_in(page, "planner", "Planner-pass1")
    page.wait_for_selector("#tab-admin:not([hidden])")
    page.click("#tab-admin")
    page.wait_for_selector("#plans-table tbody tr")
    rows = page.locator("#plans-table tbody tr").all_text_contents()
    assert any("tenant-p1" in r and "1.5" in r for r in rows)
    # a click on a row loads that tenant's plan
    page.click("#plans-table tbody tr >> text=tenant-p1")
    page.wait_for_selector("#plan-fields:not([hidden])")
    assert "default plan" in page.text_content("#plan-source")
    # a bad budget is refused in the page, before any request
    sent_before = len([c for c in backend.calls if c[0] == "tenant_plan"])
    page.fill("#plan-budget", "twelve")
    page.click("#plan-save")
    page.wait_for_selector("#plan-error:not([hidden])")
    assert "decimal" in page.text_content("#plan-error")
    assert len([c for c in backend.calls if c[0] == "tenant_plan"]) == sent_before
    page.fill("#plan-budget", "25.00")
    page.fill("#plan-rpm", "60")
    page.fill("#plan-models", "anthropic.claude-3-haiku-20240307-v1:0")
    page.click("#plan-save")
    page.wait_for_function("document.getElementById('plan-saved').textContent.includes('Saved')")
    body = [c for c in backend.calls if c[0] == "tenant_plan"][-1][1]["body"]
    assert body == {
        "tenant": "tenant-p1",
        "monthly_budget_usd": "25.00",
        "hard": True,
        "alert_thresholds": [50, 80, 100],
        "requests_per_minute": 60,
        "tokens_per_minute": 0,
        "models": ["anthropic.claude-3-haiku-20240307-v1:0"],
    }
    assert "stored plan" in page.text_content("#plan-source")
    page.wait_for_function(
        "[...document.querySelectorAll('#plans-table tbody tr')].some(r => r.textContent.includes('23.5'))"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-plans.png"), full_page=True)
