"""The whole path on moto: invoke (stubbed Bedrock) → usage lines in CloudWatch → manual aggregation
→ DynamoDB and the CSV report → retrieval by the tenant and by an admin."""

from __future__ import annotations

import datetime as dt
import json
import time
from fractions import Fraction

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.lambda_env import LambdaContext, claims_for, load_handler, log_records, rest_event

pytestmark = pytest.mark.integration

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
# per 1,000 tokens, by hand: Sonnet 0.003 / 0.015, Nova Lite 0.00006 / 0.00024
PRICE = {SONNET: (Fraction("0.003"), Fraction("0.015")), NOVA: (Fraction("0.00006"), Fraction("0.00024"))}


def test_invoke_aggregate_retrieve(stack, monkeypatch):
    # Given calls by two tenants with known token counts
    invoke, invoke_logs = load_handler("invoke_model")
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.activate()
    monkeypatch.setattr(invoke, "get_client", lambda *args: client)
    calls = [
        ("acme", SONNET, 10, 282),
        ("acme", SONNET, 5, 7),
        ("acme", NOVA, 1000, 3),
        ("globex", SONNET, 1, 1),
    ]
    for n, (tenant, model, i, o) in enumerate(calls):
        stubber.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": [{"text": f"answer {n}"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": i, "outputTokens": o, "totalTokens": i + o},
                "metrics": {"latencyMs": 1},
            },
        )
        event = rest_event(
            "/invoke_model",
            body={"inputs": f"question {n}"},
            claims=claims_for(tenant),
            query={"model_id": model},
            request_id=f"flow-{n}",
        )
        assert invoke.lambda_handler(event, LambdaContext())["statusCode"] == 200
    # one failed call writes no usage line
    stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    event = rest_event(
        "/invoke_model", body={"inputs": "q"}, claims=claims_for("acme"), query={"model_id": SONNET}
    )
    assert invoke.lambda_handler(event, LambdaContext())["statusCode"] == 429

    # ... and their log lines are shipped to the invoke function's log group, as Lambda would
    now_ms = int(time.time() * 1000)
    lines = [json.dumps(r, separators=(",", ":")) for r in log_records(invoke_logs)]
    stack.put_lines([(now_ms, line) for line in lines])

    # When an admin runs the aggregation for today
    manual, _ = load_handler("cost_tracking_manual")
    event = rest_event("/cost_track_manual", body=None, claims=claims_for("ops", groups="admin"))
    response = manual.lambda_handler(event, LambdaContext())
    payload = json.loads(response["body"])
    assert response["statusCode"] == 200 and payload["body"] == "Calculation Finished!"
    assert payload["summary"]["lines_counted"] == 4 and payload["summary"]["rows_written"] == 3

    # Then each tenant reads its own rows with exact costs
    retrieval, _ = load_handler("ddb_cost_retrieval")

    def read(tenant, groups=None, body=None):
        event = rest_event("/ddb_cost_retrieval", body=body, claims=claims_for(tenant, groups=groups))
        response = retrieval.lambda_handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])["body"]

    today = dt.datetime.now(dt.UTC).date().isoformat()
    status, acme = read("acme")
    assert status == 200
    by_model = {item["model_id"]: item for item in acme}
    assert set(by_model) == {SONNET, NOVA}
    sonnet = by_model[SONNET]
    assert (sonnet["date"], sonnet["pk"], sonnet["name"]) == (today, "acme", "acme")
    assert (sonnet["input_tokens"], sonnet["output_tokens"], sonnet["invocations"]) == ("15", "289", "2")
    assert Fraction(sonnet["input_cost"]) == 15 * PRICE[SONNET][0] / 1000
    assert Fraction(sonnet["output_cost"]) == 289 * PRICE[SONNET][1] / 1000
    nova = by_model[NOVA]
    expected_nova = (1000 * PRICE[NOVA][0] + 3 * PRICE[NOVA][1]) / 1000
    assert Fraction(nova["total_cost"]) == expected_nova
    status, globex = read("globex")
    assert [item["pk"] for item in globex] == ["globex"]
    # and the admin sees all three rows, filtered by date through the index
    status, everything = read("ops", groups="admin", body={"start_date": today, "end_date": today})
    assert {(i["pk"], i["model_id"]) for i in everything} == {
        ("acme", SONNET),
        ("acme", NOVA),
        ("globex", SONNET),
    }
    # and the report holds the same three rows
    assert len(stack.report(today).strip().splitlines()) == 1 + 3
