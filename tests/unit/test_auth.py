"""The caller and the admin check: tenant from the verified claims, admin only from a Cognito group."""

from __future__ import annotations

import pytest
from token_profiler.auth import Caller, caller_from_claims, parse_groups
from token_profiler.errors import Unauthorized

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
        ("admin,users", True),
        ('["users", "admin"]', True),
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
        (["admin", " users ", "", "  "], {"admin", "users"}),
        ('[" admin ", "users", ""]', {"admin", "users"}),
        ("[admin,users]", {"admin", "users"}),
        ("[]", set()),
        ("  admin  ", {"admin"}),
    ],
)
def test_groups_claim_shapes(raw, groups):
    assert parse_groups(raw) == frozenset(groups)


def test_a_json_list_keeps_each_group_whole():
    """Cognito group names may hold punctuation: a JSON list is read as the list it is."""
    assert parse_groups('["ops,eu", "admin"]') == frozenset({"ops,eu", "admin"})
    assert (
        caller_from_claims({"custom:tenant_id": "acme", "cognito:groups": '["ops,admin"]'}).is_member("admin")
        is False
    )


def test_the_tenant_claim_is_trimmed():
    assert caller_from_claims({"custom:tenant_id": "  acme  "}).tenant_id == "acme"


@pytest.mark.parametrize(
    "claims",
    [None, "acme", ["custom:tenant_id", "acme"], {}, {"email": "bob@example.com"}, {"custom:tenant_id": 42}],
)
def test_no_tenant_is_401(claims):
    with pytest.raises(Unauthorized) as caught:
        caller_from_claims(claims)
    assert caught.value.status == 401
    assert caught.value.message


@pytest.mark.parametrize("claims", [None, "acme", [], {}])
def test_no_identity_at_all_says_so(claims):
    with pytest.raises(Unauthorized) as caught:
        caller_from_claims(claims)
    assert caught.value.message == "no verified identity on the request"


def test_an_identity_without_a_tenant_says_so():
    with pytest.raises(Unauthorized) as caught:
        caller_from_claims({"email": "bob@example.com", "cognito:groups": "admin"})
    assert caught.value.message.startswith("the identity has no tenant")
