"""Date bounds relative to the run date: the syntax, its values, and checks evaluated with it."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from pydantic import ValidationError

from datalabs_pipelines.contracts.model import Between, resolve_bound

LEAP_DAY = dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("bound", "value"),
    [
        ("run_date", "2024-02-29"),
        ("run_date + 31 days", "2024-03-31"),
        ("run_date - 1 day", "2024-02-28"),
        ("run_date + 1 month", "2024-03-29"),
        ("run_date - 120 years", "1904-02-29"),
        ("run_date + 1 year", "2025-02-28"),  # no 29 February in 2025
        ("run_year", 2024),
        ("run_year - 3", 2021),
        ("1990-01-01", "1990-01-01"),
        (5000, 5000),
        (None, None),
    ],
)
def test_bounds_resolve_on_the_run_date(bound, value):
    assert resolve_bound(bound, LEAP_DAY) == value


@pytest.mark.parametrize("bound", ["2025-12-31", "today + 3 days", "run_date + 3 weeks"])
def test_a_fixed_or_unknown_max_is_refused(bound):
    with pytest.raises(ValidationError):
        Between(type="between", column="x", max=bound)


def test_a_future_delivery_passes_once_the_run_date_has_moved():
    check = Between(type="between", column="d", min="1990-01-01", max="run_date + 31 days")
    with duckdb.connect() as con:
        for on, passes in ((dt.date(2025, 12, 31), False), (dt.date(2026, 1, 15), True)):
            b = check.resolved(on)
            inside = con.execute(
                "SELECT DATE '2026-02-10' BETWEEN ?::DATE AND ?::DATE", [b.min, b.max]
            ).fetchone()[0]
            assert inside is passes
