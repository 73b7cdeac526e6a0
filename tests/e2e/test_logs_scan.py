"""After the whole end-to-end run: no log line anywhere holds an IdToken, an Auth header value or
prompt text. (conftest.py orders this module last.)"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def test_no_log_line_holds_a_token_or_a_prompt(e2e, local_stack):
    groups = []
    for page in e2e.logs.get_paginator("describe_log_groups").paginate():
        groups += [g["logGroupName"] for g in page["logGroups"]]
    assert f"/aws/lambda/{local_stack['stack_prefix']}_invoke_model" in groups
    secrets_seen = [t for t in e2e.tokens if t] + list(e2e.prompts)
    assert secrets_seen, "the suite recorded what it sent"
    lines = 0
    offenders = []
    for group in groups:
        for page in e2e.logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            for event in page["events"]:
                lines += 1
                message = event["message"]
                if JWT.search(message) or "Auth:" in message or '"Auth"' in message:
                    offenders.append((group, message[:200]))
                    continue
                for secret in secrets_seen:
                    if secret in message:
                        offenders.append((group, message[:200]))
                        break
    assert lines > 0
    assert not offenders, offenders[:5]
    print(
        f"\nlog scan: {len(groups)} groups, {lines} lines, {len(secrets_seen)} tokens and prompts looked for"
    )
