"""The tenant registry on the moto server: the tenants function's four routes, the onboarding
command (scripts/tenants.py) and invoke_model's refusal of a disabled tenant, with a real
registry table, plans table and Cognito user pool (moto's)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from token_profiler import registry as registry_schema

from scripts import tenants as cli
from tests.integration.test_plans import FakeBedrock, create_plans_table
from tests.support.lambda_env import LambdaContext, claims_for, load_handler, log_records, rest_event

pytestmark = pytest.mark.integration

REGION = "us-east-1"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


def create_tenants_table(client, name: str) -> None:
    schema = registry_schema.tenants_schema()
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in schema["attributes"]
        ],
        KeySchema=[{"AttributeName": schema["hash_key"], "KeyType": "HASH"}],
        BillingMode=schema["billing_mode"],
    )


@pytest.fixture
def world(aws_env, monkeypatch, tmp_path):
    """A registry table, a plans table and a user pool (with the tenant attribute and admin group)."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    cognito = boto3.client("cognito-idp", region_name=REGION)
    suffix = uuid.uuid4().hex[:10]
    tenants_table, plans_table = f"tenants-{suffix}", f"plans-{suffix}"
    create_tenants_table(ddb, tenants_table)
    create_plans_table(ddb, plans_table)
    pool = cognito.create_user_pool(
        PoolName=f"pool-{suffix}",
        Policies={"PasswordPolicy": {"MinimumLength": 24, "RequireSymbols": True}},
        Schema=[{"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool, GroupName="admin")
    for key, value in {
        "TENANTS_TABLE": tenants_table,
        "PLANS_TABLE": plans_table,
        "USER_POOL_ID": pool,
        "ADMIN_GROUP": "admin",
    }.items():
        monkeypatch.setenv(key, value)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "region": REGION,
                "aws_endpoint_url": aws_env,
                "user_pool_id": pool,
                "client_id": client_id,
                "admin_group": "admin",
                "tenants_table_name": tenants_table,
                "plans_table_name": plans_table,
            }
        )
    )

    class World:
        pass

    w = World()
    w.ddb, w.cognito, w.pool, w.client_id, w.outputs = ddb, cognito, pool, client_id, outputs
    w.tenants_table, w.plans_table = tenants_table, plans_table
    return w


