"""The end-to-end suite: one local stack (make local-up's code path) for the whole session.

The stack runs on free ports with its own state directory, so a developer's `make local-up` and
this suite never meet. Fixtures here are shared with the web engineer's tests (test_web*.py).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest
import requests

from local.users import add_user, sign_in

REPO = Path(__file__).resolve().parents[2]
LOG_SCAN_MODULE = "test_logs_scan.py"
# The suite's stack enables these models only, so "a model not enabled in config" can be tried.
ENABLED_MODELS = [
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-micro-v1:0",
    "amazon.nova-lite-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "amazon.titan-text-express-v1",
    "amazon.titan-embed-text-v1",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "anthropic.claude-3-sonnet-20240229-v1:0",  # the seed README's models
]
NOT_ENABLED_MODEL = "anthropic.claude-3-opus-20240229-v1:0"
# The browser tests: Debian's chromium, driven by Playwright (which never downloads a browser here).
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def pytest_collection_modifyitems(config, items):
    """The log scan runs after every other test, so it sees everything the suite logged."""
    items.sort(key=lambda item: item.fspath.basename == LOG_SCAN_MODULE)


class Session:
    """Records what the suite sent (tokens, prompts) so the log scan can look for it."""

    def __init__(self, outputs: dict):
        self.outputs = outputs
        self.tokens: set[str] = set()
        self.prompts: set[str] = set()
        self.request_ids: set[str] = set()
        self.lock = threading.Lock()
        self.http = requests.Session()
        region = outputs["region"]
        kwargs = {
            "endpoint_url": outputs["aws_endpoint_url"],
            "region_name": region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.cognito = boto3.client("cognito-idp", **kwargs)
        self.logs = boto3.client("logs", **kwargs)
        self.dynamodb = boto3.client("dynamodb", **kwargs)

    def prompt(self, text: str) -> str:
        marked = f"{text} [prompt-{secrets.token_hex(6)}]"
        with self.lock:
            self.prompts.add(marked)
        return marked

    def sign_in(self, username: str, password: str) -> str:
        result = sign_in(self.cognito, self.outputs["client_id"], username, password)
        with self.lock:
            self.tokens.update({result["IdToken"], result["AccessToken"]})
        return result["IdToken"]

    def user_token(self, username: str) -> str:
        user = next(u for u in self.outputs["users"] if u["username"] == username)
        return self.sign_in(user["username"], user["password"])

    def admin_token(self) -> str:
        return self.user_token(next(u["username"] for u in self.outputs["users"] if u["admin"]))

    def new_tenant(self, tenant_id: str) -> str:
        """A fresh user whose custom:tenant_id is tenant_id; returns its IdToken."""
        username = f"{tenant_id}-{secrets.token_hex(3)}"
        password = f"Ee{secrets.token_urlsafe(10)}7!"
        add_user(self.cognito, self.outputs["user_pool_id"], username, password, tenant_id=tenant_id)
        return self.sign_in(username, password)

    def post(self, route: str, token: str | None = None, body=None, params=None, headers=None, raw=None):
        sent = dict(headers or {})
        if token is not None:
            sent["Auth"] = token
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        return self.http.post(
            f"{self.outputs['api_url']}/{route}", data=data, params=params, headers=sent, timeout=60
        )

    def aggregate(self, token: str, body=None):
        response = self.post("cost_track_manual", token, body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def rows(self, token: str, body=None) -> list[dict]:
        response = self.post("ddb_cost_retrieval", token, body or {})
        assert response.status_code == 200, response.text
        return response.json()["body"]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """outputs.json of a local stack started for this session (stopped at the end).

    E2E_STACK_OUTPUTS=<outputs.json> runs the suite against a stack that is already up instead.
    """
    reuse = os.environ.get("E2E_STACK_OUTPUTS")
    if reuse:
        outputs = json.loads(Path(reuse).read_text())
        outputs["state_dir"] = str(Path(reuse).parent)
        yield outputs
        return
    state = tmp_path_factory.mktemp("local-stack")
    aws, bedrock, api, web = _free_ports(4)
    config = json.loads((REPO / "configs.json").read_text())[0]
    config["ENABLED_MODELS"] = ENABLED_MODELS
    (state / "configs.json").write_text(json.dumps([config]))
    env = {
        **os.environ,
        "LOCAL_STATE_DIR": str(state),
        "LOCAL_AWS_PORT": str(aws),
        "LOCAL_BEDROCK_PORT": str(bedrock),
        "LOCAL_API_PORT": str(api),
        "LOCAL_WEB_PORT": str(web),
        "PYTHONPATH": str(REPO),
        "LOCAL_CONFIG": str(state / "configs.json"),
        "STACK": "",
    }
    up = subprocess.run(
        [sys.executable, "-m", "local", "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    try:
        if up.returncode != 0:
            pytest.fail(f"local-up failed:\n{up.stdout[-3000:]}\n{up.stderr[-5000:]}")
        outputs = json.loads((state / "outputs.json").read_text())
        outputs["state_dir"] = str(state)
        yield outputs
    finally:
        down = subprocess.run(
            [sys.executable, "-m", "local", "down"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert down.returncode == 0, down.stdout + down.stderr


@pytest.fixture(scope="session")
def e2e(local_stack) -> Session:
    return Session(local_stack)


@pytest.fixture
def emulator(local_stack):
    """Fault injection on the Bedrock emulator; every fault is cleared after the test."""
    url = local_stack["bedrock_url"]

    class Faults:
        def add(self, **fault):
            requests.post(f"{url}/_emulator/faults", json=fault, timeout=10).raise_for_status()

    yield Faults()
    requests.delete(f"{url}/_emulator/faults", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
