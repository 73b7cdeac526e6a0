"""The whole product on one machine: moto, Terraform applied against it, the bedrock-runtime
emulator, the local API gateway running the deployed functions, log shipping, the scheduler, the
web console, and seeded users. ``python -m local`` drives it (see docs/local-stack.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from local.access_log import AccessLogShipper, group_of
from local.bedrock_emulator import make_server as make_emulator
from local.gateway import Gateway
from local.gateway import make_server as make_gateway
from local.jwt_verify import CognitoVerifier, fetch_jwks
from local.lambda_runner import CloudWatchSink, FunctionPool, InvokeApi, InvokeResult
from local.readback import (
    parse_api_url,
    pool_and_clients,
    read_api,
    read_function,
    read_schedules,
    scheduled_event,
    zips_by_hash,
)
from local.schedule import UnsupportedSchedule, next_fire
from local.settings import HOST, REPO, Ports
from local.users import add_user
from local.webserver import make_server as make_web

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
TENANTS = (("tenant1-user", "tenant-1"), ("tenant2-user", "tenant-2"))
ADMIN_USER = "admin-user"
# The admin is a member of a tenant too: a user without custom:tenant_id gets 403 on every route.
ADMIN_TENANT = "operators"
# Tenants kept apart for the plan refusals (the Postman collection sets their plans: a tiny hard
# budget for 402, one request per minute for 429). Not in ``users``: tests that invoke as every
# seeded tenant never meet their plans, and a container's cached plan of a shared tenant never
# changes under another test.
PLAN_TENANTS = (("budget-user", "tenant-budget", "budget"), ("ratelimit-user", "tenant-ratelimit", "rate"))
CONTROL_PREFIX = "/_local/"
# The API's OpenAPI document, served by the local API Gateway outside the stage (never a Lambda route).
OPENAPI_PATH = "/openapi.json"
OPENAPI_FILE = REPO / "docs" / "openapi.json"
# The functions' Lambda client (an aggregation run handed over asynchronously) calls the stack here.
LAMBDA_API_PREFIX = CONTROL_PREFIX + "lambda"


def start_moto(port: int, log_file: Path, lambda_endpoint: str | None = None) -> subprocess.Popen:
    """moto on loopback; with ``lambda_endpoint``, its Firehose runs Lambda processors through the
    stack's Invoke API (local.firehose_processing), as Firehose does and moto does not."""
    processing = (
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from local.firehose_processing import install\n"
        f"install({lambda_endpoint!r})\n"
        if lambda_endpoint
        else ""
    )
    code = (
        "import ctypes, os, signal, sys\n"
        "ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)\n"
        f"{processing}"
        "from moto.server import main\n"
        f"main(['-H', '{HOST}', '-p', '{port}'])\n"
    )
    log = log_file.open("ab")
    return subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=log, stdin=subprocess.DEVNULL)


def stream_processors(firehose: Any) -> set[str]:
    """The Lambda processors of the account's Firehose streams (read back, as the routes are)."""
    from local.firehose_processing import lambda_processor

    arns = set()
    for name in firehose.list_delivery_streams().get("DeliveryStreamNames", []):
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        for destination in description.get("Destinations", []):
            extended = destination.get("ExtendedS3DestinationDescription") or {}
            arn = lambda_processor(extended.get("ProcessingConfiguration"))
            if arn:
                arns.add(arn)
    return arns


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _password() -> str:
    # Meets Cognito's policy (upper, lower, digit, symbol) whatever the random part holds.
    return f"Lp{secrets.token_urlsafe(12)}9!"


