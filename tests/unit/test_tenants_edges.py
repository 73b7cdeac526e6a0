"""The tenant registry's edges the main tests leave open: what a default means (the admin group, a
pool without a password policy, the clock), a Cognito user or a scan page without the optional
lists, the exact refusal of a non-boolean ``admin``, and temporary passwords drawn evenly from
their alphabet."""

from __future__ import annotations

import datetime as dt
import string
import time
from collections import Counter

import pytest
from token_profiler import tenants
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, Conflict
from token_profiler.tenants import Registry

from tests.support.memory_dynamodb import MemoryRegistryTable

pytestmark = pytest.mark.unit

TABLE = "t_tenants"
ADMIN = Caller(tenant_id="operators", groups=frozenset({"admin"}))


class PlainCognito:
    """AdminCreateUser / AdminGetUser / DescribeUserPool / AdminAddUserToGroup; ``users`` holds
    what AdminGetUser answers, so a test can give a user that has no attributes at all."""

    def __init__(self, pool: dict):
        self.pool = pool
        self.users: dict[str, dict] = {}
        self.groups: dict[str, set[str]] = {}

    def describe_user_pool(self, UserPoolId):  # noqa: N803
        return {"UserPool": self.pool}

    def admin_create_user(self, UserPoolId, Username, TemporaryPassword, MessageAction, UserAttributes):  # noqa: N803
        if Username in self.users:
            error = Exception("exists")
            error.response = {"Error": {"Code": "UsernameExistsException"}}
            raise error
        self.users[Username] = {"Username": Username, "UserAttributes": list(UserAttributes)}

    def admin_get_user(self, UserPoolId, Username):  # noqa: N803
        return self.users[Username]

    def admin_add_user_to_group(self, UserPoolId, Username, GroupName):  # noqa: N803
        self.groups.setdefault(GroupName, set()).add(Username)


def test_create_user_puts_an_admin_in_the_group_named_admin_by_default():
    cognito = PlainCognito({})
    user = tenants.create_user(cognito, "pool", "acme", "ivy", "ivy@acme.io", admin=True)
    assert user.admin is True
    assert cognito.groups == {"admin": {"ivy"}}


def test_a_pool_without_a_password_policy_has_cognitos_minimum_of_eight():
    assert tenants._pool_minimum_length(PlainCognito({"Id": "pool"}), "pool") == 8
    assert tenants._pool_minimum_length(PlainCognito({"Policies": {}}), "pool") == 8
    policy = {"Policies": {"PasswordPolicy": {"MinimumLength": 33}}}
    assert tenants._pool_minimum_length(PlainCognito(policy), "pool") == 33


def test_an_existing_user_without_any_attribute_belongs_to_no_tenant():
    cognito = PlainCognito({})
    cognito.users["jay"] = {"Username": "jay"}  # AdminGetUser leaves out UserAttributes
    with pytest.raises(Conflict, match="^user jay already exists and belongs to no tenant, not acme$"):
        tenants.create_user(cognito, "pool", "acme", "jay", "jay@acme.io")


def test_a_scan_page_without_items_counts_as_empty():
    class Pages(MemoryRegistryTable):
        def scan(self, **kwargs):
            self.calls.append("scan")
            if "ExclusiveStartKey" not in kwargs:  # Items is optional in Scan's answer
                return {"LastEvaluatedKey": {"tenant": {"S": "m"}}}
            assert kwargs["ExclusiveStartKey"] == {"tenant": {"S": "m"}}
            return {"Items": [{"tenant": {"S": "zed"}}, {"tenant": {"S": "amy"}}]}

    table = Pages(TABLE)
    assert [t.tenant for t in Registry(table, TABLE).all()] == ["amy", "zed"]
    assert table.calls == ["scan", "scan"]


def test_a_non_boolean_admin_is_refused_with_the_exact_message():
    registry = Registry(MemoryRegistryTable(TABLE), TABLE)
    registry.create("acme")
    body = {"tenant": "acme", "username": "kim", "email": "kim@acme.io", "admin": 1}
    with pytest.raises(BadRequest, match="^admin must be true or false$"):
        tenants.user_request(registry, PlainCognito({}), "pool", ADMIN, body, "admin")


def test_the_default_clock_is_an_aware_utc_now():
    before = time.time()
    now = tenants._now()
    after = time.time()
    assert now.utcoffset() == dt.timedelta(0)
    assert before - 1 <= now.timestamp() <= after + 1


def test_temporary_password_characters_are_drawn_evenly_from_the_four_classes():
    alphabet = set(string.ascii_lowercase + string.ascii_uppercase + string.digits + "!#%*+-=?@^_")
    passwords = [tenants.temporary_password() for _ in range(400)]
    counts = Counter("".join(passwords))
    assert set(counts) <= alphabet
    # 400 x 20 characters: 16 of each password from the 73-character alphabet (about 88 each over
    # all) and one from each class (at most 400/10 = 40 more for a digit): no character comes near
    # 300 unless the draw favours it
    assert max(counts.values()) < 300
    assert len(counts) == len(alphabet)
