"""Time outside SQL, attributed to steps by when each statement ended (worked by hand)."""

from __future__ import annotations

import pytest

from datalabs_pipelines.bench.breakdown import breakdown
from datalabs_pipelines.bench.replay import Statement


def _sql(seconds: float, ended: float | None) -> Statement:
    return Statement(session="d1", op="execute", sql="SELECT 1", seconds=seconds, ended=ended)


def test_statements_are_charged_to_the_step_that_was_running():
    # raw__a runs 100-104 and 110-111 (twice), staging__a 105-109.
    spans = [("raw__a", 100.0, 104.0), ("staging__a", 105.0, 109.0), ("raw__a", 110.0, 111.0)]
    statements = [
        _sql(1.5, 101.0),  # raw__a
        _sql(0.5, 104.0),  # raw__a: ends on the span's last instant
        _sql(0.25, 104.5),  # between steps
        _sql(3.0, 108.0),  # staging__a
        _sql(0.5, 110.5),  # raw__a, second run
        _sql(9.0, None),  # no end time recorded: ignored
        _sql(0.75, 99.0),  # before any step
    ]
    split = breakdown(spans, statements)
    assert split.steps_seconds == pytest.approx(4 + 4 + 1)
    assert split.sql_in_steps == pytest.approx(1.5 + 0.5 + 3.0 + 0.5)
    assert split.sql_outside_steps == pytest.approx(0.25 + 0.75)
    assert split.not_sql_by_step == pytest.approx({"raw__a": 5 - 2.5, "staging__a": 4 - 3.0})
    assert split.not_sql_in_steps == pytest.approx(9 - 5.5)
    assert split.outside_steps(wall_seconds=20.0) == pytest.approx(20 - 9 - 1.0)
