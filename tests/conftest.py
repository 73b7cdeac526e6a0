"""Fixtures shared by every suite."""

from __future__ import annotations

import os

import pytest

from tests.support.moto_server import start_moto_server

# Nothing in the tests may reach real AWS, whatever the developer's shell holds.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def moto_server_url():
    """URL of a moto server on 127.0.0.1 (free port), shared by the whole session."""
    url, stop = start_moto_server()
    try:
        yield url
    finally:
        stop()


@pytest.fixture(autouse=True)
def _reset_container_caches():
    """Every test starts as a cold container: no cached clients, catalog or settings."""
    try:
        from token_profiler.clients import clear_caches
    except ImportError:  # a suite that does not ship the domain package on its path
        yield
        return
    clear_caches()
    yield
    clear_caches()
