"""The local stack's Lambda Invoke API: what a function's boto3 Lambda client reaches when it hands
a run over (AWS_ENDPOINT_URL_LAMBDA)."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from local.lambda_runner import InvokeApi, InvokeResult

pytestmark = pytest.mark.unit

ARN = "arn:aws:lambda:us-east-1:123456789012:function:demo_cost_tracking"


class FakePool:
    def __init__(self):
        self.spec = SimpleNamespace(name="demo_cost_tracking")
        self.events = []
        self.done = threading.Event()

    def invoke(self, event, request_id=None):
        self.events.append((event, threading.current_thread().name))
        self.done.set()
        return InvokeResult(True, {"body": "Calculation Finished!"})


def test_event_invocations_answer_202_and_run_on_their_own_thread():
    pool = FakePool()
    api = InvokeApi({ARN: pool})
    path = "/2015-03-31/functions/demo_cost_tracking/invocations"
    status, payload = api(path, json.dumps({"run_id": "x"}).encode(), {"x-amz-invocation-type": "Event"})
    assert (status, payload) == (202, {})
    assert pool.done.wait(5)
    [(event, thread)] = pool.events
    assert (
        event == {"run_id": "x"} and thread.startswith("async-") and thread != threading.current_thread().name
    )


def test_request_response_returns_the_payload_and_arns_resolve():
    pool = FakePool()
    api = InvokeApi({ARN: pool})
    quoted = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ademo_cost_tracking"
    assert api(f"/2015-03-31/functions/{quoted}/invocations", b"{}", {}) == (
        200,
        {"body": "Calculation Finished!"},
    )


def test_unknown_functions_bad_bodies_and_other_paths():
    api = InvokeApi({ARN: FakePool()})
    assert api("/2015-03-31/functions/nope/invocations", b"{}", {})[0] == 404
    assert api("/2015-03-31/functions/demo_cost_tracking/invocations", b"{oops", {})[0] == 400
    assert api("/2015-03-31/functions", b"{}", {}) is None
