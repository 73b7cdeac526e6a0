"""The usage-line signing keyring's value: generated here, put in the secret Terraform declared.

Terraform creates the secret without a value, so no key is ever in Terraform state or a plan.
``ensure`` runs after every apply (``make deploy``, the local stack): it puts a fresh keyring when
the secret has none and leaves an existing one alone. ``rotate`` adds a new key and makes it the
one new lines are signed with; older keys stay, so lines they signed still verify. No function
prints a key.

    python -m scripts.signing_key ensure --secret <arn>   # what make deploy runs
    python -m scripts.signing_key rotate --secret <arn>   # then let invoke_model cold-start again
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

_FUNCTIONS = str(Path(__file__).resolve().parent.parent / "functions")
if _FUNCTIONS not in sys.path:
    sys.path.insert(0, _FUNCTIONS)

from token_profiler.signing import new_keyring_value, parse_keyring  # noqa: E402


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def current_value(client: Any, secret_id: str) -> str | None:
    """The secret's current value, or None when it has none yet."""
    try:
        return client.get_secret_value(SecretId=secret_id)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        return None  # the secret exists (Terraform made it) but holds no version yet


def ensure(client: Any, secret_id: str) -> str:
    """Put a new keyring when the secret has no value; returns the current key id."""
    value = current_value(client, secret_id)
    if value is None:
        value = new_keyring_value(_today())
        client.put_secret_value(SecretId=secret_id, SecretString=value)
    return parse_keyring(value).current


def rotate(client: Any, secret_id: str) -> str:
    """Add a new key and make it current, keeping the others; returns the new key id."""
    value = new_keyring_value(_today(), current_value(client, secret_id))
    client.put_secret_value(SecretId=secret_id, SecretString=value)
    return parse_keyring(value).current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create or rotate the usage-line signing keyring")
    parser.add_argument("command", choices=("ensure", "rotate"))
    parser.add_argument("--secret", required=True, help="secret ARN or name (output signing_secret_arn)")
    args = parser.parse_args(argv)
    import boto3

    client = boto3.client("secretsmanager")
    kid = ensure(client, args.secret) if args.command == "ensure" else rotate(client, args.secret)
    print(f"signing key in use: {kid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
