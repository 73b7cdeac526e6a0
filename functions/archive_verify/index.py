"""The usage archive's Firehose processor: verifies every usage line before Firehose writes it.

Firehose invokes it with its buffered records (CloudWatch Logs subscription envelopes); it answers
each record with the lines that verified and a refusal record for each one that did not
(token_profiler.ledger.ingest). It reads the signing keyring once per cold start, and again (at
most once a minute) when a line names a key id it does not hold: after a rotation, a warm
container must not refuse the lines new invoke_model containers sign with the new key.
"""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger
from token_profiler import settings, signing
from token_profiler.clients import aws_client
from token_profiler.ledger import ingest

SETTINGS = settings.load("archive_verify")
logger = Logger()
RELOAD_EVERY_S = 60.0
_state = {"keyring": signing.load_keyring(aws_client("secretsmanager"), SETTINGS.signing_secret)}
_state["at"] = time.monotonic()  # read just now, at cold start


def _reload_keyring() -> bool:
    """Read the keyring again unless that was done less than a minute ago; whether it was."""
    now = time.monotonic()
    if now - _state["at"] < RELOAD_EVERY_S:
        return False
    signing.clear_caches()
    _state["keyring"] = signing.load_keyring(aws_client("secretsmanager"), SETTINGS.signing_secret)
    _state["at"] = now
    return True


@logger.inject_lambda_context
def lambda_handler(event, context):
    cut_overs = (SETTINGS.signed_lines_from, SETTINGS.signed_days_from)
    answer, counts = ingest.process(event, _state["keyring"].keys, *cut_overs)
    if counts.get(signing.UNKNOWN_KEY) and _reload_keyring():
        answer, counts = ingest.process(event, _state["keyring"].keys, *cut_overs)
    refused = {k: v for k, v in counts.items() if k not in ("verified", "records_failed")}
    if refused or counts.get("records_failed"):
        # counts only: never a line, a tenant or a key
        logger.warning("usage lines refused at ingestion", extra={"counts": counts})
    return answer
