"""DynamoDB answering instantly, in-process, for the plan counters of invoke_model (plans on).

Like ``fake_bedrock``, botocore's HTTP send is replaced, so serialisation, signing and parsing
still run; requests whose ``X-Amz-Target`` is DynamoDB's get a canned answer and are counted by
operation, anything else goes to the send that was in place (the fake Bedrock).
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager

import botocore.awsrequest
import botocore.httpsession

from bench.fake_bedrock import _Raw

CALLS: Counter[str] = Counter()
# settle answers with the period's counters: far below any threshold, so no alert is published
ANSWERS = {
    "GetItem": {},  # no plan of its own: the default plan applies
    "UpdateItem": {"Attributes": {"settled": {"N": "0.01"}, "committed": {"N": "0.01"}}},
    "TransactWriteItems": {},
}


@contextmanager
def instant_dynamodb():
    fallback = botocore.httpsession.URLLib3Session.send

    def send(self, request):
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if not target.startswith("DynamoDB_"):
            return fallback(self, request)
        operation = target.rsplit(".", 1)[-1]
        CALLS[operation] += 1
        body = json.dumps(ANSWERS.get(operation, {})).encode()
        headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "bench"}
        response = botocore.awsrequest.AWSResponse(request.url, 200, headers, _Raw(body))
        response.content  # noqa: B018 - read the body now, as the real send does
        return response

    botocore.httpsession.URLLib3Session.send = send
    try:
        yield CALLS
    finally:
        botocore.httpsession.URLLib3Session.send = fallback
