"""Cognito users of a stack: add one (optionally for a tenant) and sign one in.

The local stack seeds its users with these; the end-to-end tests and the benchmarks make theirs
the same way.
"""

from __future__ import annotations

from typing import Any


def add_user(
    cognito: Any,
    pool_id: str,
    username: str,
    password: str,
    *,
    tenant_id: str | None = None,
    email: str | None = None,
) -> None:
    """A confirmed user with a permanent password (no invitation sent)."""
    attributes = []
    if email:
        attributes += [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if tenant_id:
        attributes.append({"Name": "custom:tenant_id", "Value": tenant_id})
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)


def sign_in(cognito: Any, client_id: str, username: str, password: str) -> dict[str, Any]:
    """USER_PASSWORD_AUTH, as the console and the seed's aws-cli step do: the AuthenticationResult."""
    return cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