def route(module, path: str, body, *, admin: bool = True, raw: str | None = None):
    claims = claims_for("operators" if admin else "acme", groups="admin" if admin else None)
    event = rest_event(path, body=body, raw_body=raw, claims=claims)
    response = module.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_the_routes_create_list_disable_and_add_users(world):
    module, _ = load_handler("tenants")
    status, created = route(module, "/tenant_create", {"tenant": "acme", "display_name": "Acme"})
    assert (status, created["created"], created["status"]) == (200, True, "active")
    status, again = route(module, "/tenant_create", {"tenant": "acme", "display_name": "Other"})
    assert (status, again["created"], again["display_name"]) == (200, False, "Acme")

    status, user = route(
        module, "/tenant_user", {"tenant": "acme", "username": "alice", "email": "a@acme.io"}
    )
    assert status == 200 and user["created"] is True
    password = user["temporary_password"]
    assert len(password) >= 24  # the pool's policy asks 24
    status, again = route(
        module, "/tenant_user", {"tenant": "acme", "username": "alice", "email": "a@acme.io"}
    )
    assert (status, again["created"]) == (200, False) and "temporary_password" not in again

    # the user signs in with the temporary password: Cognito asks for a new one
    challenge = world.cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=world.client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    cognito_user = world.cognito.admin_get_user(UserPoolId=world.pool, Username="alice")
    attributes = {a["Name"]: a["Value"] for a in cognito_user["UserAttributes"]}
    assert attributes["custom:tenant_id"] == "acme"
    assert cognito_user["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    route(module, "/tenant_create", {"tenant": "globex"})
    status, conflict = route(
        module, "/tenant_user", {"tenant": "globex", "username": "alice", "email": "a@g.io"}
    )
    assert status == 409 and "belongs to tenant acme" in conflict["message"]

    status, disabled = route(module, "/tenant_update", {"tenant": "globex", "status": "disabled"})
    assert (status, disabled["status"]) == (200, "disabled")
    status, listing = route(module, "/tenants", {})
    assert status == 200
    assert [(t["tenant"], t["status"]) for t in listing["tenants"]] == [
        ("acme", "active"),
        ("globex", "disabled"),
    ]
    assert listing["tenants"][0]["spend_month_to_date"] == "0"
    assert listing["tenants"][0]["plan"]["hard"] is True

    status, missing = route(module, "/tenant_update", {"tenant": "ghost", "status": "active"})
    assert status == 404 and "ghost" in missing["message"]


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "named"),
    [
        ("/tenant_create", None, "{not json", 400, "not valid JSON"),
        ("/tenant_create", None, "", 400, "a JSON body is required"),
        ("/tenant_create", {"tenant": "Bad_Id"}, None, 400, "tenant must be a tenant id"),
        ("/tenant_update", {"tenant": "acme", "status": "x"}, None, 400, "status must be"),
        ("/tenant_user", {"tenant": "acme", "username": "u", "email": "nope"}, None, 400, "email"),
        (
            "/tenant_user",
            {"tenant": "nobody", "username": "u", "email": "u@x.io"},
            None,
            404,
            "not registered",
        ),
    ],
)
def test_bad_input_is_a_4xx_naming_the_problem(world, path, body, raw, status, named):
    module, _ = load_handler("tenants")
    got, answer = route(module, path, body, raw=raw)
    assert got == status and named in answer["message"]
    assert set(answer) == {"message", "request_id"}


def test_a_tenant_user_gets_403_on_every_route(world):
    module, _ = load_handler("tenants")
    for path, body in (
        ("/tenants", {}),
        ("/tenant_create", {"tenant": "acme"}),
        ("/tenant_update", {"tenant": "acme", "status": "disabled"}),
        ("/tenant_user", {"tenant": "acme", "username": "x", "email": "x@y.io"}),
    ):
        status, answer = route(module, path, body, admin=False)
        assert status == 403, path
    assert world.ddb.scan(TableName=world.tenants_table)["Items"] == []


def test_the_command_onboards_once_and_says_so(world, capsys):
    argv = ["--outputs", str(world.outputs), "--tenant", "acme"]
    assert cli.run(["add", *argv, "--user", "alice", "--email", "alice@acme.io", "--name", "Acme Co"]) == 0
    first = capsys.readouterr().out
    assert "tenant acme: created (Acme Co)" in first
    assert "user alice: created in tenant acme" in first
    password = first.split("first sign-in): ")[1].strip()
    assert cli.run(["add", *argv, "--user", "alice", "--email", "alice@acme.io"]) == 0
    second = capsys.readouterr().out
    assert "tenant acme: exists (active" in second and "unchanged" in second
    assert "user alice: exists in tenant acme; no user created" in second
    assert "password" not in second
    users = world.cognito.list_users(UserPoolId=world.pool)["Users"]
    assert [u["Username"] for u in users] == ["alice"]
    assert len(world.ddb.scan(TableName=world.tenants_table)["Items"]) == 1
    challenge = world.cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=world.client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    assert cli.run(["disable", *argv]) == 0
    assert "tenant acme: disabled" in capsys.readouterr().out
    assert cli.run(["disable", *argv]) == 0
    assert "already disabled; unchanged" in capsys.readouterr().out
    assert cli.run(["list", "--outputs", str(world.outputs)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["TENANT", "STATUS", "NAME", "CREATED", "BUDGET_USD", "SPEND_MTD_USD"]
    assert table[1].split()[:2] == ["acme", "disabled"]
    assert cli.run(["enable", *argv]) == 0
    assert "tenant acme: active" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "named"),
    [
        (["add", "--tenant", "Bad_Id"], 1, "tenant must be a tenant id"),
        (["add", "--tenant", "ok", "--user", "u"], 2, "USER= and EMAIL= go together"),
        (["add", "--tenant", "ok", "--user", "u", "--email", "bad"], 1, "email must be an e-mail address"),
        (["disable"], 2, "TENANT= is required"),
        (["disable", "--tenant", "ghost"], 2, "tenant ghost is not registered"),
    ],
)
def test_command_errors_name_the_problem_without_a_traceback(world, capsys, argv, code, named):
    assert cli.run([*argv, "--outputs", str(world.outputs)]) == code
    captured = capsys.readouterr()
    assert named in captured.err and "Traceback" not in captured.err
    assert world.ddb.scan(TableName=world.tenants_table)["Items"] == []


