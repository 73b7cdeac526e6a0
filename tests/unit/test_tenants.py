"""The tenant registry on an in-memory table: id rules, idempotent create, disable/enable, paging,
temporary passwords, tenant users, the admin routes' refusals, and the disabled gate on invoke."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal

import pytest
from token_profiler import plans, tenants
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, Conflict, Forbidden, NotFound, StoreUnavailable
from token_profiler.plans import Enforcer, Plan, PlanStore, Spend, period_at
from token_profiler.prices import load_catalog
from token_profiler.tenants import Registry

from tests.support.memory_dynamodb import MemoryRegistryTable

pytestmark = pytest.mark.unit

TABLE = "t_tenants"
ADMIN = Caller(tenant_id="operators", groups=frozenset({"admin"}))
TENANT_USER = Caller(tenant_id="acme", groups=frozenset())
CLOCK = dt.datetime(2026, 11, 30, 8, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def table():
    return MemoryRegistryTable(TABLE)


@pytest.fixture
def registry(table):
    return Registry(table, TABLE, clock=lambda: CLOCK)


# -- ids ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tenant", ["a", "7", "acme", "tenant-1", "a1-b2", "x" * 63, "0" + "-" * 61 + "9"])
def test_valid_tenant_ids(tenant):
    assert tenants.check_tenant_id(tenant) == tenant


@pytest.mark.parametrize(
    "tenant",
    ["", "x" * 64, "Acme", "acme_corp", "-acme", "acme-", "ac me", "acme.io", "ac/me", "é", None, 7, ["a"]],
)
def test_bad_tenant_ids_are_refused_with_the_rule(tenant):
    with pytest.raises(BadRequest, match="lowercase letters, digits or '-'") as caught:
        tenants.check_tenant_id(tenant)
    assert caught.value.status == 400


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "a\nb", "a\x7fb", 5])
def test_bad_display_names_are_refused(name):
    with pytest.raises(BadRequest, match="display_name"):
        tenants.check_display_name(name, "acme")


def test_display_name_defaults_to_the_id_and_is_trimmed():
    assert tenants.check_display_name(None, "acme") == "acme"
    assert tenants.check_display_name("  Acme Corp ", "acme") == "Acme Corp"
    assert tenants.check_display_name("x" * 100, "acme") == "x" * 100


@pytest.mark.parametrize("email", ["", "a", "a@b", "a b@c.de", "@c.de", "a@@c.de", "x" * 250 + "@c.de", None])
def test_bad_emails_are_refused(email):
    with pytest.raises(BadRequest, match="email"):
        tenants.check_email(email)


@pytest.mark.parametrize("username", ["", "a b", "x" * 129, "a/b", None])
def test_bad_usernames_are_refused(username):
    with pytest.raises(BadRequest, match="username"):
        tenants.check_username(username)


# -- the registry -------------------------------------------------------------------------------------
def test_create_registers_an_active_tenant_once(registry, table):
    record, created = registry.create("acme", "Acme Corp")
    assert created is True
    assert record.to_dict() == {
        "tenant": "acme",
        "display_name": "Acme Corp",
        "status": "active",
        "created_at": "2026-11-30T08:00:00+00:00",
        "updated_at": "2026-11-30T08:00:00+00:00",
    }
    # the same again: reported as existing, nothing written over (not even the name)
    later = Registry(table, TABLE, clock=lambda: CLOCK + dt.timedelta(days=1))
    again, created = later.create("acme", "Another Name")
    assert created is False
    assert again == record
    assert len(table.items) == 1


def test_a_disabled_id_is_never_given_out_again(registry, table):
    registry.create("acme")
    registry.update("acme", "disabled")
    record, created = registry.create("acme", "Someone Else")
    assert created is False
    assert record.status == "disabled"
    assert record.display_name == "acme"


def test_disable_and_enable_keep_the_creation_date(registry, table):
    registry.create("acme", "Acme")
    later = Registry(table, TABLE, clock=lambda: CLOCK + dt.timedelta(hours=2))
    disabled = later.update("acme", "disabled")
    assert (disabled.status, disabled.active) == ("disabled", False)
    assert disabled.created_at == "2026-11-30T08:00:00+00:00"
    assert disabled.updated_at == "2026-11-30T10:00:00+00:00"
    enabled = later.update("acme", "active", display_name="Acme Two")
    assert (enabled.status, enabled.active, enabled.display_name) == ("active", True, "Acme Two")
    assert registry.get("acme") == enabled


def test_updating_an_unregistered_tenant_is_404(registry):
    with pytest.raises(NotFound, match="tenant ghost is not registered") as caught:
        registry.update("ghost", "disabled")
    assert caught.value.status == 404


def test_bad_status_is_refused(registry):
    registry.create("acme")
    with pytest.raises(BadRequest, match='"active" or "disabled"'):
        registry.update("acme", "paused")
    assert registry.get("acme").status == "active"


def test_listing_reads_every_page_in_id_order(registry, table):
    ids = ["t-5", "t-1", "t-3", "t-2", "t-4"]
    for tenant in ids:
        registry.create(tenant)
    assert [t.tenant for t in registry.all()] == sorted(ids)
    assert table.calls.count("scan") == 3  # five items, pages of two


def test_an_item_without_status_is_active_and_only_disabled_stops_a_tenant():
    from token_profiler.registry import is_active_item

    assert is_active_item(None) is True
    assert is_active_item({}) is True
    assert is_active_item({"tenant": {"S": "a"}}) is True
    assert is_active_item({"tenant": {"S": "a"}, "status": {"S": "active"}}) is True
    assert is_active_item({"tenant": {"S": "a"}, "status": {"S": "disabled"}}) is False


# -- temporary passwords ------------------------------------------------------------------------------
@pytest.mark.parametrize("minimum", [6, 8, 20, 32])
def test_temporary_password_has_every_class_and_the_pools_length(minimum):
    for _ in range(50):
        password = tenants.temporary_password(minimum)
        assert len(password) == max(20, minimum)
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in "!#%*+-=?@^_" for c in password)
    assert len({tenants.temporary_password() for _ in range(20)}) == 20


# -- users --------------------------------------------------------------------------------------------
class CognitoError(Exception):
    def __init__(self, code: str, message: str = "refused"):
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": message}}


class FakeCognito:
    """AdminCreateUser / AdminGetUser / DescribeUserPool / AdminAddUserToGroup on a dict."""

    def __init__(self, minimum_length: int | None = 12):
        self.users: dict[str, dict] = {}
        self.groups: dict[str, set[str]] = {}
        self.minimum_length = minimum_length
        self.calls: list[str] = []

    def describe_user_pool(self, UserPoolId):  # noqa: N803
        assert UserPoolId == "pool"
        if self.minimum_length is None:  # a pool without a password policy of its own
            return {"UserPool": {"Id": UserPoolId}}
        return {"UserPool": {"Policies": {"PasswordPolicy": {"MinimumLength": self.minimum_length}}}}

    def admin_create_user(self, UserPoolId, Username, TemporaryPassword, MessageAction, UserAttributes):  # noqa: N803
        assert UserPoolId == "pool"
        self.calls.append("create")
        assert MessageAction == "SUPPRESS"
        if Username in self.users:
            raise CognitoError("UsernameExistsException")
        self.users[Username] = {"password": TemporaryPassword, "attributes": list(UserAttributes)}
        return {"User": {"Username": Username}}

    def admin_get_user(self, UserPoolId, Username):  # noqa: N803
        assert UserPoolId == "pool"
        return {"Username": Username, "UserAttributes": self.users[Username]["attributes"]}

    def admin_add_user_to_group(self, UserPoolId, Username, GroupName):  # noqa: N803
        assert UserPoolId == "pool"
        self.calls.append("group")
        self.groups.setdefault(GroupName, set()).add(Username)


def test_a_user_is_created_once_with_a_temporary_password(registry):
    cognito = FakeCognito(minimum_length=24)
    registry.create("acme")
    user = tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "alice", "alice@acme.example")
    assert user.created is True
    assert user.temporary_password == cognito.users["alice"]["password"]
    assert len(user.temporary_password) == 24
    attributes = {a["Name"]: a["Value"] for a in cognito.users["alice"]["attributes"]}
    assert attributes == {"email": "alice@acme.example", "email_verified": "true", "custom:tenant_id": "acme"}
    again = tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "alice", "alice@acme.example")
    assert again.to_dict() == {"tenant": "acme", "username": "alice", "created": False, "admin": False}
    assert len(cognito.users) == 1
    assert cognito.groups == {}


def test_a_user_of_another_tenant_is_a_conflict_naming_it(registry):
    cognito = FakeCognito()
    registry.create("acme")
    registry.create("globex")
    tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "alice", "alice@acme.example")
    named = "user alice already exists and belongs to tenant acme, not globex"
    with pytest.raises(Conflict, match=named) as c:
        tenants.add_user_to_tenant(registry, cognito, "pool", "globex", "alice", "a@globex.example")
    assert c.value.status == 409
    attributes = {a["Name"]: a["Value"] for a in cognito.users["alice"]["attributes"]}
    assert attributes["custom:tenant_id"] == "acme"


def test_admin_users_join_the_admin_group(registry):
    cognito = FakeCognito()
    registry.create("ops")
    user = tenants.add_user_to_tenant(
        registry, cognito, "pool", "ops", "root", "root@ops.example", admin=True, admin_group="admins"
    )
    assert user.admin is True
    assert cognito.groups == {"admins": {"root"}}


def test_users_need_a_registered_active_tenant(registry):
    cognito = FakeCognito()
    with pytest.raises(NotFound, match="tenant acme is not registered"):
        tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "alice", "alice@acme.example")
    registry.create("acme")
    registry.update("acme", "disabled")
    with pytest.raises(Conflict, match="tenant acme is disabled"):
        tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "alice", "alice@acme.example")
    assert cognito.users == {}


def test_the_pools_own_refusal_is_a_400_naming_the_user(registry):
    class Refusing(FakeCognito):
        def admin_create_user(self, **kwargs):
            raise CognitoError("InvalidParameterException", "Invalid email address format.")

    registry.create("acme")
    with pytest.raises(BadRequest, match="the user pool refused user alice: Invalid email address format"):
        tenants.add_user_to_tenant(registry, Refusing(), "pool", "acme", "alice", "alice@acme.example")


# -- the routes ---------------------------------------------------------------------------------------
class FakePlanStore:
    def __init__(self, spend: dict[str, Spend], plans_of: dict[str, Plan]):
        self._spend = spend
        self._plans = plans_of

    def period(self):
        return period_at(CLOCK, dt.UTC)

    def spend(self, tenant, period):
        assert period == self.period()
        return self._spend.get(tenant, Spend(settled=Decimal(0), committed=Decimal(0)))

    def get_plan(self, tenant):
        return self._plans.get(tenant, Plan())


def test_every_route_is_for_admins_only(registry):
    store = FakePlanStore({}, {})
    calls = [
        lambda who: tenants.list_request(registry, store, who, {}, "admin"),
        lambda who: tenants.create_request(registry, who, {"tenant": "acme"}, "admin"),
        lambda who: tenants.update_request(registry, who, {"tenant": "acme", "status": "disabled"}, "admin"),
        lambda who: tenants.user_request(
            registry, FakeCognito(), "pool", who, {"tenant": "acme", "username": "u", "email": "u@a.io"}, "x"
        ),
    ]
    for call in calls:  # (the last names another admin group: a tenant user is in neither)
        with pytest.raises(Forbidden, match="only members of the admin group"):
            call(TENANT_USER)
    assert registry.all() == []


@pytest.mark.parametrize(
    ("route", "body", "named"),
    [
        ("create", [], "body must be a JSON object"),
        ("create", {}, "missing field(s): tenant"),
        ("create", {"tenant": "acme", "plan": {}}, "unknown field(s): plan"),
        ("create", {"tenant": "ACME"}, "tenant must be a tenant id"),
        ("update", {"tenant": "acme"}, "missing field(s): status"),
        ("update", {"tenant": "acme", "status": "gone"}, 'status must be "active" or "disabled"'),
        ("user", {"tenant": "acme", "username": "u"}, "missing field(s): email"),
        ("user", {"tenant": "acme", "username": "u", "email": "u@a.io", "admin": "yes"}, "admin must be"),
        ("list", {"tenant": "acme"}, "unknown field(s): tenant"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(registry, route, body, named):
    store = FakePlanStore({}, {})
    call = {
        "create": lambda: tenants.create_request(registry, ADMIN, body, "admin"),
        "update": lambda: tenants.update_request(registry, ADMIN, body, "admin"),
        "user": lambda: tenants.user_request(registry, FakeCognito(), "pool", ADMIN, body, "admin"),
        "list": lambda: tenants.list_request(registry, store, ADMIN, body, "admin"),
    }[route]
    with pytest.raises(BadRequest) as caught:
        call()
    assert named in caught.value.message


def test_listing_shows_plan_and_month_to_date_spend(registry):
    registry.create("acme", "Acme")
    registry.create("globex")
    registry.update("globex", "disabled")
    budget = Plan(monthly_budget_usd=Decimal("25.00"), requests_per_minute=10)
    store = FakePlanStore(
        {"acme": Spend(settled=Decimal("1.234500"), committed=Decimal("1.5"))}, {"acme": budget}
    )
    answer = tenants.list_request(registry, store, ADMIN, {}, "admin")
    rows = {row["tenant"]: row for row in answer["tenants"]}
    assert [row["tenant"] for row in answer["tenants"]] == ["acme", "globex"]
    assert rows["acme"]["spend_month_to_date"] == "1.2345"
    assert rows["acme"]["spend_in_flight"] == "0.2655"
    assert rows["acme"]["plan"]["monthly_budget_usd"] == "25"
    assert rows["acme"]["plan"]["requests_per_minute"] == 10
    assert rows["acme"]["period"] == "2026-11"
    assert rows["globex"]["status"] == "disabled"
    assert rows["globex"]["spend_month_to_date"] == "0"
    assert rows["globex"]["plan"]["monthly_budget_usd"] is None


def test_create_route_reports_created_then_exists(registry):
    first = tenants.create_request(registry, ADMIN, {"tenant": "acme", "display_name": "Acme"}, "admin")
    second = tenants.create_request(registry, ADMIN, {"tenant": "acme"}, "admin")
    assert (first["created"], second["created"]) == (True, False)
    assert second["display_name"] == "Acme"


# -- the disabled gate on invoke ----------------------------------------------------------------------
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


class CountingDynamoDB:
    """Answers the invoke path's reads from a registry dict; counts every round trip."""

    def __init__(self, plans_table: str, registry: dict[str, str]):
        self.plans_table = plans_table
        self.registry = registry  # tenant -> status
        self.calls: list[str] = []
        self.unprocessed_once = False

    def batch_get_item(self, RequestItems):  # noqa: N803
        self.calls.append("batch_get_item")
        assert set(RequestItems) == {self.plans_table, TABLE}
        assert all(spec["ConsistentRead"] for spec in RequestItems.values())
        if self.unprocessed_once:
            self.unprocessed_once = False
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        tenant = RequestItems[TABLE]["Keys"][0]["tenant"]["S"]
        found = []
        if tenant in self.registry:
            found.append({"tenant": {"S": tenant}, "status": {"S": self.registry[tenant]}})
        return {"Responses": {self.plans_table: [], TABLE: found}}

    def update_item(self, **kwargs):
        self.calls.append("update_item")
        return {"Attributes": {}}


