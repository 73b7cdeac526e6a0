"""The CSV report in S3 neutralises formula cells, as the console's CSV does (issue 13, defect 10)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from token_profiler.reports import COLUMNS, _cell, render_csv

pytestmark = pytest.mark.unit


def row(tenant: str, model: str = "m") -> dict:
    return {
        "date": "2026-11-27",
        "pk": tenant,
        "sk": f"2026-11-27#{model}",
        "name": tenant,
        "model_id": model,
        "input_tokens": 3,
        "total_cost": Decimal("-1.5"),
        "unpriced": False,
    }


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"]
)
def test_formula_cells_are_made_inert(text):
    (header, line) = list(csv.reader(io.StringIO(render_csv([row(text, text)]))))
    cells = dict(zip(header, line, strict=True))
    for column in ("pk", "name", "model_id"):
        assert cells[column] == "'" + text
    assert cells["sk"] == "2026-11-27#" + text  # starts with a digit: nothing to neutralise


def test_plain_values_and_numbers_are_unchanged():
    (header, line) = list(csv.reader(io.StringIO(render_csv([row("tenant-1", "-7")]))))
    cells = dict(zip(header, line, strict=True))
    assert header == list(COLUMNS)
    assert (cells["pk"], cells["model_id"], cells["input_tokens"], cells["total_cost"]) == (
        "tenant-1",
        "-7",
        "3",
        "-1.5",
    )


def test_a_cell_starting_with_a_carriage_return_is_made_inert():
    assert _cell("\r=1") == "'\r=1"
    assert _cell("1e3") == "1e3" and _cell("-1e3") == "'-1e3"