def test_a_missing_stack_is_named(capsys, tmp_path):
    assert cli.run(["list", "--outputs", str(tmp_path / "none.json")]) == 2
    assert "start it first (make local-up)" in capsys.readouterr().err


def test_a_user_in_another_tenant_fails_the_command(world, capsys):
    base = ["--outputs", str(world.outputs)]
    assert cli.run(["add", *base, "--tenant", "acme", "--user", "bob", "--email", "b@acme.io"]) == 0
    capsys.readouterr()
    assert cli.run(["add", *base, "--tenant", "globex", "--user", "bob", "--email", "b@acme.io"]) == 1
    assert "user bob already exists and belongs to tenant acme, not globex" in capsys.readouterr().err


# -- invoke_model and a disabled tenant -----------------------------------------------------------------
def test_a_disabled_tenant_is_refused_writes_no_usage_line_and_reserves_nothing(
    world, signing_secret, monkeypatch
):
    monkeypatch.setenv("BEDROCK_REGION", REGION)
    monkeypatch.setenv("PLAN_CACHE_SECONDS", "0")  # every call reads the registry (the bound is unit-tested)
    monkeypatch.delenv("ENABLED_MODELS", raising=False)
    bedrock = FakeBedrock()
    cli.run(["add", "--outputs", str(world.outputs), "--tenant", "acme"])
    module, logs = load_handler("invoke_model")
    monkeypatch.setattr(module, "get_client", lambda *args: bedrock)
    calls = []
    client = module.ENFORCER.store.client
    original = client._make_api_call

    def counting(operation, params):
        calls.append(operation)
        return original(operation, params)

    monkeypatch.setattr(client, "_make_api_call", counting)

    def invoke(tenant):
        event = rest_event(
            "/invoke_model",
            body={"inputs": "hello", "parameters": {"maxTokenCount": 50}},
            claims=claims_for(tenant),
            query={"model_id": SONNET},
        )
        response = module.lambda_handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    status, _ = invoke("acme")
    assert status == 200
    # the success path: one read (plan + registry status), reserve, settle
    assert calls == ["BatchGetItem", "UpdateItem", "UpdateItem"]
    assert cli.run(["disable", "--outputs", str(world.outputs), "--tenant", "acme"]) == 0
    lines_before = [r for r in log_records(logs) if r.get("message") == "TOKEN_USAGE"]
    period = world.ddb.scan(TableName=world.plans_table)["Items"]
    calls.clear()

    status, answer = invoke("acme")
    assert (status, answer["message"]) == (403, "tenant acme is disabled")
    assert calls == ["BatchGetItem"]  # nothing reserved
    assert bedrock.calls == 1
    assert [r for r in log_records(logs) if r.get("message") == "TOKEN_USAGE"] == lines_before
    assert world.ddb.scan(TableName=world.plans_table)["Items"] == period

    # a tenant the registry has never heard of (users from before it) is active
    assert invoke("legacy-tenant")[0] == 200
    cli.run(["enable", "--outputs", str(world.outputs), "--tenant", "acme"])
    assert invoke("acme")[0] == 200