@pytest.fixture
def gate(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(plans.time, "monotonic", lambda: now[0])
    client = CountingDynamoDB("t_plans", {"acme": "active", "globex": "disabled"})
    store = PlanStore(client, "t_plans", clock=lambda: CLOCK, sleep=lambda s: None)
    catalog = load_catalog()
    enforcer = Enforcer(store=store, catalog=catalog, region="us-east-1", tenants_table=TABLE)

    def admit(tenant):
        return enforcer.admit(tenant, SONNET, catalog.resolve(SONNET), "hello", 100)

    return client, enforcer, admit, now


def test_a_disabled_tenant_is_refused_before_anything_is_reserved(gate):
    client, _, admit, _ = gate
    with pytest.raises(Forbidden, match="^tenant globex is disabled$") as caught:
        admit("globex")
    assert caught.value.status == 403
    assert client.calls == ["batch_get_item"]  # read, nothing reserved


def test_an_active_or_unregistered_tenant_costs_one_read_then_its_reservation(gate):
    client, _, admit, _ = gate
    assert admit("acme") is not None
    assert admit("initech") is not None  # no registry item: a tenant from before the registry
    assert client.calls == ["batch_get_item", "update_item", "batch_get_item", "update_item"]
    admit("acme")  # warm: the plan and status come from the cache, the reservation is the only trip
    assert client.calls[4:] == ["update_item"]


def test_a_disable_takes_effect_within_the_cache_time(gate):
    client, enforcer, admit, now = gate
    admit("acme")
    client.registry["acme"] = "disabled"
    now[0] += enforcer.plan_cache_seconds - 0.001
    assert admit("acme") is not None  # still cached as active
    now[0] += 0.002
    with pytest.raises(Forbidden, match="tenant acme is disabled"):
        admit("acme")
    client.registry["acme"] = "active"  # re-enabled: admitted again once the cache expires
    now[0] += enforcer.plan_cache_seconds + 0.001
    assert admit("acme") is not None


def test_unprocessed_keys_are_read_again(gate):
    client, _, admit, _ = gate
    client.unprocessed_once = True
    with pytest.raises(Forbidden):
        admit("globex")
    assert client.calls == ["batch_get_item", "batch_get_item"]


def test_a_registry_that_stays_throttled_refuses_the_call(gate):
    client, enforcer, admit, _ = gate

    def always_unprocessed(RequestItems):  # noqa: N803
        client.calls.append("batch_get_item")
        return {"Responses": {}, "UnprocessedKeys": RequestItems}

    client.batch_get_item = always_unprocessed
    with pytest.raises(StoreUnavailable):
        admit("acme")
    assert "update_item" not in client.calls
    enforcer.fail_open = True
    assert admit("acme") is None  # PLANS_FAIL_OPEN admits it without counting


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (tenants.check_tenant_id, "acme\n"),
        (tenants.check_username, "alice\n"),
        (tenants.check_email, "a@b.io\n"),
        (tenants.check_email, "a\ufeff@b.io"),
        (tenants.check_email, "a\u00a0b@c.io"),
    ],
)
def test_a_trailing_newline_or_unicode_space_never_passes(check, value):
    with pytest.raises(BadRequest):
        check(value)


