"""The tenant registry: who the tenants are, their display names and whether they may call models.

One DynamoDB item per tenant (key schema in ``tenants.json``, read by Terraform too): ``tenant``,
``display_name``, ``status`` (``active`` or ``disabled``), ``created_at``, ``updated_at``. There is
no delete: a disabled tenant keeps its item, so its id is never given to another tenant (its usage
rows, statements and plan counters stay its own).

Tenant users live in the Cognito user pool, tied to their tenant by the ``custom:tenant_id``
attribute; ``create_user`` makes one with a temporary password (Cognito asks for a new one at the
first sign-in).

Everything here is idempotent: creating a tenant or a user that exists reports it and changes
nothing. Domain only: the DynamoDB and Cognito clients are injected.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from token_profiler import money
from token_profiler.errors import BadRequest, Conflict, Forbidden, NotFound
from token_profiler.registry import ACTIVE, DISABLED, hash_key

STATUSES = (ACTIVE, DISABLED)
TENANT_ATTRIBUTE = "custom:tenant_id"
# Tenant ids: 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or
# a digit (a DNS label). They name S3 keys, CSV rows, URLs and DynamoDB keys unescaped, and one
# case only means "Acme" and "acme" can never be two tenants.
TENANT_ID_RULE = "1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"
_TENANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_DISPLAY_NAME = 100
# Cognito user names (the pool signs in by user name): letters, digits and ._@+- , 1-128.
# Every pattern is matched whole (fullmatch: "$" alone would let a trailing newline through) and
# names ASCII classes only, so the OpenAPI document states exactly the same rules.
_USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
MAX_EMAIL = 254
# Temporary passwords: at least this long (more when the pool's policy asks), with every class.
TEMP_PASSWORD_LENGTH = 20
_SYMBOLS = "!#%*+-=?@^_"
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)


# -- validation -------------------------------------------------------------------------------------
def check_tenant_id(value: Any) -> str:
    if not isinstance(value, str) or not _TENANT_ID.fullmatch(value):
        shown = value if isinstance(value, str) and len(value) <= 70 else "..."
        raise BadRequest(f"tenant must be a tenant id ({TENANT_ID_RULE}); got {shown!r}")
    return value


def check_display_name(value: Any, tenant: str) -> str:
    if value is None:
        return tenant
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("display_name must be a non-empty string")
    value = value.strip()
    if len(value) > MAX_DISPLAY_NAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(f"display_name must be at most {MAX_DISPLAY_NAME} printable characters")
    return value


def check_status(value: Any) -> str:
    if value not in STATUSES:
        raise BadRequest('status must be "active" or "disabled"')
    return value


def check_username(value: Any) -> str:
    if not isinstance(value, str) or not _USERNAME.fullmatch(value):
        raise BadRequest("username must be 1-128 letters, digits or ._@+-")
    return value


def check_email(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value):
        raise BadRequest("email must be an e-mail address")
    return value


def _fields(body: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown[:5])}")
    missing = [name for name in required if name not in body]
    if missing:
        raise BadRequest(f"missing field(s): {', '.join(missing)}")
    return body


# -- the registry -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tenant:
    tenant: str
    display_name: str
    status: str
    created_at: str
    updated_at: str

    @property
    def active(self) -> bool:
        return self.status != DISABLED

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "display_name": self.display_name,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _s(item: dict[str, Any], name: str, default: str = "") -> str:
    return item.get(name, {}).get("S", default)


def tenant_from_item(item: dict[str, Any]) -> Tenant:
    tenant = _s(item, hash_key())
    return Tenant(
        tenant=tenant,
        display_name=_s(item, "display_name", tenant),
        status=_s(item, "status", ACTIVE),
        created_at=_s(item, "created_at"),
        updated_at=_s(item, "updated_at"),
    )


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Registry:
    """The registry table (client and name injected)."""

    def __init__(self, client: Any, table_name: str, clock: Callable[[], dt.datetime] = _now):
        self.client = client
        self.name = table_name
        self.clock = clock

    def _key(self, tenant: str) -> dict[str, Any]:
        return {hash_key(): {"S": tenant}}

    def _stamp(self) -> str:
        return self.clock().astimezone(dt.UTC).isoformat(timespec="seconds")

    def get(self, tenant: str) -> Tenant | None:
        key = self._key(tenant)
        item = self.client.get_item(TableName=self.name, Key=key, ConsistentRead=True).get("Item")
        return tenant_from_item(item) if item else None

    def create(self, tenant: str, display_name: str | None = None) -> tuple[Tenant, bool]:
        """(the tenant, True) when created now; (the one that exists, False) otherwise. An id once
        registered stays taken, disabled or not."""
        check_tenant_id(tenant)
        name = check_display_name(display_name, tenant)
        stamp = self._stamp()
        record = Tenant(tenant=tenant, display_name=name, status=ACTIVE, created_at=stamp, updated_at=stamp)
        item = {
            **self._key(tenant),
            "display_name": {"S": record.display_name},
            "status": {"S": record.status},
            "created_at": {"S": stamp},
            "updated_at": {"S": stamp},
        }
        try:
            self.client.put_item(
                TableName=self.name,
                Item=item,
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": hash_key()},
            )
        except Exception as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            existing = self.get(tenant)
            if existing is None:  # pragma: no cover - an item cannot be deleted (no delete here)
                raise
            return existing, False
        return record, True

    def update(self, tenant: str, status: str, display_name: str | None = None) -> Tenant:
        """Set a registered tenant's status (and display name); 404 for an unregistered id."""
        check_tenant_id(tenant)
        check_status(status)
        sets = ["#st = :st", "updated_at = :u"]
        values = {":st": {"S": status}, ":u": {"S": self._stamp()}}
        if display_name is not None:
            sets.append("display_name = :d")
            values[":d"] = {"S": check_display_name(display_name, tenant)}
        try:
            answer = self.client.update_item(
                TableName=self.name,
                Key=self._key(tenant),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": hash_key(), "#st": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise NotFound(
                    f"tenant {tenant} is not registered (register it first: tenant_create or make tenant-add)"
                ) from None
            raise
        return tenant_from_item(answer["Attributes"])

    def all(self) -> list[Tenant]:
        """Every registered tenant, by id."""
        found: list[Tenant] = []
        kwargs: dict[str, Any] = {"TableName": self.name}
        while True:
            page = self.client.scan(**kwargs)
            found.extend(tenant_from_item(item) for item in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return sorted(found, key=lambda t: t.tenant)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# -- tenant users (Cognito) -------------------------------------------------------------------------
def temporary_password(minimum_length: int = 8) -> str:
    """A random password with a lowercase and an uppercase letter, a digit and a symbol, at least
    TEMP_PASSWORD_LENGTH characters (or the pool's minimum when longer)."""
    length = max(TEMP_PASSWORD_LENGTH, minimum_length)
    chars = [secrets.choice(group) for group in _CLASSES]
    alphabet = "".join(_CLASSES)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _pool_minimum_length(cognito: Any, pool_id: str) -> int:
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return int(pool.get("Policies", {}).get("PasswordPolicy", {}).get("MinimumLength", 8))


def _attribute(user: dict[str, Any], name: str) -> str | None:
    for attribute in user.get("UserAttributes", []):
        if attribute.get("Name") == name:
            return attribute.get("Value")
    return None


@dataclass(frozen=True)
class NewUser:
    tenant: str
    username: str
    created: bool
    admin: bool
    temporary_password: str | None = None  # only when created now

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "tenant": self.tenant,
            "username": self.username,
            "created": self.created,
            "admin": self.admin,
        }
        if self.temporary_password is not None:
            answer["temporary_password"] = self.temporary_password
        return answer