def _serve(server: Any, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


class LocalStack:
    """Start with start(), stop with stop(); every process and thread it starts, it stops."""

    def __init__(
        self,
        ports: Ports,
        state_dir: Path,
        stack: str | None = None,
        say=print,
        lambda_concurrency: int | None = None,
    ):
        self.ports = ports
        self.state_dir = state_dir
        self.stack_name = stack
        self.say = say
        self.concurrency = lambda_concurrency or int(os.environ.get("LOCAL_LAMBDA_CONCURRENCY", "4"))
        self.aws_url = f"http://{HOST}:{ports.aws}"
        self.bedrock_url = f"http://{HOST}:{ports.bedrock}"
        self.web_url = f"http://{HOST}:{ports.web}"
        self.moto: subprocess.Popen | None = None
        self.servers: list[Any] = []
        self.closers: list[Any] = []
        self.pools: dict[str, FunctionPool] = {}
        self.schedules: list[Any] = []
        self.outputs: dict[str, Any] = {}
        self.build_dir = state_dir / "build"
        self._stop = threading.Event()
        self._stopped = False

    # -- clients ----------------------------------------------------------------------------------
    def client(self, service: str, region: str | None = None):
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name=region or self.outputs.get("region", "us-east-1"),
            config=Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 5}),
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    # -- start ------------------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        started = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # Fail before the slow Terraform apply, naming the variable to change.
        for variable, port in (
            ("LOCAL_AWS_PORT", self.ports.aws),
            ("LOCAL_BEDROCK_PORT", self.ports.bedrock),
            ("LOCAL_API_PORT", self.ports.api),
            ("LOCAL_WEB_PORT", self.ports.web),
        ):
            with socket.socket() as probe:
                try:
                    probe.bind((HOST, port))
                except OSError as exc:
                    raise RuntimeError(f"port {port} ({variable}) is taken: {exc.strerror}") from None
        os.environ.update(CREDENTIALS)

        self.say(f"moto server        {self.aws_url}")
        self.moto = start_moto(
            self.ports.aws, self.state_dir / "moto.log", f"http://{HOST}:{self.ports.api}{LAMBDA_API_PREFIX}"
        )
        wait_http(f"{self.aws_url}/moto-api/data.json", 30, self.moto)

        emulator = make_emulator(self.ports.bedrock)
        self.servers.append(emulator)
        _serve(emulator, "bedrock-emulator")
        self.say(f"bedrock emulator   {self.bedrock_url}")

        self.say("terraform apply    (build, init, apply against moto) ...")
        config, tf_outputs = self._apply()
        self.say(f"terraform apply    done in {time.monotonic() - started:.0f} s")

        region = tf_outputs["region"]
        # the deploy flow's step after apply: the signing secret gets its keyring (before any cold start)
        from scripts import signing_key

        signing_key.ensure(self.client("secretsmanager", region), tf_outputs["signing_secret_arn"])
        api_id, stage = parse_api_url(tf_outputs["api_url"])
        apigw, lam = self.client("apigateway", region), self.client("lambda", region)
        api_config, authorizers = read_api(apigw, api_id, stage)
        pool_id, client_ids = pool_and_clients(self.client("cognito-idp", region), authorizers)
        verifier = CognitoVerifier(
            fetch_jwks(self.aws_url, pool_id),
            f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
            client_ids,
        )

        dist = zips_by_hash(self.build_dir / "dist")
        sink = CloudWatchSink(self.client("logs", region))
        base_env = {
            **CREDENTIALS,
            "AWS_REGION": region,
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ENDPOINT_URL_LAMBDA": f"http://{HOST}:{self.ports.api}{LAMBDA_API_PREFIX}",
            "BEDROCK_URL": self.bedrock_url,
        }
        function_arns = {
            m.function for methods in api_config.routes.values() for m in methods.values() if m.function
        }
        self.schedules = read_schedules(self.client("scheduler", region))
        function_arns |= {s.function_arn for s in self.schedules if ":function:" in s.function_arn}
        # the archive stream's processor, which moto's Firehose calls back through the Invoke API
        function_arns |= stream_processors(self.client("firehose", region))
        for arn in sorted(function_arns):
            spec = read_function(lam, arn, dist)
            self.pools[arn] = FunctionPool(spec, self.state_dir / "lambda", base_env, sink, self.concurrency)
        for pool in self.pools.values():
            pool.warm()

        access_log = None
        settings = apigw.get_stage(restApiId=api_id, stageName=stage).get("accessLogSettings") or {}
        if settings.get("destinationArn") and settings.get("format"):
            access_log = AccessLogShipper(
                self.client("logs", region),
                group_of(settings["destinationArn"]),
                f"{api_id}_{stage}_local",
                settings["format"],
            )
            self.closers.append(access_log.close)
        gateway = Gateway(api_config, verifier, self._invoke, access_log)
        gateway.control = self._control
        api_url = f"http://{HOST}:{self.ports.api}/{stage}"
        gateway.documents[OPENAPI_PATH] = ("application/json", openapi_document(api_url))
        self.gateway = gateway
        api_server = make_gateway(gateway, self.ports.api)
        self.servers.append(api_server)
        _serve(api_server, "api-gateway")

        users = self._seed_users(pool_id, config.admin_group, region)
        plan_users = self._seed_plan_users(pool_id, region)
        self._register_tenants(tf_outputs.get("tenants_table_name"), {u["tenant_id"] for u in users}, region)
        self.outputs = {
            **{k: v for k, v in tf_outputs.items() if k not in {"api_url", "web_url"}},
            "api_url": api_url,
            "openapi_url": f"http://{HOST}:{self.ports.api}{OPENAPI_PATH}",
            "deployed_api_url": tf_outputs["api_url"],
            "aws_endpoint_url": self.aws_url,
            "bedrock_url": self.bedrock_url,
            "region": region,
            "user_pool_id": pool_id,
            "client_id": tf_outputs.get("client_id") or sorted(client_ids)[0],
            "admin_group": config.admin_group,
            "stage": stage,
            "stack_prefix": config.stack_prefix,
            "web_url": self.web_url,
            "functions": {pool.spec.name: pool.spec.log_group for pool in self.pools.values()},
            "users": users,
            "plan_users": plan_users,
        }
        web = make_web(REPO / "web", self.outputs, self.build_dir / "web" / "models.json", self.ports.web)
        self.servers.append(web)
        _serve(web, "web")
        threading.Thread(target=self._scheduler, name="scheduler", daemon=True).start()

        self.outputs["ready_seconds"] = round(time.monotonic() - started, 1)
        target = self.state_dir / "outputs.json"
        target.write_text(json.dumps(self.outputs, indent=2, sort_keys=True) + "\n")
        target.chmod(0o600)  # it holds passwords
        return self.outputs

    def _apply(self):
        # The Terraform driver of the deploy path, with only the endpoint and emulator switches changed.
        sys.path.insert(0, str(REPO))
        from scripts import build
        from scripts.config import load_configs, select
        from scripts.tf import apply_emulated

        # LOCAL_CONFIG names another configs.json (the e2e suite enables a subset of the models).
        config_file = os.environ.get("LOCAL_CONFIG")
        config = select(load_configs(Path(config_file)) if config_file else load_configs(), self.stack_name)
        # The console is served from web_url locally; CORS must allow that origin.
        config = dataclasses.replace(config, cors_origin=self.web_url)
        # A local stack is a demo: make destroy (and a fresh moto) may remove its billing data, and
        # its seeded admin signs in without TOTP (ADMIN_MFA is tested on its own against moto).
        config = dataclasses.replace(config, deletion_protection=False, force_destroy=True, admin_mfa=False)
        # Artifacts of this stack only: a concurrent `make build` cannot change a zip mid-apply.
        functions_dir = REPO / "functions"
        dist = self.build_dir / "dist"
        for key in build.FUNCTIONS:
            build.build_function(key, functions_dir, dist)
        build.build_layer(
            functions_dir, REPO / "requirements" / "runtime.txt", dist, REPO / "build" / "cache"
        )
        build.build_models_json(config, functions_dir, self.build_dir / "web")
        tf_state = self.state_dir / "terraform"
        # moto starts empty each time, so any state left from an earlier run is stale.
        for stale in (tf_state / "terraform.tfstate", tf_state / "terraform.tfstate.backup"):
            stale.unlink(missing_ok=True)
        outputs = apply_emulated(self.aws_url, tf_state, config, build_dir=self.build_dir, build=False)
        return config, outputs

    def _seed_users(self, pool_id: str, admin_group: str, region: str) -> list[dict[str, Any]]:
        cognito = self.client("cognito-idp", region)
        schema = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("SchemaAttributes", [])
        has_tenant_attr = any(a["Name"] == "custom:tenant_id" for a in schema)
        users = []
        for username, tenant in (*TENANTS, (ADMIN_USER, ADMIN_TENANT)):
            password = _password()
            add_user(
                cognito,
                pool_id,
                username,
                password,
                tenant_id=tenant if has_tenant_attr else None,
                email=f"{username}@example.com",
            )
            if username == ADMIN_USER:
                cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=admin_group)
            users.append(
                {
                    "username": username,
                    "password": password,
                    "tenant_id": tenant if has_tenant_attr else None,
                    "admin": username == ADMIN_USER,
                }
            )
        return users

    def _seed_plan_users(self, pool_id: str, region: str) -> list[dict[str, Any]]:
        """One user per PLAN_TENANTS tenant (none when the pool has no custom:tenant_id)."""
        cognito = self.client("cognito-idp", region)
        schema = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("SchemaAttributes", [])
        if not any(a["Name"] == "custom:tenant_id" for a in schema):
            return []
        users = []
        for username, tenant, refusal in PLAN_TENANTS:
            password = _password()
            add_user(cognito, pool_id, username, password, tenant_id=tenant, email=f"{username}@example.com")
            users.append(
                {"username": username, "password": password, "tenant_id": tenant, "refusal": refusal}
            )
        return users

    def _register_tenants(self, table: str | None, tenant_ids: set[str | None], region: str) -> None:
        """The seeded users' tenants in the registry, as `make tenant-add` would register them."""
        if not table:
            return
        from token_profiler.tenants import Registry  # on sys.path since scripts.signing_key

        registry = Registry(self.client("dynamodb", region), table)
        for tenant in sorted(t for t in tenant_ids if t):
            registry.create(tenant)

    # -- running functions ------------------------------------------------------------------------
    def _invoke(self, function_arn: str, event: dict[str, Any], request_id: str) -> InvokeResult:
        pool = self.pools.get(function_arn)
        if pool is None:
            return InvokeResult(
                False, {"errorType": "ResourceNotFoundException", "errorMessage": function_arn}
            )
        return pool.invoke(event, request_id)

    def run_schedule(
        self, overrides: dict[str, Any] | None = None, only: str | None = None
    ) -> list[dict[str, Any]]:
        """Run every scheduled function now (or the schedule named ``<prefix>_<only>``) with its
        deployed input (plus overrides)."""
        results = []
        for schedule in self.schedules:
            pool = self.pools.get(schedule.function_arn)
            if pool is None or (only and not schedule.name.endswith(f"_{only}")):
                continue
            event = {**scheduled_event(schedule), **(overrides or {})}
            result = pool.invoke(event)
            results.append(
                {"schedule": schedule.name, "event": event, "ok": result.ok, "result": result.payload}
            )
        return results

    def _control(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        if method == "POST" and path.startswith(LAMBDA_API_PREFIX):
            answer = InvokeApi(self.pools)(path[len(LAMBDA_API_PREFIX) :], body, headers or {})
            if answer is not None:
                return answer
        if method == "POST" and path == CONTROL_PREFIX + "schedules/run":
            overrides = json.loads(body or b"{}")
            # "_schedule": run only that schedule (local-aggregate: the aggregator, not statements)
            only = overrides.pop("_schedule", None) if isinstance(overrides, dict) else None
            return 200, {"runs": self.run_schedule(overrides, only)}
        if method == "GET" and path == CONTROL_PREFIX + "health":
            return 200, {"status": "ok"}
        if method == "GET" and path == CONTROL_PREFIX + "config":
            # What the gateway read back from the emulator, for inspection and the e2e suite.
            config = self.gateway.config
            return 200, {
                "api_id": config.api_id,
                "stage": config.stage,
                "throttle": {"rate": config.throttle_rate, "burst": config.throttle_burst},
                "routes": {
                    path: {verb: dataclasses.asdict(m) for verb, m in methods.items()}
                    for path, methods in config.routes.items()
                },
                "gateway_responses": sorted(config.responses),
                "functions": {
                    pool.spec.name: {
                        "timeout": pool.spec.timeout,
                        "memory": pool.spec.memory,
                        "handler": pool.spec.handler,
                        "code": pool.spec.code_zip.name,
                        "layers": [z.name for z in pool.spec.layer_zips],
                        "environment": sorted(pool.spec.environment),
                    }
                    for pool in self.pools.values()
                },
                "schedules": [dataclasses.asdict(s) for s in self.schedules],
            }
        return 404, {"message": "unknown control path"}

    def _scheduler(self) -> None:
        """Fire each enabled schedule at its next time (UTC) while the stack runs."""
        upcoming: dict[str, dt.datetime] = {}
        while not self._stop.is_set():
            now = dt.datetime.now(dt.UTC)
            for schedule in self.schedules:
                if not schedule.enabled:
                    continue
                try:
                    due = upcoming.setdefault(schedule.name, next_fire(schedule.expression, now))
                except UnsupportedSchedule as exc:
                    self.say(f"scheduler: {schedule.name}: {exc}")
                    schedule.enabled = False
                    continue
                if now >= due:
                    upcoming[schedule.name] = next_fire(schedule.expression, now)
                    pool = self.pools.get(schedule.function_arn)
                    if pool is not None:
                        result = pool.invoke(scheduled_event(schedule))
                        self.say(f"scheduler: ran {schedule.name}: {'ok' if result.ok else 'failed'}")
            self._stop.wait(15)

    # -- stop -------------------------------------------------------------------------------------
    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.shutdown()
                server.server_close()
        for pool in self.pools.values():
            pool.close()
        for close in self.closers:
            with contextlib.suppress(Exception):
                close()
        if self.moto is not None and self.moto.poll() is None:
            self.moto.terminate()
            try:
                self.moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.moto.kill()
                self.moto.wait(timeout=5)


def openapi_document(api_url: str) -> bytes:
    """docs/openapi.json with this stack's stage URL as its only server."""
    spec = json.loads(OPENAPI_FILE.read_text())
    spec["servers"] = [{"url": api_url, "description": "this local stack"}]
    return json.dumps(spec, indent=2).encode()
