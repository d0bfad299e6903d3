"""``warehouse.literal``, the one quoting function: every value reads back as itself."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from datalabs_pipelines.warehouse import literal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (2.5, 2.5),
        ("O'Brien", "O'Brien"),
        ("'; DROP TABLE x; --", "'; DROP TABLE x; --"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (True, "True"),
    ],
)
def test_literals_read_back_as_the_value(value, expected):
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {literal(value)}").fetchone()[0] == expected
