"""ADMIN_MFA's check: who is looked up, what counts as signing in with TOTP, how long it is cached."""

from __future__ import annotations

import pytest
from token_profiler import mfa
from token_profiler.auth import Caller, caller_from_claims
from token_profiler.errors import Forbidden

pytestmark = pytest.mark.unit


class FakeCognito:
    class exceptions:  # noqa: N801 - boto3's shape
        class UserNotFoundException(Exception):
            pass

    def __init__(self, users):
        self.users = users
        self.calls = 0

    def admin_get_user(self, UserPoolId, Username):  # noqa: N803 - boto3's names
        self.calls += 1
        if Username not in self.users:
            raise self.exceptions.UserNotFoundException()
        return self.users[Username]


TOTP_USER = {"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"], "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA"}


def admin(username="ann"):
    return Caller("ops", frozenset({"admin"}), username=username, pool_id="us-east-1_abc")


@pytest.mark.parametrize(
    ("record", "ok"),
    [
        (TOTP_USER, True),
        ({"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"], "PreferredMfaSetting": ""}, False),
        ({"UserMFASettingList": ["SMS_MFA"], "PreferredMfaSetting": "SMS_MFA"}, False),
        ({}, False),
    ],
)
def test_only_preferred_totp_counts(record, ok):
    mfa.clear_cache()
    assert mfa.signs_in_with_totp(FakeCognito({"ann": record}), "p", "ann") is ok


def test_the_answer_is_cached_for_a_while():
    mfa.clear_cache()
    cognito, clock = FakeCognito({"ann": TOTP_USER}), [0.0]
    for t in (0.0, 10.0, mfa.TTL_SECONDS - 1):
        clock[0] = t
        assert mfa.signs_in_with_totp(cognito, "p", "ann", now=lambda: clock[0])
    assert cognito.calls == 1
    clock[0] = mfa.TTL_SECONDS + 1
    mfa.signs_in_with_totp(cognito, "p", "ann", now=lambda: clock[0])
    assert cognito.calls == 2


def test_checked_admin():
    mfa.clear_cache()
    cognito = FakeCognito({"ann": TOTP_USER, "bob": {}})
    assert mfa.checked_admin(admin("ann"), "admin", True, lambda: cognito) == admin("ann")
    for who in (admin("bob"), admin("nobody"), Caller("ops", frozenset({"admin"}))):
        with pytest.raises(Forbidden, match="TOTP"):
            mfa.checked_admin(who, "admin", True, lambda: cognito)
    calls = cognito.calls
    tenant = Caller("t", frozenset({"users"}), username="tom", pool_id="p")
    assert mfa.checked_admin(tenant, "admin", True, lambda: cognito) is tenant
    assert mfa.checked_admin(admin("bob"), "admin", False, lambda: cognito) == admin("bob")
    assert cognito.calls == calls  # neither a tenant nor a deployment without ADMIN_MFA looks anyone up


def test_the_pool_comes_from_the_issuer():
    claims = {
        "custom:tenant_id": "t",
        "cognito:username": "ann",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123",
    }
    who = caller_from_claims(claims)
    assert (who.username, who.pool_id) == ("ann", "us-east-1_Abc123")
