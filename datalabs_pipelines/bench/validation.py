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

from datalabs_pipelines.cleaning.staging import checked_column
from datalabs_pipelines.contracts.model import (
    Between,
    Contract,
    DateOrder,
    Expectation,
    InSet,
    NotNull,
    RowCount,
    Unique,
    check_name,
)
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


def _year(bound: float | str | None) -> int | None:
    return None if bound is None else int(str(bound)[:4])


def _count_expression(contract: Contract, exp: Expectation, table: str, n: int) -> str:
    """A SQL expression for ``exp``'s unexpected count (row count for ``row_count``)."""
    col = {c.name: identifier(checked_column(c)) for c in contract.columns}
    pii = {c.name for c in contract.pii_columns}
    p = f"$p{n}"
    match exp:
        case NotNull(column=c):
            return f"count(*) FILTER (WHERE {col[c]} IS NULL)"
        case Unique(columns=cols):
            keys = ", ".join(col[c] for c in cols)
            present = " AND ".join(f"{col[c]} IS NOT NULL" for c in cols)
            if len(cols) > 1:  # GE skips a row only when every column is missing
                present = " OR ".join(f"{col[c]} IS NOT NULL" for c in cols)
            return (
                f"(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {table} "
                f"WHERE {present} GROUP BY {keys} HAVING count(*) > 1))"
            )
        case Between(column=c, min=lo, max=hi) if c in pii:
            return _between(f"{identifier(c)}_year", _year(lo), _year(hi), p)
        case Between(column=c, min=lo, max=hi):
            return _between(col[c], lo, hi, p)
        case InSet(column=c):
            return (
                f"count(*) FILTER (WHERE {col[c]} IS NOT NULL AND NOT list_contains({p}, "
                f"{col[c]}::VARCHAR))"
            )
        case DateOrder(start=s, end=e):
            return f"count(*) FILTER (WHERE {col[e]} < {col[s]})"
        case RowCount():
            return "count(*)"
    raise ValueError(exp)


def _between(column: str, lo: Any, hi: Any, p: str) -> str:
    tests = []
    if lo is not None:
        tests.append(f"{column} < {p}_lo")
    if hi is not None:
        tests.append(f"{column} > {p}_hi")
    if not tests:
        return "0"
    return f"count(*) FILTER (WHERE {' OR '.join(tests)})"


def _parameters(exp: Expectation, contract: Contract, n: int) -> dict[str, Any]:
    pii = {c.name for c in contract.pii_columns}
    match exp:
        case InSet(values=values):
            return {f"p{n}": [str(v) for v in values]}
        case Between(column=c, min=lo, max=hi):
            bounds = (_year(lo), _year(hi)) if c in pii else (lo, hi)
            names = (f"p{n}_lo", f"p{n}_hi")
            return {name: b for name, b in zip(names, bounds, strict=True) if b is not None}
    return {}


def handwritten_sql(contract: Contract, table: str) -> tuple[str, dict[str, Any], list[str]]:
    """One SELECT computing every expectation's unexpected count; (sql, params, check names)."""
    expressions, params, names = [], {}, []
    for n, exp in enumerate(contract.expectations):
        expressions.append(f"{_count_expression(contract, exp, table, n)} AS c{n}")
        params.update(_parameters(exp, contract, n))
        names.append(check_name(exp))
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
    database: Path, contract: Contract, table: str, repeats: int = 3
) -> ValidationComparison:
    """Time GE's validation of ``table`` and the hand-written aggregate; compare counts.

    Both are warmed up once (imports, first connection) and then timed ``repeats`` times.
    """
    from datalabs_pipelines.quality.expectations import evaluate

    evaluate(database, table, contract)
    ge_seconds, outcomes = _best_of(repeats, lambda: evaluate(database, table, contract))
    sql, params, names = handwritten_sql(contract, table)
    with duckdb.connect(str(database), read_only=True) as con:
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
