"""What moto cannot check about the usage ledger's resources, checked on the sources: moto neither
runs Firehose processors nor applies filter patterns or bucket-policy conditions, and has no
Athena to read the Glue table. Each test ties a Terraform value to the code that depends on it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from token_profiler import logs, settings
from token_profiler.ledger import archive, duckdb_engine

from scripts import build, tf

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.terraform

MAIN = (tf.TERRAFORM_DIR / "main.tf").read_text()
ARCHIVE = (tf.TERRAFORM_DIR / "modules" / "archive" / "main.tf").read_text()
ARCHIVE_VARS = (tf.TERRAFORM_DIR / "modules" / "archive" / "variables.tf").read_text()
ANALYTICS = (tf.TERRAFORM_DIR / "modules" / "analytics" / "main.tf").read_text()


def test_the_subscription_filter_selects_what_the_logs_engine_selects():
    pattern = re.search(r'filter_pattern\s*=\s*("(?:[^"\\]|\\.)*")', MAIN).group(1)
    assert json.loads(pattern) == logs.FILTER_PATTERN


def test_every_record_goes_through_the_verifying_processor_and_nothing_else():
    # the stream's one processor is the verifying Lambda; Firehose's decompression and message
    # extraction are not configured (the processor unpacks the envelopes itself), so no order
    # between a built-in processor and the Lambda can hand it, or the archive, the wrong shape
    processors = ARCHIVE[ARCHIVE.index("  processors = {") :][:400]
    assert re.findall(r"^    (\w+) = \{", processors, re.M) == ["Lambda"]
    assert "LambdaArn       = var.processor_arn" in processors
    # Firehose's defaults (60 s, 3 retries) are not written: the provider reads them back as absent
    assert "BufferIntervalInSeconds" not in processors and "NumberOfRetries" not in processors
    for builtin in ("Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"):
        assert builtin not in ARCHIVE
    # the answer (base64 in JSON) of a buffer unpacked about 8x stays under Lambda's 6 MB payload
    size = float(re.search(r'BufferSizeInMBs\s*=\s*"([0-9.]+)"', processors).group(1))
    assert size >= 0.2 and size * 8 * 4 / 3 < 6
    assert re.search(r'compression_format\s*=\s*"GZIP"', ARCHIVE)
    # the processor is the archive_verify function, built and deployed with the others
    assert 'processor_arn       = module.functions.function_arns["archive_verify"]' in MAIN
    assert "archive_verify" in build.FUNCTIONS
    assert "ingest.process(" in (ROOT / "functions" / "archive_verify" / "index.py").read_text()


def test_firehose_may_invoke_the_processor_and_nothing_more():
    statement = ARCHIVE[ARCHIVE.index('sid       = "InvokeVerifyingProcessor"') :][:300]
    assert 'actions   = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]' in statement
    assert 'resources = [var.processor_arn, "${var.processor_arn}:*"]' in statement
    assert ARCHIVE.count("lambda:") == 2


def test_the_processor_verifies_with_the_aggregators_keyring_and_switch_over_day():
    block = MAIN[MAIN.index("    archive_verify = {") :][:700]
    assert "USAGE_SIGNING_SECRET = module.signing.secret_arn" in block
    assert "SIGNED_LINES_FROM = var.signed_lines_from" in block
    assert "SIGNED_DAYS_FROM = var.signed_days_from" in block
    assert "statements  = [local.read_signing_key]" in block
    assert "route       = null" in block  # Firehose invokes it; no API route, no schedule


def test_partitions_are_named_the_way_the_reader_lists_them():
    default_prefix = re.search(r'variable "prefix" \{.*?default\s*=\s*"([^"]+)"', ARCHIVE_VARS, re.S).group(1)
    assert default_prefix == settings.Settings(function="cost_tracking").archive_prefix
    assert '"projection.hour.format"' in ANALYTICS and "yyyy/MM/dd/HH" in ANALYTICS
    # Firehose's default layout (UTC YYYY/MM/DD/HH after a static prefix) is what day_hours lists
    assert archive.day_hours(dt.date(2026, 1, 31))[24] == "2026/02/01/00"
    assert "${hour}/" in ANALYTICS and "$${hour}" in ANALYTICS


def test_the_glue_table_splits_lines_as_duckdb_does():
    assert '"field.delim" = "\\u0001"' in ANALYTICS
    assert "delim = chr(1)" in Path(duckdb_engine.__file__).read_text()


def test_only_the_firehose_role_may_put_archive_objects():
    statement = ARCHIVE[ARCHIVE.index('Sid       = "OnlyFirehoseWrites"') :][:500]
    assert 'Effect    = "Deny"' in statement and 'Principal = "*"' in statement
    assert 'ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.firehose.arn }' in statement
    assert 'Action    = ["s3:PutObject"]' in statement


def test_the_workgroup_enforces_its_result_location_and_cutoff():
    assert re.search(r"enforce_workgroup_configuration\s*=\s*true", ANALYTICS)
    assert re.search(r"bytes_scanned_cutoff_per_query\s*=\s*var\.bytes_scanned_cutoff", ANALYTICS)
    assert "output_location" in ANALYTICS
