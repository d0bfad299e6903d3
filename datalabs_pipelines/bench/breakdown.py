"""Where the pipeline's time outside DuckDB goes: inside which steps, and outside all steps.

Each recorded statement carries the wall clock at which it ended; a statement belongs to the
step whose span holds that instant. What a step spent outside SQL is its Python: Dagster's
events, Great Expectations' graph of metrics, our own code. Outside every step are the
process start, creating runs and the time between steps.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from datalabs_pipelines.bench.replay import Statement


@dataclass(frozen=True)
class Breakdown:
    steps_seconds: float  # all step spans
    sql_in_steps: float  # statements that ended inside a step span
    sql_outside_steps: float
    not_sql_by_step: dict[str, float] = field(default_factory=dict)  # step span − its SQL

    @property
    def not_sql_in_steps(self) -> float:
        return self.steps_seconds - self.sql_in_steps

    def outside_steps(self, wall_seconds: float) -> float:
        """Process start and end, run creation and the gaps between steps (SQL excluded)."""
        return wall_seconds - self.steps_seconds - self.sql_outside_steps


def breakdown(
    spans: Sequence[tuple[str, float, float]], statements: Iterable[Statement]
) -> Breakdown:
    """Attribute every statement with an end time to the step span that holds it."""
    ordered = sorted(spans, key=lambda span: span[1])
    starts = [started for _, started, _ in ordered]
    sql_by_step: dict[str, float] = {}
    outside = 0.0
    for statement in statements:
        if statement.ended is None:
            continue
        i = bisect.bisect_right(starts, statement.ended) - 1
        if i >= 0 and statement.ended <= ordered[i][2]:
            step = ordered[i][0]
            sql_by_step[step] = sql_by_step.get(step, 0.0) + statement.seconds
        else:
            outside += statement.seconds
    span_seconds: dict[str, float] = {}
    for step, started, ended in ordered:
        span_seconds[step] = span_seconds.get(step, 0.0) + ended - started
    return Breakdown(
        steps_seconds=sum(span_seconds.values()),
        sql_in_steps=sum(sql_by_step.values()),
        sql_outside_steps=outside,
        not_sql_by_step={s: span_seconds[s] - sql_by_step.get(s, 0.0) for s in span_seconds},
    )
