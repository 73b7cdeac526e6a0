"""The Athena engine's polling and result reading, on a scripted client: the back-off and its cap,
the timeout (default and given) and its message, a failure without a reason, both queries polled
with the caller's wait settings, and empty cells. test_ledger.py checks the requests it sends
(botocore's Stubber) and runs its query text on DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest
from token_profiler.errors import ConfigError
from token_profiler.ledger import athena_engine

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 26)


class ScriptedAthena:
    """get_query_execution answers each query's states in turn (the last one repeats);
    start_query_execution hands out q1, q2, ...; get_query_results answers a query's one page."""

    def __init__(self, states: dict[str, list[str]], pages: dict[str, list] | None = None, reason=None):
        self.states = {query: list(answers) for query, answers in states.items()}
        self.pages = pages or {}
        self.reason = reason
        self.polls: list[str] = []
        self.started = 0

    def start_query_execution(self, **kwargs):
        self.started += 1
        return {"QueryExecutionId": f"q{self.started}"}

    def get_query_execution(self, QueryExecutionId):  # noqa: N803 - boto3's name
        self.polls.append(QueryExecutionId)
        answers = self.states[QueryExecutionId]
        state = answers.pop(0) if len(answers) > 1 else answers[0]
        status = {"State": state}
        if self.reason is not None:
            status["StateChangeReason"] = self.reason
        return {"QueryExecution": {"QueryExecutionId": QueryExecutionId, "Status": status}}

    def get_query_results(self, QueryExecutionId):  # noqa: N803
        header, *rows = self.pages[QueryExecutionId]
        cells = [[{"VarCharValue": v} if v is not None else {} for v in row] for row in [header, *rows]]
        return {"ResultSet": {"Rows": [{"Data": row} for row in cells]}}


def test_polling_backs_off_from_a_fifth_of_a_second_to_five_seconds_for_ten_minutes():
    athena = ScriptedAthena({"q1": ["RUNNING"]})
    sleeps: list[float] = []
    with pytest.raises(athena_engine.QueryFailed) as caught:
        athena_engine.wait(athena, "q1", sleep=sleeps.append)
    # doubling from 0.2 s up to the 5 s cap: 6.2 s in the first five waits, then 5 s each until the
    # time waited reaches the default 600 s (6.2 + 119 x 5 = 601.2)
    assert sleeps == [0.2, 0.4, 0.8, 1.6, 3.2] + [5.0] * 119
    assert len(athena.polls) == len(sleeps) + 1
    assert str(caught.value) == "Athena query q1 still running after 600 s"


def test_the_timeout_counts_every_wait_and_is_reached_when_equalled():
    sleeps: list[float] = []
    with pytest.raises(athena_engine.QueryFailed, match=r"^Athena query q1 still queued after 1 s$"):
        athena_engine.wait(ScriptedAthena({"q1": ["QUEUED"]}), "q1", timeout=1.0, sleep=sleeps.append)
    assert sleeps == [0.2, 0.4, 0.8]  # 0.2 + 0.4 < 1 <= 0.2 + 0.4 + 0.8
    sleeps.clear()
    with pytest.raises(athena_engine.QueryFailed, match="still running"):
        athena_engine.wait(ScriptedAthena({"q1": ["RUNNING"]}), "q1", timeout=0.2, sleep=sleeps.append)
    assert sleeps == [0.2]  # waited 0.2 s of a 0.2 s timeout: given up
    sleeps.clear()
    answer = athena_engine.wait(
        ScriptedAthena({"q1": ["QUEUED", "RUNNING", "SUCCEEDED"]}), "q1", timeout=1.0, sleep=sleeps.append
    )
    assert answer["Status"]["State"] == "SUCCEEDED" and sleeps == [0.2, 0.4]


@pytest.mark.parametrize(("state", "said"), [("FAILED", "failed"), ("CANCELLED", "cancelled")])
def test_a_query_that_ends_without_a_result_names_its_state_and_reason(state, said):
    with pytest.raises(athena_engine.QueryFailed) as caught:
        athena_engine.wait(ScriptedAthena({"q7": [state]}, reason="Query exhausted resources"), "q7")
    assert str(caught.value) == f"Athena query q7 {said}: Query exhausted resources"
    with pytest.raises(athena_engine.QueryFailed) as caught:
        athena_engine.wait(ScriptedAthena({"q7": [state]}), "q7")
    assert str(caught.value) == f"Athena query q7 {said}: no reason given"


HEADER = ["tenant_id", "model_id", "region", "tier", "i", "o", "cr", "cw", "n", "cw1h", "dup", "skipped"]


def test_both_queries_are_polled_with_the_callers_wait_settings():
    pages = {
        "q1": [HEADER, ["t", "m", "us-east-1", "standard", "4", "5", "0", "0", "1", "0", "0", "0"]],
        "q2": [["reason", "lines"], ["bad_signature", "3"]],
    }
    athena = ScriptedAthena({"q1": ["SUCCEEDED"], "q2": ["RUNNING", "RUNNING", "SUCCEEDED"]}, pages)
    sleeps: list[float] = []
    totals = athena_engine.read_day(athena, "wg", "db", "tbl", DAY, timeout=5.0, sleep=sleeps.append)
    assert athena.polls == ["q1", "q2", "q2", "q2"]
    assert sleeps == [0.2, 0.4]  # the refusals' query waited through the caller's sleep
    assert totals.day == "2026-11-26"
    assert totals.sums == {("t", "m", "us-east-1", "standard"): [4, 5, 0, 0, 1, 0]}
    assert totals.rejected["bad_signature"] == 3
    # and its timeout too
    athena = ScriptedAthena({"q1": ["SUCCEEDED"], "q2": ["RUNNING"]}, pages)
    with pytest.raises(athena_engine.QueryFailed, match="^Athena query q2 still running after 0 s$"):
        athena_engine.read_day(athena, "wg", "db", "tbl", DAY, timeout=0.0, sleep=sleeps.append)


def test_empty_cells_read_as_zero():
    pages = {
        "q1": [
            HEADER,
            ["t", "m", "", "standard", "4", None, None, None, "1", None, None, "0"],
            [None, None, None, None, None, None, None, None, None, None, "2", None],
        ],
        "q2": [["reason", "lines"], ["unknown_key", None], ["missing_day", "2"]],
    }
    athena = ScriptedAthena({"q1": ["SUCCEEDED"], "q2": ["SUCCEEDED"]}, pages)
    totals = athena_engine.read_day(athena, "wg", "db", "tbl", DAY, sleep=lambda s: None)
    assert totals.sums == {("t", "m", "", "standard"): [4, 0, 0, 0, 1, 0]}
    assert (totals.duplicates, totals.lines_skipped) == (2, 0)
    assert (totals.rejected["unknown_key"], totals.rejected["missing_day"]) == (0, 2)
    assert totals.lines_read == 1 + 2 + 2


@pytest.mark.parametrize("name", ["usage\n", "Usage", "usage-lines", "", "x" * 256, "us age"])
def test_a_glue_name_outside_the_rule_never_reaches_the_query(name):
    with pytest.raises(ConfigError, match="must be lowercase letters, digits or '_'"):
        athena_engine.source(name, "usage_lines", DAY)
    with pytest.raises(ConfigError, match="must be lowercase letters, digits or '_'"):
        athena_engine.source("demo_usage", name, DAY)
    longest = "x" * 255
    assert f'"{longest}"."usage_lines"' in athena_engine.source(longest, "usage_lines", DAY)
