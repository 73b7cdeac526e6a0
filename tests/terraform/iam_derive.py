"""Derive, from the source, which IAM actions each function's code can call.

For functions/<key>/index.py the derivation:

1. collects the token_profiler modules it imports, transitively;
2. walks a name-based call graph from the handler module's top level and every function defined
   in it (a call or reference to ``x`` or ``obj.x`` reaches every ``def x`` in those modules);
3. gathers the boto3 services created on the way (``boto3.client("s3")``, ``aws_client("logs")``)
   and every attribute used that is an operation of one of those services (``client.query``, or
   ``client.converse`` passed along as a callable);
4. maps each operation to its IAM action with botocore's service models (CamelCase operation
   name under the service's IAM prefix), plus the few operations IAM authorizes under another
   action (Converse is authorized as bedrock:InvokeModel).

Subpackages count too (``token_profiler.ledger`` and its modules). The ledger's engines are
alternatives chosen by LEDGER_ENGINE at cold start: only the deployed engine's module is followed.

Over-approximation is possible (a name shared by two functions), under-approximation is not,
short of code that builds operation names at run time.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import botocore.session

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
PACKAGE = "token_profiler"

IAM_PREFIX = {
    "bedrock-runtime": "bedrock",
    "logs": "logs",
    "dynamodb": "dynamodb",
    "s3": "s3",
    "athena": "athena",
    "cognito-idp": "cognito-idp",
    "lambda": "lambda",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
}
ENGINE_SUFFIX = "_engine"
# Operations IAM authorizes under a different action name.
ACTION_ALIASES = {
    "bedrock:Converse": "bedrock:InvokeModel",
    "bedrock:ConverseStream": "bedrock:InvokeModelWithResponseStream",
    # IAM has no TransactWriteItems action: each item's write is authorized as itself, and the
    # plan counters' transactions hold Update actions only (token_profiler.plans.PlanStore.reserve).
    "dynamodb:TransactWriteItems": "dynamodb:UpdateItem",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "lambda:Invoke": "lambda:InvokeFunction",
}


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> CamelCase operation, for one boto3 service."""
    session = botocore.session.get_session()
    model = session.get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_path(name: str, functions_dir: Path) -> Path | None:
    """token_profiler.<name> as a file: a module, or a subpackage's __init__.py."""
    base = functions_dir / PACKAGE / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported_modules(tree: ast.Module, functions_dir: Path) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found.update(alias.name for alias in node.names)
            elif node.module.startswith(f"{PACKAGE}."):
                sub = node.module.split(".", 1)[1]
                found.add(sub)
                # `from token_profiler.ledger import logs_engine` imports a module too
                found.update(f"{sub}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    found.add(alias.name.split(".", 1)[1])
    return {name for name in found if _module_path(name, functions_dir) is not None}


def module_closure(
    key: str, functions_dir: Path = FUNCTIONS_DIR, engine: str = "logs"
) -> dict[str, ast.Module]:
    """The handler module and every token_profiler module it reaches by import (of the ledger's
    engines, only ``engine``'s)."""
    modules = {"index": _parse(functions_dir / key / "index.py")}
    pending = list(_imported_modules(modules["index"], functions_dir))
    while pending:
        name = pending.pop()
        if name in modules:
            continue
        last = name.rsplit(".", 1)[-1]
        if last.endswith(ENGINE_SUFFIX) and last != f"{engine}{ENGINE_SUFFIX}":
            continue
        modules[name] = _parse(_module_path(name, functions_dir))
        pending.extend(_imported_modules(modules[name], functions_dir) - set(modules))
    return modules


def _names_used(node: ast.AST) -> set[str]:
    """Every plain name and attribute name read inside node (calls and references alike)."""
    used = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            used.add(child.id)
        elif isinstance(child, ast.Attribute):
            used.add(child.attr)
    return used


def _paginated(node: ast.AST) -> set[str]:
    """Operations named to get_paginator("...") (called by the paginator, never as an attribute)."""
    names = set()
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr == "get_paginator"
            and child.args
            and isinstance(child.args[0], ast.Constant)
        ):
            names.add(child.args[0].value)
    return names


def _client_services(node: ast.AST) -> set[str]:
    """String literals passed first to something called *client(...)."""
    services = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and child.args and isinstance(child.args[0], ast.Constant):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.endswith("client") and isinstance(child.args[0].value, str):
                services.add(child.args[0].value)
    return services


def derive_services(key: str, functions_dir: Path = FUNCTIONS_DIR, engine: str = "logs") -> set[str]:
    """boto3 services whose clients the code of function `key` creates (e.g. {"logs", "s3"}), with
    ledger engine `engine`."""
    return _reachable(key, functions_dir, engine)[1]


def derive_actions(key: str, functions_dir: Path = FUNCTIONS_DIR, engine: str = "logs") -> set[str]:
    """IAM actions the code of function `key` can call, with ledger engine `engine`."""
    used, services = _reachable(key, functions_dir, engine)
    actions = set()
    for service in services & set(IAM_PREFIX):
        for method, operation in _operations(service).items():
            if method in used:
                action = f"{IAM_PREFIX[service]}:{operation}"
                actions.add(ACTION_ALIASES.get(action, action))
    return actions


def _reachable(key: str, functions_dir: Path, engine: str = "logs") -> tuple[set[str], set[str]]:
    """(names used, boto3 services created) on every path reachable from the handler."""
    modules = module_closure(key, functions_dir, engine)
    definitions: dict[str, list[ast.AST]] = {}
    for tree in modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                definitions.setdefault(node.name, []).append(node)

    index = modules["index"]
    top_level = [node for node in index.body if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    frontier: list[ast.AST] = [*top_level, *[n for n in index.body if isinstance(n, ast.FunctionDef)]]
    # Module-level code of every imported module runs at import time too.
    for name, tree in modules.items():
        if name != "index":
            frontier.extend(
                n
                for n in tree.body
                if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            )

    seen: set[int] = set()
    used: set[str] = set()
    services: set[str] = set()
    while frontier:
        node = frontier.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names = _names_used(node)
        used |= names | _paginated(node)
        services |= _client_services(node)
        for name in names:
            frontier.extend(definitions.get(name, []))
    return used, services
