"""The fiscal-year formula, stated once in ``procurement/sql/macros.sql``, on hand-picked days."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from datalabs_pipelines.procurement.facts import SQL_DIR


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
        yield con


@pytest.mark.parametrize(
    ("day", "start_month", "expected"),
    [
        (dt.date(2024, 6, 30), 7, 2024),  # last day of FY2024 (July to June)
        (dt.date(2024, 7, 1), 7, 2025),  # first day of FY2025
        (dt.date(2024, 9, 30), 10, 2024),  # federal: October to September
        (dt.date(2024, 10, 1), 10, 2025),
        (dt.date(2024, 1, 1), 1, 2024),  # calendar fiscal year
        (dt.date(2024, 12, 31), 1, 2024),
    ],
)
def test_a_day_falls_in_the_fiscal_year_named_after_the_year_it_ends_in(
    con, day, start_month, expected
):
    assert con.execute("SELECT fiscal_year(?, ?)", [day, start_month]).fetchone()[0] == expected


@pytest.mark.parametrize("start_month", [1, 2, 7, 10, 12])
def test_a_fiscal_year_starts_on_the_first_day_that_falls_in_it(con, start_month):
    first = con.execute("SELECT fiscal_year_start(2025, ?)", [start_month]).fetchone()[0]
    assert first.day == 1 and first.month == start_month
    before, on = con.execute(
        "SELECT fiscal_year(?::DATE - 1, ?), fiscal_year(?::DATE, ?)",
        [first, start_month, first, start_month],
    ).fetchone()
    assert (before, on) == (2024, 2025)