# -- what the messages say, and the edges of each rule -------------------------------------------------
def test_messages_name_the_problem_exactly(registry):
    with pytest.raises(BadRequest, match=r"^username must be 1-128 letters, digits or \._@\+-$"):
        tenants.check_username("a b")
    with pytest.raises(BadRequest, match="^display_name must be a non-empty string$"):
        tenants.check_display_name(" ", "acme")
    with pytest.raises(BadRequest, match='^status must be "active" or "disabled"$'):
        tenants.check_status("x")
    with pytest.raises(BadRequest, match="^email must be an e-mail address$"):
        tenants.check_email("x")
    with pytest.raises(BadRequest, match="^body must be a JSON object$"):
        tenants.create_request(registry, ADMIN, [], "admin")
    with pytest.raises(Forbidden, match="^only members of the admin group may manage tenants$"):
        tenants.create_request(registry, TENANT_USER, {"tenant": "a"}, "admin")
    with pytest.raises(BadRequest, match=r"^unknown field\(s\): a, b, c, d, e$"):
        tenants.create_request(registry, ADMIN, {"tenant": "x", **dict.fromkeys("gfedcba", 1)}, "admin")
    with pytest.raises(BadRequest, match=r"^missing field\(s\): username, email$"):
        tenants.user_request(registry, FakeCognito(), "pool", ADMIN, {"tenant": "x"}, "admin")


