"""Onboard and manage tenants from the command line (the Makefile's tenant-* targets).

    python -m scripts.tenants add --tenant acme --user alice --email alice@acme.example \
        [--admin] [--name "Acme"]
    python -m scripts.tenants list
    python -m scripts.tenants disable --tenant acme
    python -m scripts.tenants enable --tenant acme

Against the local stack by default (its ``build/local/outputs.json``: the moto endpoint, the
registry table, the user pool), against a deployment with ``--stack <prefix>`` (its
``build/deploy/<prefix>/outputs.json`` and the operator's own AWS credentials), or against any
outputs file with ``--outputs``. The same domain code as the admin routes (token_profiler.tenants)
does the work, with boto3 clients. Each command is idempotent and says what it changed; an error
prints one line naming the problem and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_FUNCTIONS = str(ROOT / "functions")
if _FUNCTIONS not in sys.path:
    sys.path.insert(0, _FUNCTIONS)

from token_profiler import money, tenants  # noqa: E402
from token_profiler.errors import ProfilerError  # noqa: E402
from token_profiler.plans import Plan, PlanStore, apply_changes  # noqa: E402

LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class Failure(Exception):
    """A problem the operator fixes: printed as one line, exit status 2."""


# -- where -------------------------------------------------------------------------------------------
def local_outputs_path() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / "build" / "local").resolve() / "outputs.json"


def outputs_path(stack: str | None, explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if stack:
        return ROOT / "build" / "deploy" / stack / "outputs.json"
    return local_outputs_path()


def load_outputs(path: Path, stack: str | None) -> dict[str, Any]:
    try:
        outputs = json.loads(path.read_text())
    except FileNotFoundError:
        hint = f"deploy it first (make deploy STACK={stack})" if stack else "start it first (make local-up)"
        raise Failure(f"no outputs at {path}: {hint}") from None
    except json.JSONDecodeError as exc:
        raise Failure(f"{path} is not valid JSON ({exc})") from None
    missing = [k for k in ("region", "user_pool_id", "tenants_table_name") if not outputs.get(k)]
    if missing:
        raise Failure(
            f"{path} lacks {', '.join(missing)}: the stack predates the tenant registry; "
            "apply it again (make deploy, or make local-down && make local-up)"
        )
    return outputs


class Target:
    """The clients and names of one stack."""

    def __init__(self, outputs: dict[str, Any], stack: str | None = None):
        import boto3

        kwargs: dict[str, Any] = {"region_name": outputs["region"]}
        if outputs.get("aws_endpoint_url"):  # the local stack's moto server
            kwargs.update(endpoint_url=outputs["aws_endpoint_url"], **LOCAL_CREDENTIALS)
        self.dynamodb = boto3.client("dynamodb", **kwargs)
        self.cognito = boto3.client("cognito-idp", **kwargs)
        self.pool_id = outputs["user_pool_id"]
        self.admin_group = outputs.get("admin_group") or "admin"
        self.registry = tenants.Registry(self.dynamodb, outputs["tenants_table_name"])
        plans_table = outputs.get("plans_table_name")
        fallback = default_plan(outputs.get("stack_prefix") or stack)
        self.plans = PlanStore(self.dynamodb, plans_table, default_plan=fallback) if plans_table else None


def default_plan(prefix: str | None) -> Plan:
    """DEFAULT_PLAN of the configs.json entry of this stack (the plan a tenant without its own has)."""
    try:
        from scripts.config import load_configs

        for config in load_configs():
            if config.stack_prefix == prefix:
                return apply_changes(Plan(), dict(config.default_plan))
    except Exception:  # noqa: BLE001, S110 - only the listing's plan column depends on it
        pass
    return Plan()


# -- commands ----------------------------------------------------------------------------------------
def add(
    target: Target, tenant: str, user: str | None, email: str | None, admin: bool, name: str | None
) -> list[str]:
    lines = []
    tenants.check_tenant_id(tenant)
    if user is not None or email is not None:  # validate before anything is written
        tenants.check_username(user)
        tenants.check_email(email)
    record, created = target.registry.create(tenant, name)
    if created:
        lines.append(f"tenant {tenant}: created ({record.display_name})")
    else:
        lines.append(f"tenant {tenant}: exists ({record.status}, created {record.created_at}); unchanged")
    if user is None:
        return lines
    new = tenants.add_user_to_tenant(
        target.registry,
        target.cognito,
        target.pool_id,
        tenant,
        user,
        email,
        admin=admin,
        admin_group=target.admin_group,
    )
    role = f", in the {target.admin_group} group" if admin else ""
    if new.created:
        lines.append(f"user {user}: created in tenant {tenant}{role}")
        shown = new.temporary_password
        lines.append(f"temporary password (shown once; a new one is set at the first sign-in): {shown}")
    else:
        lines.append(f"user {user}: exists in tenant {tenant}{role}; no user created")
    return lines


def listing(target: Target) -> list[str]:
    if target.plans is None:
        rows = [{**t.to_dict(), "plan": None, "spend_month_to_date": None} for t in target.registry.all()]
    else:
        rows = tenants.listing(target.registry, target.plans)["tenants"]
    if not rows:
        return ["no tenants registered (make tenant-add TENANT=<id> USER=<name> EMAIL=<email>)"]
    header = ("TENANT", "STATUS", "NAME", "CREATED", "BUDGET_USD", "SPEND_MTD_USD")
    table = [header]
    for row in rows:
        plan = row.get("plan") or {}
        budget = plan.get("monthly_budget_usd") or "-"
        spend = row.get("spend_month_to_date")
        table.append(
            (
                row["tenant"],
                row["status"],
                row["display_name"],
                row["created_at"],
                budget,
                money.money_str(money.to_decimal(spend, "spend")) if spend else "-",
            )
        )
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    return ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in table]


def set_status(target: Target, tenant: str, status: str) -> list[str]:
    tenants.check_tenant_id(tenant)
    before = target.registry.get(tenant)
    if before is None:
        raise Failure(f"tenant {tenant} is not registered (make tenant-add TENANT={tenant} ... registers it)")
    if before.status == status:
        return [f"tenant {tenant}: already {status}; unchanged"]
    target.registry.update(tenant, status)
    note = " (calls are refused within the plan cache time, 30 s by default)" if status == "disabled" else ""
    return [f"tenant {tenant}: {status}{note}"]


# -- entry point -------------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m scripts.tenants", description=__doc__.split("\n")[0])
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack", default=os.environ.get("STACK") or None, help="a deployment's STACK_PREFIX")
    where.add_argument("--outputs", help="an outputs.json to read instead")
    commands = main.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", parents=[where], help="register a tenant (if new) and add its user")
    adding.add_argument("--tenant", default="")
    adding.add_argument("--user")
    adding.add_argument("--email")
    adding.add_argument("--admin", action="store_true")
    adding.add_argument("--name")
    commands.add_parser("list", parents=[where], help="every tenant, its status, budget and spend")
    for verb in ("disable", "enable"):
        command = commands.add_parser(verb, parents=[where], help=f"{verb} a tenant")
        command.add_argument("--tenant", default="")
    return main


def run(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "tenant", None) == "":
            raise Failure("TENANT= is required (--tenant)")
        if args.command == "add" and (args.user is None) != (args.email is None):
            raise Failure("USER= and EMAIL= go together (--user, --email); give both or neither")
        target = Target(load_outputs(outputs_path(args.stack, args.outputs), args.stack), args.stack)
        if args.command == "add":
            lines = add(target, args.tenant, args.user, args.email, args.admin, args.name)
        elif args.command == "list":
            lines = listing(target)
        else:
            lines = set_status(target, args.tenant, "disabled" if args.command == "disable" else "active")
    except ProfilerError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - botocore: no credentials, endpoint down, access denied
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(run())
