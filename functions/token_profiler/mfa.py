"""ADMIN_MFA: admin rights only for members of the admin group whose every sign-in asks for TOTP.

Cognito's MFA setting is pool-wide (OPTIONAL here, so tenants are not forced to enrol) and its
tokens do not say how the user signed in. So the check reads the user's own setting: TOTP enrolled
and preferred means Cognito asks for a code at each sign-in. One AdminGetUser per admin and
container every ``TTL_SECONDS``; tenants never trigger it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from token_profiler.auth import Caller
from token_profiler.errors import Forbidden

TTL_SECONDS = 300.0
TOTP = "SOFTWARE_TOKEN_MFA"
_seen: dict[tuple[str, str], tuple[float, bool]] = {}


def clear_cache() -> None:
    _seen.clear()


def signs_in_with_totp(
    client: Any, pool_id: str, username: str, now: Callable[[], float] = time.monotonic
) -> bool:
    key = (pool_id, username)
    hit = _seen.get(key)
    if hit is not None and now() - hit[0] < TTL_SECONDS:
        return hit[1]
    try:
        user = client.admin_get_user(UserPoolId=pool_id, Username=username)
    except client.exceptions.UserNotFoundException:
        ok = False
    else:
        ok = TOTP in (user.get("UserMFASettingList") or []) and user.get("PreferredMfaSetting") == TOTP
    _seen[key] = (now(), ok)
    return ok


def checked_admin(caller: Caller, admin_group: str, required: bool, cognito: Callable[[], Any]) -> Caller:
    """The caller as is, or 403 when it claims the admin group without signing in with TOTP."""
    if not required or not caller.is_member(admin_group):
        return caller
    if caller.pool_id and caller.username and signs_in_with_totp(cognito(), caller.pool_id, caller.username):
        return caller
    raise Forbidden("admin rights need TOTP MFA: enrol an authenticator app and sign in with it")