def create_user(
    cognito: Any,
    pool_id: str,
    tenant: str,
    username: str,
    email: str,
    *,
    admin: bool = False,
    admin_group: str = "admin",
) -> NewUser:
    """A user of ``tenant`` with a temporary password (no invitation sent: the caller hands the
    password over). The same user again reports ``created: False``; a user of another tenant is a
    409 naming that tenant. ``admin`` adds the user to the admin group (also an existing user)."""
    check_tenant_id(tenant)
    check_username(username)
    check_email(email)
    password = temporary_password(_pool_minimum_length(cognito, pool_id))
    created = True
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": TENANT_ATTRIBUTE, "Value": tenant},
            ],
        )
    except Exception as exc:
        code = _code(exc)
        if code == "UsernameExistsException":
            user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
            owner = _attribute(user, TENANT_ATTRIBUTE)
            if owner != tenant:
                where = f"tenant {owner}" if owner else "no tenant"
                message = f"user {username} already exists and belongs to {where}, not {tenant}"
                raise Conflict(message) from None
            created = False
        elif code in ("InvalidParameterException", "InvalidPasswordException"):
            message = (getattr(exc, "response", None) or {}).get("Error", {}).get("Message", code)
            raise BadRequest(f"the user pool refused user {username}: {message}") from None
        else:
            raise
    if admin:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=admin_group)
    return NewUser(
        tenant=tenant,
        username=username,
        created=created,
        admin=admin,
        temporary_password=password if created else None,
    )


