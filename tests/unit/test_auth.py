"""The caller and the admin check: tenant from the verified claims, admin only from a Cognito group."""

from __future__ import annotations

import pytest
from token_profiler.auth import Caller, caller_from_claims, parse_groups
from token_profiler.errors import Forbidden, Unauthorized

pytestmark = pytest.mark.unit


def test_membership_is_exact():
    caller = Caller("acme", frozenset({"admin", "users"}))
    assert caller.is_member("admin") is True
    assert caller.is_member("users") is True
    for other in ("admins", "Admin", "adm", "", "admin,users"):
        assert caller.is_member(other) is False, other
    assert Caller("acme", frozenset()).is_member("admin") is False


@pytest.mark.parametrize(
    ("groups", "admin"),
    [
        ("admin", True),
        ("[admin, users]", True),
        ("[x, admin]", True),
        ("admin,users", False),
        ("x,admin", False),
        ("[admin]", False),
        ('["admin"]', False),
        ('["users", "admin"]', False),
        ("[x,admin]", False),
        (" admin", False),
        (["users", "admin"], True),
        (("admin",), True),
        ("users", False),
        ("administrators", False),
        ('["users"]', False),
        ([], False),
    ],
)
def test_admin_comes_from_the_groups_claim(groups, admin):
    caller = caller_from_claims({"custom:tenant_id": "acme", "cognito:groups": groups})
    assert caller.tenant_id == "acme"
    assert caller.is_member("admin") is admin


def test_no_groups_claim_is_no_group():
    caller = caller_from_claims({"custom:tenant_id": "acme"})
    assert caller.groups == frozenset()
    assert caller.is_member("admin") is False


def test_a_name_or_email_never_makes_an_admin():
    caller = caller_from_claims(
        {"custom:tenant_id": "admin", "cognito:username": "admin", "email": "admin@example.com"}
    )
    assert caller.is_member("admin") is False


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        (["admin", "users", "", 7], {"admin", "users"}),
        (("admin", "ops"), {"admin", "ops"}),
        ("[admin, users]", {"admin", "users"}),
        ("[admin, , users]", {"admin", "users"}),
        ("[admin,users]", {"[admin,users]"}),
        ('["admin", "users"]', {'"admin"', '"users"'}),
        ('["admin"]', {'["admin"]'}),
        ("[admin]", {"[admin]"}),
        ("x,admin", {"x,admin"}),
        ("admin, users", {"admin, users"}),
        ("[]", {"[]"}),
        ("  admin  ", {"  admin  "}),
        ("", set()),
        (None, set()),
        (42, set()),
    ],
)
def test_groups_claim_shapes(raw, groups):
    """Only a real list or REST's ``[a, b]`` (", " inside brackets) is split; any other string is one name."""
    assert parse_groups(raw) == frozenset(groups)


def test_a_name_with_punctuation_stays_whole():
    """A group named ``x,admin`` or ``[admin]`` is that one group: it never grants ``admin``."""
    for raw in ("x,admin", "[admin]", '["admin"]', "admin,", "[admin,x]"):
        caller = caller_from_claims({"custom:tenant_id": "acme", "cognito:groups": raw})
        assert caller.groups == frozenset({raw}), raw
        assert caller.is_member("admin") is False, raw
    caller = caller_from_claims({"custom:tenant_id": "acme", "cognito:groups": "[x,admin, ops]"})
    assert caller.groups == frozenset({"x,admin", "ops"})
    assert caller.is_member("admin") is False


def test_the_tenant_claim_is_trimmed():
    assert caller_from_claims({"custom:tenant_id": "  acme  "}).tenant_id == "acme"


@pytest.mark.parametrize(
    "claims",
    [None, "acme", ["custom:tenant_id", "acme"], {}],
)
def test_no_identity_is_401(claims):
    with pytest.raises(Unauthorized) as caught:
        caller_from_claims(claims)
    assert caught.value.status == 401
    assert caught.value.message


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "bob@example.com"},
        {"custom:tenant_id": 42},
        {"custom:tenant_id": "   ", "cognito:username": "acme"},
        {"custom:tenant_id": "", "cognito:username": "acme", "cognito:groups": "admin"},
        {"cognito:username": "acme"},
    ],
)
def test_no_tenant_is_403_without_falling_back_to_the_user_name(claims):
    with pytest.raises(Forbidden) as caught:
        caller_from_claims(claims)
    assert caught.value.status == 403
    assert caught.value.message.startswith("user has no tenant")


@pytest.mark.parametrize("claims", [None, "acme", [], {}])
def test_no_identity_at_all_says_so(claims):
    with pytest.raises(Unauthorized) as caught:
        caller_from_claims(claims)
    assert caught.value.message == "no verified identity on the request"


def test_an_identity_without_a_tenant_says_so():
    with pytest.raises(Forbidden) as caught:
        caller_from_claims({"email": "bob@example.com", "cognito:groups": "admin"})
    assert caught.value.message == "user has no tenant (the custom:tenant_id attribute is not set)"


def test_the_caller_keeps_user_name_and_pool():
    caller = caller_from_claims(
        {
            "custom:tenant_id": "acme",
            "cognito:username": "bob",
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123/",
        }
    )
    assert (caller.tenant_id, caller.username, caller.pool_id) == ("acme", "bob", "eu-west-1_Abc123")
    bare = caller_from_claims({"custom:tenant_id": "acme", "iss": "no-slash"})
    assert (bare.username, bare.pool_id) == ("", "")


def test_the_pool_is_the_issuers_last_path_part_whatever_letters_end_it():
    # a pool id ending in X: only the trailing slash is stripped, never letters
    caller = caller_from_claims(
        {"custom:tenant_id": "acme", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbcXX//"}
    )
    assert caller.pool_id == "us-east-1_AbcXX"


def test_an_issuer_with_only_a_trailing_slash_never_breaks_the_caller():
    caller = caller_from_claims({"custom:tenant_id": "acme", "iss": "us-east-1_Abc/"})
    assert (caller.tenant_id, caller.pool_id) == ("acme", "us-east-1_Abc")
