"""Fixtures of the Terraform suite: a moto server of its own and a stack config for the tests."""

from __future__ import annotations

import pytest

from scripts.config import validate_entry

TEST_PREFIX = "tftest"


@pytest.fixture(scope="module")
def stack_config():
    """The seed's keys with our defaults: what a first-time configs.json entry deploys."""
    return validate_entry(
        {
            "STACK_PREFIX": TEST_PREFIX,
            "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
            "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
            "VPC_CIDR": "10.10.0.0/16",
            "API_THROTTLING_RATE": 10000,
            "API_BURST_RATE": 5000,
            "TAGS": {"Suite": "terraform"},
        },
        "test",
    )