# -- onboarding (one step for the command line and the routes) ---------------------------------------
def add_user_to_tenant(
    registry: Registry,
    cognito: Any,
    pool_id: str,
    tenant: str,
    username: str,
    email: str,
    *,
    admin: bool = False,
    admin_group: str = "admin",
) -> NewUser:
    """A user for a registered, active tenant (404 unregistered, 409 disabled)."""
    check_tenant_id(tenant)
    check_username(username)
    check_email(email)
    record = registry.get(tenant)
    if record is None:
        raise NotFound(f"tenant {tenant} is not registered (create it first)")
    if not record.active:
        raise Conflict(f"tenant {tenant} is disabled; enable it before adding users")
    return create_user(cognito, pool_id, tenant, username, email, admin=admin, admin_group=admin_group)


# -- the routes (admins only) -----------------------------------------------------------------------
def _require_admin(caller: Any, admin_group: str) -> None:
    if not caller.is_member(admin_group):
        raise Forbidden("only members of the admin group may manage tenants")


def listing(registry: Registry, plan_store: Any) -> dict[str, Any]:
    """Every registered tenant with its effective plan and its month-to-date spend from the plan
    counters (settled, and reserved by calls in flight), as ``tenant_status`` reports them."""
    period = plan_store.period()
    rows = []
    for record in registry.all():
        spend = plan_store.spend(record.tenant, period)
        rows.append(
            {
                **record.to_dict(),
                "plan": plan_store.get_plan(record.tenant).to_dict(),
                "period": period.key,
                "spend_month_to_date": money.money_str(spend.settled),
                "spend_in_flight": money.money_str(spend.in_flight),
            }
        )
    return {"tenants": rows}


def list_request(registry: Registry, plan_store: Any, caller: Any, body: Any, admin_group: str) -> dict:
    """POST /tenants ``{}``."""
    _require_admin(caller, admin_group)
    _fields(body, (), ())
    return listing(registry, plan_store)


def create_request(registry: Registry, caller: Any, body: Any, admin_group: str) -> dict[str, Any]:
    """POST /tenant_create ``{"tenant", "display_name"?}``."""
    _require_admin(caller, admin_group)
    fields = _fields(body, ("tenant",), ("display_name",))
    record, created = registry.create(check_tenant_id(fields["tenant"]), fields.get("display_name"))
    return {**record.to_dict(), "created": created}


def update_request(registry: Registry, caller: Any, body: Any, admin_group: str) -> dict[str, Any]:
    """POST /tenant_update ``{"tenant", "status", "display_name"?}``."""
    _require_admin(caller, admin_group)
    fields = _fields(body, ("tenant", "status"), ("display_name",))
    tenant = check_tenant_id(fields["tenant"])
    return registry.update(tenant, check_status(fields["status"]), fields.get("display_name")).to_dict()


def user_request(
    registry: Registry, cognito: Any, pool_id: str, caller: Any, body: Any, admin_group: str
) -> dict[str, Any]:
    """POST /tenant_user ``{"tenant", "username", "email", "admin"?}``."""
    _require_admin(caller, admin_group)
    fields = _fields(body, ("tenant", "username", "email"), ("admin",))
    admin = fields.get("admin", False)
    if not isinstance(admin, bool):
        raise BadRequest("admin must be true or false")
    user = add_user_to_tenant(
        registry,
        cognito,
        pool_id,
        check_tenant_id(fields["tenant"]),
        check_username(fields["username"]),
        check_email(fields["email"]),
        admin=admin,
        admin_group=admin_group,
    )
    return user.to_dict()
