"""Ports, paths and defaults of the local stack (each overridable by environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "functions" / "token_profiler" / "catalog.json"

DEFAULT_PORTS = {
    "LOCAL_AWS_PORT": 18660,
    "LOCAL_BEDROCK_PORT": 18661,
    "LOCAL_API_PORT": 18662,
    "LOCAL_WEB_PORT": 18663,
}


def _port(name: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_PORTS[name]
    try:
        port = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a port number, got {raw!r}") from exc
    if not 1 <= port <= 65535:
        raise SystemExit(f"{name} must be between 1 and 65535, got {port}")
    return port


@dataclass(frozen=True)
class Ports:
    aws: int
    bedrock: int
    api: int
    web: int

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            aws=_port("LOCAL_AWS_PORT"),
            bedrock=_port("LOCAL_BEDROCK_PORT"),
            api=_port("LOCAL_API_PORT"),
            web=_port("LOCAL_WEB_PORT"),
        )


def state_dir() -> Path:
    """Where the stack keeps its outputs, pid file, logs and Terraform state."""
    return Path(os.environ.get("LOCAL_STATE_DIR") or REPO / "build" / "local").resolve()
