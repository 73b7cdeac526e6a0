"""The Athena engine: ``day.sql`` run by Athena over the archive's Glue table, in its workgroup.

Signatures were verified at ingestion (``token_profiler.ledger.ingest``, the archive stream's
processor): the archive's ledger prefix holds only lines that verified, and a refusal record for
each line that did not, which ``refused.sql`` counts. No key reaches a query, its parameters or
Athena's query history: the engine holds none.

The workgroup holds the result location and the bytes-scanned cutoff (Terraform, modules/analytics);
the table's partitions are projected from the key layout, so the query names the day's hours and
Athena reads only those prefixes.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

from token_profiler.errors import ConfigError
from token_profiler.ledger import DayTotals, archive, day_params, day_sql, refused_sql

# matched whole (fullmatch: "$" alone would let a trailing newline through)
_NAME = re.compile(r"[a-z0-9_]{1,255}")
DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


class QueryFailed(RuntimeError):
    """Athena ended the query without a result (failed, cancelled, over the cutoff)."""


def source(database: str, table: str, day: dt.date) -> str:
    """The day's partitions of the archive table, as the relation day.sql reads."""
    for name in (database, table):
        if not _NAME.fullmatch(name):
            raise ConfigError(f"Glue name {name!r}: must be lowercase letters, digits or '_'")
    hours = archive.day_hours(day)
    # names checked above, hours formatted from a date: nothing from a request reaches the text
    relation = f'"{database}"."{table}"'
    return f"(SELECT line FROM {relation} WHERE \"hour\" BETWEEN '{hours[0]}' AND '{hours[-1]}')"  # noqa: S608


def start(athena: Any, workgroup: str, database: str, table: str, day: dt.date, sql=day_sql) -> str:
    """Start ``sql`` (day_sql or refused_sql) over the day's partitions; its query id."""
    params = day_params if sql is day_sql else (lambda d: [d.isoformat()])
    answer = athena.start_query_execution(
        QueryString=sql(source(database, table, day)),
        QueryExecutionContext={"Database": database},
        WorkGroup=workgroup,
        ExecutionParameters=[f"'{value}'" for value in params(day)],
    )
    return answer["QueryExecutionId"]


def wait(
    athena: Any, query_id: str, *, timeout: float = 600.0, sleep: Callable[[float], None] = time.sleep
) -> dict:
    """Poll until the query ends (backing off from 0.2 s to 5 s); its QueryExecution."""
    delay, waited = 0.2, 0.0
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in DONE:
            if state != "SUCCEEDED":
                reason = execution["Status"].get("StateChangeReason", "no reason given")
                raise QueryFailed(f"Athena query {query_id} {state.lower()}: {reason}")
            return execution
        if waited >= timeout:
            raise QueryFailed(f"Athena query {query_id} still {state.lower()} after {timeout:.0f} s")
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 5.0)


def _value(cell: dict) -> str | None:
    return cell.get("VarCharValue")


def _rows(athena: Any, query_id: str):
    """The result rows' cells (all pages; the first row of the first page is the header)."""
    kwargs = {"QueryExecutionId": query_id}
    first = True
    while True:
        page = athena.get_query_results(**kwargs)
        rows = page["ResultSet"]["Rows"]
        if first:
            rows, first = rows[1:], False
        for row in rows:
            yield [_value(cell) for cell in row["Data"]]
        token = page.get("NextToken")
        if not token:
            return
        kwargs["NextToken"] = token


def results(athena: Any, query_id: str, day: dt.date) -> DayTotals:
    """The grouped rows of day.sql."""
    totals = DayTotals(day=day.isoformat())
    for cells in _rows(athena, query_id):
        tenant, model_id, region, tier = cells[:4]
        totals.add_row((tenant, model_id, region, tier, *(int(c or 0) for c in cells[4:])))
    return totals


def read_day(athena: Any, workgroup: str, database: str, table: str, day: dt.date, **wait_args) -> DayTotals:
    """day.sql and refused.sql over the day, both started before either is waited for."""
    day_query = start(athena, workgroup, database, table, day)
    refused_query = start(athena, workgroup, database, table, day, sql=refused_sql)
    wait(athena, day_query, **wait_args)
    totals = results(athena, day_query, day)
    wait(athena, refused_query, **wait_args)
    totals.add_refusals((reason, int(lines or 0)) for reason, lines in _rows(athena, refused_query))
    return totals


def reader(settings: Any, client: Callable[[str], Any]) -> Callable[..., DayTotals]:
    athena = client("athena")

    def read(day: dt.date, keys: Any, accept_unsigned: bool, accept_undated: bool = True) -> DayTotals:
        # keys, accept_unsigned and accept_undated were applied at ingestion, with the same rules
        # and the same SIGNED_LINES_FROM and SIGNED_DAYS_FROM: the archive holds verified lines and
        # refusal records only
        return read_day(athena, settings.athena_workgroup, settings.glue_database, settings.glue_table, day)

    return read