def test_a_bad_id_is_echoed_only_when_short():
    with pytest.raises(BadRequest, match=r"; got 'Bad_Id'$"):
        tenants.check_tenant_id("Bad_Id")
    seventy = "A" * 70
    with pytest.raises(BadRequest, match=f"; got '{seventy}'$"):
        tenants.check_tenant_id(seventy)
    with pytest.raises(BadRequest, match=r"; got '\.\.\.'$"):
        tenants.check_tenant_id("A" * 71)
    with pytest.raises(BadRequest, match=r"; got '\.\.\.'$"):
        tenants.check_tenant_id(None)


def test_an_email_of_254_characters_is_the_longest():
    local = "a" * 64
    domain = "b" * (254 - 64 - 1 - 3) + ".io"
    assert len(tenants.check_email(f"{local}@{domain}")) == 254
    with pytest.raises(BadRequest):
        tenants.check_email(f"{local}@b{domain}")


def test_a_registry_item_holds_its_status_and_defaults_read_back(registry, table):
    registry.create("acme")
    assert table.items["acme"]["status"] == {"S": "active"}
    bare = tenants.tenant_from_item({"tenant": {"S": "old"}})
    assert (bare.tenant, bare.display_name, bare.status, bare.created_at) == ("old", "old", "active", "")


