"""Signed lines and prices fixed per day, through the scheduled aggregator on moto.

A forged line is written the way another principal with logs:PutLogEvents would write it: into
the invoke function's log group, in a stream it names. Expected sums and costs are computed here
with Fractions from prices written by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from fractions import Fraction

import boto3
import pytest

from scripts import signing_key
from tests.integration.test_aggregation import day_start_ms, utc_today
from tests.support.lambda_env import LambdaContext, load_handler
from tests.support.usage_lines import TEST_KEYRING, TEST_KEYRING_VALUE, usage_line

pytestmark = pytest.mark.integration

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"  # catalog: 0.003 in, 0.015 out per 1K
NOVA = "amazon.nova-micro-v1:0"  # catalog: 0.000035 in, 0.00014 out per 1K


def cold_start():
    """A fresh cost_tracking container (the environment as it is now); returns its handler."""
    module, _logs = load_handler("cost_tracking")
    return lambda event: module.lambda_handler(event, LambdaContext())


def signed(tenant, request_id, model, i, o, day):
    return usage_line(
        keyring=TEST_KEYRING,
        day=day.isoformat(),
        tenant=tenant,
        request_id=request_id,
        model_id=model,
        input_tokens=i,
        output_tokens=o,
    )


def rows_by_key(stack) -> dict[tuple[str, str], dict]:
    return {(item["pk"]["S"], item["model_id"]["S"]): item for item in stack.items()}


def emf_metrics(out: str) -> dict[str, float]:
    """The values of the embedded-metric-format lines powertools printed."""
    values = {}
    for line in out.splitlines():
        if line.startswith('{"_aws"'):
            record = json.loads(line)
            for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                values[metric["Name"]] = record[metric["Name"]][0]
    return values


def test_a_forged_line_in_a_stream_the_forger_names_bills_nothing_and_is_reported(stack, capsys):
    # Given two genuine signed lines of yesterday
    day = utc_today() - dt.timedelta(days=1)
    base = day_start_ms(day) + 3_600_000
    stack.put_lines(
        [
            (base, signed("tenant-a", "req-1", SONNET, 1000, 100, day)),
            (base + 5, signed("tenant-a", "req-2", SONNET, 2000, 0, day)),
        ]
    )
    # and forged lines written straight into the log group, in a stream the forger names: one
    # unsigned line that reuses req-1 with an earlier timestamp, one with a made-up signature
    forged_unsigned = usage_line(
        tenant="tenant-a", request_id="req-1", model_id=SONNET, input_tokens=10**8, output_tokens=0
    )
    forged_signed = json.loads(signed("tenant-b", "req-9", SONNET, 10**8, 0, day))
    forged_signed["token_usage"]["sig"]["mac"] = "A" * 43
    stack.logs.create_log_stream(logGroupName=stack.log_group, logStreamName="innocent-looking")
    stack.logs.put_log_events(
        logGroupName=stack.log_group,
        logStreamName="innocent-looking",
        logEvents=[
            {"timestamp": base - 10, "message": forged_unsigned},
            {"timestamp": base + 1, "message": json.dumps(forged_signed, separators=(",", ":"))},
        ],
    )
    capsys.readouterr()
    # When yesterday is aggregated
    summary = cold_start()({})["summary"]
    # Then only the genuine lines are billed: 3000 × 0.003 / 1000 + 100 × 0.015 / 1000
    rows = rows_by_key(stack)
    assert set(rows) == {("tenant-a", SONNET)}
    row = rows[("tenant-a", SONNET)]
    assert (int(row["input_tokens"]["N"]), int(row["invocations"]["N"])) == (3000, 2)
    assert Fraction(row["total_cost"]["N"]) == Fraction(3000 * 3, 1000 * 1000) + Fraction(
        100 * 15, 1000 * 1000
    )
    # and the forgeries are reported in the summary and as the metric an alarm watches
    assert summary["rejected"] == {
        "bad_signature": 1,
        "missing_signature": 1,
        "unknown_key": 0,
        "day_mismatch": 0,
        "missing_day": 0,
    }
    assert (summary["lines_read"], summary["lines_counted"], summary["duplicates"]) == (4, 2, 0)
    metrics = emf_metrics(capsys.readouterr().out)
    assert metrics["RejectedUsageLines"] == 2
    assert metrics["RejectedUsageLines.bad_signature"] == 1
    assert metrics["RejectedUsageLines.missing_signature"] == 1


def test_unsigned_lines_bill_before_the_switch_over_day_and_not_from_it(stack, monkeypatch):
    # Given unsigned lines (as written before signing existed) on two consecutive days
    first = utc_today() - dt.timedelta(days=3)
    switch = first + dt.timedelta(days=1)
    lines = []
    for n, day in enumerate((first, switch)):
        message = usage_line(
            tenant="t", request_id=f"old-{n}", model_id=NOVA, input_tokens=1000, output_tokens=1000
        )
        lines.append((day_start_ms(day) + 86_400_000 - 1 if n == 0 else day_start_ms(day), message))
    stack.put_lines(lines)
    # When both days are aggregated with the switch-over on the second one
    monkeypatch.setenv("SIGNED_LINES_FROM", switch.isoformat())
    summary = cold_start()({"start_date": first.isoformat(), "end_date": switch.isoformat()})["summary"]
    # Then the day before bills its unsigned line (the last millisecond of it) and the switch-over
    # day (its first millisecond) rejects it
    dates = {item["date"]["S"]: item for item in stack.items()}
    assert list(dates) == [first.isoformat()]
    assert Fraction(dates[first.isoformat()]["total_cost"]["N"]) == Fraction(35 + 140, 1_000_000)
    assert summary["rejected"]["missing_signature"] == 1 and summary["lines_counted"] == 1


@pytest.mark.parametrize("cut_over", (None, 1))
def test_signed_lines_that_name_no_day_bill_only_before_signed_days_from(stack, monkeypatch, cut_over):
    # Given genuine signed lines written before lines named their day (schema 2), on two days
    first = utc_today() - dt.timedelta(days=3)
    second = first + dt.timedelta(days=1)
    lines = []
    for n, day in enumerate((first, second)):
        message = usage_line(
            keyring=TEST_KEYRING,
            schema_version=2,
            tenant="t",
            request_id=f"old-{n}",
            model_id=NOVA,
            input_tokens=1000,
            output_tokens=1000,
        )
        lines.append((day_start_ms(day) + 3_600_000, message))
    stack.put_lines(lines)
    # When both days are aggregated, with SIGNED_DAYS_FROM on the second day, or unset
    if cut_over is None:
        monkeypatch.delenv("SIGNED_DAYS_FROM", raising=False)
    else:
        monkeypatch.setenv("SIGNED_DAYS_FROM", second.isoformat())
    summary = cold_start()({"start_date": first.isoformat(), "end_date": second.isoformat()})["summary"]
    # Then a day before the cut-over bills its line (1000 x 0.000035 + 1000 x 0.00014 per 1K), and
    # without a cut-over no day bills one: an old genuine line can never bill again
    dates = {item["date"]["S"]: item for item in stack.items()}
    billed = [first.isoformat()] if cut_over else []
    assert list(dates) == billed
    for day in billed:
        assert Fraction(dates[day]["total_cost"]["N"]) == Fraction(35 + 140, 1_000_000)
    assert summary["rejected"]["missing_day"] == 2 - len(billed)
    assert summary["lines_counted"] == len(billed)


def test_a_rerun_keeps_the_prices_the_day_was_billed_at(stack, monkeypatch):
    # Given a day aggregated at the catalog's Sonnet price
    day = utc_today() - dt.timedelta(days=2)
    base = day_start_ms(day) + 1000
    stack.put_lines([(base, signed("t", "r1", SONNET, 1000, 1000, day))])
    cold_start()({"date": day.isoformat()})
    row = rows_by_key(stack)[("t", SONNET)]
    assert (row["price_input"]["N"], row["price_output"]["N"]) == ("0.003", "0.015")
    assert row["price_as_of"]["S"] == "2024-03-04"  # the first day of the catalog period it used
    # When the catalog's price changes and a late line arrives, and the day is run again
    monkeypatch.setenv(
        "PRICE_OVERRIDES", json.dumps({SONNET: {"prices": {"us-east-1": {"input": "0.1", "output": "0.2"}}}})
    )
    stack.put_lines([(base + 1, signed("t", "r2", SONNET, 2000, 0, day))])
    summary = cold_start()({"date": day.isoformat()})["summary"]
    # Then both lines are priced at the day's stored price, not today's: 3000 × 0.003 + 1000 × 0.015
    row = rows_by_key(stack)[("t", SONNET)]
    assert int(row["invocations"]["N"]) == 2 and summary["days_kept"] == []
    assert Fraction(row["total_cost"]["N"]) == Fraction(3000 * 3 + 1000 * 15, 1_000_000)
    assert (row["price_input"]["N"], row["price_output"]["N"]) == ("0.003", "0.015")
    # while a day not aggregated before takes the new price: 1000 × 0.1 / 1000
    other = day - dt.timedelta(days=1)
    stack.put_lines([(day_start_ms(other) + 5, signed("t", "r3", SONNET, 1000, 0, other))])
    cold_start()({"date": other.isoformat()})
    fresh = [item for item in stack.items() if item["date"]["S"] == other.isoformat()]
    assert [Fraction(item["total_cost"]["N"]) for item in fresh] == [Fraction(1, 10)]
    assert fresh[0]["price_input"]["N"] == "0.1"


def test_a_rerun_that_finds_fewer_lines_leaves_rows_and_report_as_they_were(stack, monkeypatch):
    # Given a day of three lines, aggregated
    day = utc_today() - dt.timedelta(days=2)
    base = day_start_ms(day) + 1000
    lines = [
        (base, signed("t1", "a", SONNET, 100, 10, day)),
        (base + 1, signed("t1", "b", SONNET, 200, 20, day)),
        (base + 2, signed("t2", "c", NOVA, 300, 30, day)),
    ]
    stack.put_lines(lines)
    cold_start()({"date": day.isoformat()})
    rows_before, report_before = stack.items(), stack.report(day.isoformat())
    assert len(rows_before) == 2
    # When the day is run again over a log that lost one line (an incomplete archive) ...
    partial = f"{stack.log_group}-partial"
    stack.logs.create_log_group(logGroupName=partial)
    stack.logs.create_log_stream(logGroupName=partial, logStreamName="s")
    stack.logs.put_log_events(
        logGroupName=partial,
        logStreamName="s",
        logEvents=[{"timestamp": ts, "message": m} for ts, m in lines[:2]]
        + [{"timestamp": base + 3, "message": signed("t3", "d", NOVA, 5, 5, day)}],
    )
    monkeypatch.setenv("LOG_GROUP_API", partial)
    summary = cold_start()({"date": day.isoformat()})["summary"]
    # Then nothing of the day is written, and the summary says what is missing
    assert stack.items() == rows_before and stack.report(day.isoformat()) == report_before
    assert summary["days_kept"] == [
        {
            "date": day.isoformat(),
            "rows_stored": 2,
            "rows_found": 2,
            "rows_short": 1,
            "invocations_stored": 3,
            "invocations_found": 3,
        }
    ]
    assert summary["rows_written"] == 0 and summary["reports"] == []
    assert any("left as they were" in warning for warning in summary["warnings"])
    # ... and when its logs have expired altogether, the report is not replaced by an empty one
    stack.logs.delete_log_group(logGroupName=partial)
    summary = cold_start()({"date": day.isoformat()})["summary"]
    assert summary["days_kept"][0]["invocations_found"] == 0
    assert stack.items() == rows_before and stack.report(day.isoformat()) == report_before
    assert len(list(csv.DictReader(io.StringIO(report_before)))) == 2


def test_the_deploy_step_puts_a_keyring_once_and_rotation_keeps_old_keys(aws_env):
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws_env)
    arn = client.create_secret(Name="test/deploy-step-key")["ARN"]
    # the secret Terraform declared has no value: the deploy step puts one
    first = signing_key.ensure(client, arn)
    value = client.get_secret_value(SecretId=arn)["SecretString"]
    assert json.loads(value)["current"] == first
    # a second deploy leaves it alone
    assert signing_key.ensure(client, arn) == first
    assert client.get_secret_value(SecretId=arn)["SecretString"] == value
    # rotation adds a current key and keeps the old one
    second = signing_key.rotate(client, arn)
    rotated = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    assert second != first and rotated["current"] == second
    assert rotated["keys"][first] == json.loads(value)["keys"][first]
    # and the tests' keyring format is the one the deploy step writes
    assert set(json.loads(TEST_KEYRING_VALUE)) == set(rotated)
