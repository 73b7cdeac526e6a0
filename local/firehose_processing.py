"""Firehose's Lambda data transformation, for the emulator.

moto stores a delivery stream's processors but never runs them: it writes what it receives. The
local stack installs this module in its moto process (``local.stack.start_moto``): it wraps moto's
S3 delivery so that, for a stream whose ExtendedS3 destination has an enabled Lambda processor,
the records go to that function first, through the local stack's Lambda Invoke API, in Firehose's
transformation event, and only the function's answer is written, as Firehose writes it:

- ``Ok`` records' data under the stream's prefix;
- ``ProcessingFailed`` records (every record, when the function cannot be invoked or answers
  without ``records``) under the error prefix, with ``processing-failed`` as the error type;
- ``Dropped`` records nowhere.

Streams without a Lambda processor are written as before. Nothing here decides about a line: the
deployed processor's own code (functions/archive_verify) does, in the local stack's worker.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

ERROR_TYPE = "processing-failed"


def lambda_processor(config: dict[str, Any] | None) -> str | None:
    """The LambdaArn of an enabled Lambda processor in a ProcessingConfiguration, if any."""
    if not config or not config.get("Enabled"):
        return None
    for processor in config.get("Processors") or []:
        if processor.get("Type") == "Lambda":
            for parameter in processor.get("Parameters") or []:
                if parameter.get("ParameterName") == "LambdaArn":
                    return parameter.get("ParameterValue")
    return None


def error_prefix(template: str, now: dt.datetime) -> str:
    """The stream's ErrorOutputPrefix with Firehose's two expressions this stack uses filled in."""
    return template.replace("!{firehose:error-output-type}", ERROR_TYPE).replace(
        "!{timestamp:yyyy/MM/dd}", now.strftime("%Y/%m/%d")
    )


def transform(
    endpoint: str, function_arn: str, stream_arn: str, region: str, records: list[dict[str, bytes]]
) -> tuple[list[dict[str, bytes]], list[dict[str, bytes]]]:
    """Invoke the processor as Firehose does; the records to write, and those that failed."""
    now_ms = int(time.time() * 1000)
    event = {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": stream_arn,
        "region": region,
        "records": [
            {
                "recordId": str(n),
                "approximateArrivalTimestamp": now_ms,
                "data": base64.b64encode(r["Data"]).decode(),
            }
            for n, r in enumerate(records)
        ],
    }
    request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL
        f"{endpoint}/2015-03-31/functions/{urllib.request.quote(function_arn, safe='')}/invocations",
        data=json.dumps(event).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - as above
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return [], records
    if not isinstance(answer, dict) or not isinstance(answer.get("records"), list):
        return [], records  # a function error: Firehose retries, then writes every record as failed
    by_id = {str(r.get("recordId")): r for r in answer["records"] if isinstance(r, dict)}
    ok: list[dict[str, bytes]] = []
    failed: list[dict[str, bytes]] = []
    for n, original in enumerate(records):
        result = by_id.get(str(n))
        if result is None or result.get("result") not in ("Ok", "Dropped"):
            failed.append(original)
        elif result["result"] == "Ok":
            ok.append({"Data": base64.b64decode(result.get("data", ""))})
    return ok, failed


def install(endpoint: str) -> None:
    """Wrap moto's FirehoseBackend.put_s3_records in this process (idempotent)."""
    from moto.firehose.models import FirehoseBackend

    original = FirehoseBackend.put_s3_records
    if getattr(original, "_local_processing", False):
        return

    def put_s3_records(self, delivery_stream_name, version_id, s3_destination, records):
        stream = self.delivery_streams.get(delivery_stream_name)
        extended = stream.destinations[0].get("ExtendedS3", {}) if stream else {}
        function_arn = lambda_processor(extended.get("ProcessingConfiguration"))
        if function_arn is None:
            return original(self, delivery_stream_name, version_id, s3_destination, records)
        ok, failed = transform(endpoint, function_arn, stream.delivery_stream_arn, self.region_name, records)
        if ok:
            original(self, delivery_stream_name, version_id, s3_destination, ok)
        if failed:
            prefix = error_prefix(extended.get("ErrorOutputPrefix") or "", dt.datetime.now(dt.UTC))
            original(self, delivery_stream_name, version_id, {**s3_destination, "Prefix": prefix}, failed)
        return [{"RecordId": str(uuid.uuid4())} for _ in records]

    put_s3_records._local_processing = True
    FirehoseBackend.put_s3_records = put_s3_records
