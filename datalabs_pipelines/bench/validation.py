"""Validation cost: Great Expectations on the largest staging table against one SQL aggregate.

The hand-written aggregate computes, in one statement, the same unexpected counts that the
contract's expectations ask Great Expectations for; the report gives both times and whether
the counts agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.contracts.model import (
    Contract,
    Expectation,
    RowCount,
    Unique,
    check_name,
)
from datalabs_pipelines.contracts.staging_names import checked_column
from datalabs_pipelines.quality.unexpected import unexpected_predicate
from datalabs_pipelines.warehouse import identifier


@dataclass(frozen=True)
class ValidationComparison:
    table: str
    rows: int
    expectations: int
    ge_seconds: float
    sql_seconds: float
    counts_match: bool
    mismatches: dict[str, tuple[Any, Any]]

    @property
    def ratio(self) -> float:
        return self.ge_seconds / self.sql_seconds if self.sql_seconds else float("inf")


def _count_expression(
    contract: Contract, exp: Expectation, table: str, n: int, params: dict[str, object]
) -> str:
    """A SQL expression for ``exp``'s unexpected count (row count for ``row_count``); the
    values it binds go into ``params`` (named after ``n``, the expectation's position).

    Uniqueness is counted from grouped keys, the cheapest way by hand; every other
    expectation counts the rows its predicate (``unexpected_predicate``) selects.
    """
    col = {c.name: identifier(checked_column(c)) for c in contract.columns}
    match exp:
        case Unique(columns=cols):
            keys = ", ".join(col[c] for c in cols)
            # GE skips a row only when every one of the key's columns is missing
            present = " OR ".join(f"{col[c]} IS NOT NULL" for c in cols)
            return (
                f"(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {table} "
                f"WHERE {present} GROUP BY {keys} HAVING count(*) > 1))"
            )
        case RowCount():
            return "count(*)"
    predicate = unexpected_predicate(contract, exp, table, prefix=f"c{n}_")
    params |= predicate.params
    return f"count(*) FILTER (WHERE {predicate.sql})"


def handwritten_sql(contract: Contract, table: str) -> tuple[str, dict[str, object], list[str]]:
    """One SELECT computing every expectation's unexpected count; (sql, its parameters, check
    names)."""
    params: dict[str, object] = {}
    expressions = [
        f"{_count_expression(contract, exp, table, n, params)} AS c{n}"
        for n, exp in enumerate(contract.expectations)
    ]
    names = [check_name(exp) for exp in contract.expectations]
    return f"SELECT {', '.join(expressions)} FROM {table}", params, names


def _best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest of ``repeats`` timed calls (the machine may be busy), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def compare(
    database: Path, contract: Contract, table: str, repeats: int = 10
) -> ValidationComparison:
    """Time GE's validation of ``table`` and the hand-written aggregate; compare counts.

    Both are warmed up once (imports, first connection) and then timed ``repeats`` times,
    GE first (it opens the file on its own connection), then the aggregate.
    """
    from datalabs_pipelines.quality.expectations import evaluate

    sql, params, names = handwritten_sql(contract, table)
    evaluate(database, table, contract)
    ge_seconds, outcomes = _best_of(repeats, lambda: evaluate(database, table, contract))
    with duckdb.connect(str(database)) as con:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute(sql, params).fetchall()
        sql_seconds, counts = _best_of(repeats, lambda: con.execute(sql, params).fetchone())
    mismatches = {}
    for name, count, outcome, exp in zip(
        names, counts, outcomes, contract.expectations, strict=True
    ):
        theirs = outcome.observed_value if isinstance(exp, RowCount) else outcome.unexpected_count
        if theirs is not None and int(theirs) != int(count):
            mismatches[name] = (int(theirs), int(count))
    return ValidationComparison(
        table, rows, len(names), ge_seconds, sql_seconds, not mismatches, mismatches
    )
