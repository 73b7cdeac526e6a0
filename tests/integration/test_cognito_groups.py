"""Admin rights and the tenant from real Cognito tokens (moto), through the local gateway's authorizer.

Groups whose names hold the claim's separators (``x,admin``, ``[admin]``) never grant admin; a user
without ``custom:tenant_id`` is refused whatever its name (defects 7 and 8 of issue 13).
"""

from __future__ import annotations

import json
import secrets

import boto3
import pytest

from local.gateway import ApiConfig, Gateway, Method
from local.jwt_verify import CognitoVerifier, fetch_jwks
from local.lambda_runner import InvokeResult
from local.users import add_user, sign_in
from tests.integration.conftest import REGION
from tests.support.lambda_env import LambdaContext, load_handler

pytestmark = pytest.mark.integration


@pytest.fixture
def cognito_gateway(stack, aws_env):
    return make_gateway(aws_env)


def make_gateway(aws_env):
    cognito = boto3.client("cognito-idp", region_name=REGION, endpoint_url=aws_env)
    pool_id = cognito.create_user_pool(
        PoolName=f"groups-{secrets.token_hex(4)}",
        Schema=[{"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    for group in ("admin", "x,admin", "[admin]", "users"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    verifier = CognitoVerifier(
        fetch_jwks(aws_env, pool_id), f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}", {client_id}
    )
    handlers = {name: load_handler(name)[0] for name in ("cost_tracking_manual", "ddb_cost_retrieval")}
    routes = {
        f"/{name}": {"POST": Method("POST", "COGNITO_USER_POOLS", "Auth", function=name)}
        for name in ("cost_track_manual", "ddb_cost_retrieval")
    }
    routes["/cost_track_manual"]["POST"].function = "cost_tracking_manual"

    def invoke(function, event, request_id):
        return InvokeResult(True, handlers[function].lambda_handler(event, LambdaContext()))

    gateway = Gateway(ApiConfig("api", "prod", routes), verifier, invoke)

    def user(groups, tenant="tenant-1", username=None):
        username = username or f"user-{secrets.token_hex(3)}"
        password = "Pw-" + secrets.token_hex(8) + "a1!A"
        add_user(cognito, pool_id, username, password, tenant_id=tenant)
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        return sign_in(cognito, client_id, username, password)["IdToken"]

    def call(token, route="/cost_track_manual", body=b"{}"):
        status, _, out = gateway.handle("POST", f"/prod{route}", [("Auth", token)], body, "127.0.0.1")
        return status, json.loads(out)

    user.cognito, user.pool_id, user.client_id = cognito, pool_id, client_id
    return user, call


@pytest.mark.parametrize("groups", [["x,admin"], ["[admin]"], ["x,admin", "[admin]", "users"]])
def test_groups_named_with_separators_do_not_grant_admin(cognito_gateway, groups):
    user, call = cognito_gateway
    status, payload = call(user(groups))
    assert status == 403 and "admin group" in payload["message"]


@pytest.mark.parametrize(
    "groups", [["admin"], ["admin", "users"], ["x,admin", "admin"], ["[admin]", "admin"]]
)
def test_the_exact_admin_group_grants_admin(cognito_gateway, groups):
    user, call = cognito_gateway
    status, payload = call(user(groups))
    assert status == 200, payload


def test_a_user_without_a_tenant_is_refused_whatever_its_name(cognito_gateway):
    user, call = cognito_gateway
    token = user(["admin"], tenant=None, username=f"tenant-1-{secrets.token_hex(2)}")
    for route in ("/cost_track_manual", "/ddb_cost_retrieval"):
        status, payload = call(token, route)
        assert status == 403 and "user has no tenant" in payload["message"]


# -- ADMIN_MFA: admin rights only for users who sign in with TOTP ---------------------------------


@pytest.fixture
def mfa_gateway(stack, aws_env, monkeypatch):
    monkeypatch.setenv("ADMIN_MFA", "true")
    return make_gateway(aws_env)


def enrol_totp(user, username: str, password: str) -> str:
    """Enrol a software token for the user, make it preferred, and sign in with a code (moto
    accepts any code); returns the IdToken of that MFA sign-in."""
    cognito = user.cognito
    access = sign_in(cognito, user.client_id, username, password)["AccessToken"]
    cognito.associate_software_token(AccessToken=access)
    cognito.verify_software_token(AccessToken=access, UserCode="123456")
    cognito.admin_set_user_mfa_preference(
        UserPoolId=user.pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    challenge = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=user.client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"  # every sign-in now asks for a code
    answer = cognito.respond_to_auth_challenge(
        ClientId=user.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": "123456"},
    )
    return answer["AuthenticationResult"]["IdToken"]


def test_with_admin_mfa_an_admin_without_totp_is_refused(mfa_gateway):
    user, call = mfa_gateway
    for route in ("/cost_track_manual", "/ddb_cost_retrieval"):
        status, payload = call(user(["admin"]), route)
        assert status == 403 and "TOTP" in payload["message"]


def test_with_admin_mfa_an_admin_signing_in_with_totp_is_admin(mfa_gateway):
    user, call = mfa_gateway
    username, password = f"admin-{secrets.token_hex(3)}", "Pw-" + secrets.token_hex(8) + "a1!A"
    add_user(user.cognito, user.pool_id, username, password, tenant_id="ops")
    user.cognito.admin_add_user_to_group(UserPoolId=user.pool_id, Username=username, GroupName="admin")
    token = enrol_totp(user, username, password)
    assert call(token)[0] == 200
    assert call(token, "/ddb_cost_retrieval")[0] == 200


def test_with_admin_mfa_a_tenant_is_not_looked_up(mfa_gateway):
    user, call = mfa_gateway
    status, payload = call(user(["users"]), "/ddb_cost_retrieval")
    assert status == 200 and payload == {"body": []}
