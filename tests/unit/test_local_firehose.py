"""The emulator's Firehose runs the stream's Lambda processor (local.firehose_processing), as AWS does.

moto alone writes what it receives; the local stack installs the wrapper in its moto process. Here
it runs in process, against a loopback Invoke API that answers with the real processor's code.
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws
from moto.firehose.models import FirehoseBackend
from token_profiler.ledger import archive, ingest

from local import firehose_processing
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

ARN = "arn:aws:lambda:us-east-1:123456789012:function:demo_archive_verify"


def serve(answer):
    """A loopback Invoke API whose function is ``answer(event)``; its URL and the calls it got."""
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            event = json.loads(self.rfile.read(int(self.headers["content-length"])))
            calls.append((self.path, event))
            body = json.dumps(answer(event)).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/_local/lambda", calls


@pytest.fixture
def stream(monkeypatch):
    # whatever install() does to moto's class is undone after the test
    monkeypatch.setattr(FirehoseBackend, "put_s3_records", FirehoseBackend.put_s3_records)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="demo-archive")
        firehose = boto3.client("firehose", region_name="us-east-1")
        firehose.create_delivery_stream(
            DeliveryStreamName="demo_usage_archive",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/demo",
                "BucketARN": "arn:aws:s3:::demo-archive",
                "Prefix": "usage/",
                "ErrorOutputPrefix": "usage-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                "ProcessingConfiguration": {
                    "Enabled": True,
                    "Processors": [
                        {
                            "Type": "Lambda",
                            "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": ARN}],
                        }
                    ],
                },
            },
        )
        yield s3, firehose


def objects(s3, prefix):
    out = []
    for item in s3.list_objects_v2(Bucket="demo-archive", Prefix=prefix).get("Contents", []):
        body = s3.get_object(Bucket="demo-archive", Key=item["Key"])["Body"].read()
        out.append((item["Key"], body))
    return out


def envelope(messages):
    events = [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)]
    return gzip.compress(json.dumps({"messageType": "DATA_MESSAGE", "logEvents": events}).encode())


def test_the_processors_answer_is_what_the_emulated_stream_writes(stream):
    s3, firehose = stream
    server, endpoint, calls = serve(lambda event: ingest.process(event, TEST_KEYRING.keys, None)[0])
    firehose_processing.install(endpoint)
    genuine = usage_line(
        tenant="t",
        request_id="a",
        model_id="m",
        input_tokens=1,
        output_tokens=2,
        keyring=TEST_KEYRING,
        day="2026-11-26",
    )
    forged = usage_line(tenant="v", request_id="a", model_id="m", input_tokens=9, output_tokens=9)
    firehose.put_record_batch(
        DeliveryStreamName="demo_usage_archive", Records=[{"Data": envelope([genuine, forged])}]
    )
    server.shutdown()
    # the function was invoked by ARN with Firehose's event
    [(path, event)] = calls
    assert path == f"/_local/lambda/2015-03-31/functions/{ARN.replace(':', '%3A')}/invocations"
    assert event["deliveryStreamArn"].endswith(":deliverystream/demo_usage_archive")
    assert [r["recordId"] for r in event["records"]] == ["0"]
    # and the archive holds its answer: the verified line, and a refusal in place of the other
    [(key, body)] = objects(s3, "usage/")
    lines = archive.object_lines(body).decode().splitlines()
    assert lines[0] == genuine
    assert json.loads(lines[1])["reason"] == "missing_signature" and len(lines) == 2
    assert objects(s3, "usage-errors/") == []


def test_records_the_processor_cannot_take_go_to_the_error_prefix(stream):
    s3, firehose = stream
    server, endpoint, _ = serve(lambda event: {"errorType": "Runtime.ExitError", "errorMessage": "boom"})
    firehose_processing.install(endpoint)
    firehose.put_record_batch(DeliveryStreamName="demo_usage_archive", Records=[{"Data": b"raw record"}])
    server.shutdown()
    assert objects(s3, "usage/") == []
    [(key, body)] = objects(s3, "usage-errors/processing-failed/")
    assert body == b"raw record"


def test_a_stream_without_a_lambda_processor_is_written_as_moto_writes_it():
    assert firehose_processing.lambda_processor(None) is None
    assert (
        firehose_processing.lambda_processor({"Enabled": False, "Processors": [{"Type": "Lambda"}]}) is None
    )
    config = {"Enabled": True, "Processors": [{"Type": "Decompression", "Parameters": []}]}
    assert firehose_processing.lambda_processor(config) is None