def test_timestamps_are_utc_whatever_the_clock_zone(table, monkeypatch):
    import time as time_module

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time_module.tzset()
    try:
        tokyo = dt.timezone(dt.timedelta(hours=9))
        moment = dt.datetime(2026, 11, 30, 17, 0, 0, tzinfo=tokyo)
        record, _ = Registry(table, TABLE, clock=lambda: moment).create("acme")
        assert record.created_at == "2026-11-30T08:00:00+00:00"
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


def test_the_user_route_creates_a_plain_user_and_answers_the_password(registry):
    cognito = FakeCognito(minimum_length=None)  # no policy: the 20-character default
    registry.create("acme")
    body = {"tenant": "acme", "username": "carol", "email": "carol@acme.io"}
    admins = Caller(tenant_id="operators", groups=frozenset({"admins"}))
    answer = tenants.user_request(registry, cognito, "pool", admins, body, "admins")
    assert answer == {
        "tenant": "acme",
        "username": "carol",
        "created": True,
        "admin": False,
        "temporary_password": cognito.users["carol"]["password"],
    }
    assert len(answer["temporary_password"]) == 20
    assert cognito.groups == {}
    again = tenants.user_request(registry, cognito, "pool", admins, {**body, "admin": True}, "admins")
    assert again == {"tenant": "acme", "username": "carol", "created": False, "admin": True}
    assert cognito.groups == {"admins": {"carol"}}  # an existing user may be made an admin


def test_defaults_of_the_user_calls_are_a_plain_user_and_the_admin_group(registry):
    cognito = FakeCognito()
    registry.create("acme")
    plain = tenants.create_user(cognito, "pool", "acme", "dave", "dave@acme.io")
    assert plain.admin is False and cognito.groups == {}
    tenants.add_user_to_tenant(registry, cognito, "pool", "acme", "erin", "erin@acme.io", admin=True)
    assert cognito.groups == {"admin": {"erin"}}


def test_the_update_route_sets_status_and_name(registry):
    registry.create("acme", "Acme")
    answer = tenants.update_request(
        registry, ADMIN, {"tenant": "acme", "status": "disabled", "display_name": "Acme Two"}, "admin"
    )
    assert (answer["tenant"], answer["status"], answer["display_name"]) == ("acme", "disabled", "Acme Two")
    kept = tenants.update_request(registry, ADMIN, {"tenant": "acme", "status": "active"}, "admin")
    assert (kept["status"], kept["display_name"]) == ("active", "Acme Two")


def test_a_user_without_a_tenant_or_a_refused_password_is_named(registry):
    cognito = FakeCognito()
    cognito.users["frank"] = {"password": "x", "attributes": [{"Name": "email", "Value": "f@x.io"}]}
    with pytest.raises(Conflict, match="^user frank already exists and belongs to no tenant, not acme$"):
        tenants.create_user(cognito, "pool", "acme", "frank", "f@x.io")

    class Refusing(FakeCognito):
        def admin_create_user(self, **kwargs):
            error = CognitoError("InvalidPasswordException")
            del error.response["Error"]["Message"]
            raise error

    with pytest.raises(BadRequest, match="^the user pool refused user gina: InvalidPasswordException$"):
        tenants.create_user(Refusing(), "pool", "acme", "gina", "g@x.io")


def test_another_store_error_is_raised_as_it_is(registry):
    class Broken(FakeCognito):
        def admin_create_user(self, **kwargs):
            raise CognitoError("InternalErrorException")

    with pytest.raises(CognitoError, match="InternalErrorException"):
        tenants.create_user(Broken(), "pool", "acme", "hank", "h@x.io")

    class NoResponse(Exception):
        pass

    class Failing(MemoryRegistryTable):
        def put_item(self, **kwargs):
            raise NoResponse("connection reset")

    with pytest.raises(NoResponse):
        Registry(Failing(TABLE), TABLE).create("acme")
