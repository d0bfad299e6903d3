"""Which rows an expectation finds unexpected, as one SQL predicate over a staging table.

Great Expectations computes the counts. This predicate fetches a few record ids of the rows a
failing check found (asking GE for them costs a query per expectation, passing or not), and
the benchmark's hand-written aggregate counts with it; the benchmark and its test check that
those counts agree with GE's. Bounds and sets are bound parameters, never SQL text: the
predicate names them (``$<prefix>lo``, or ``:<prefix>lo`` for SQLAlchemy's ``text``) and
returns their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

from datalabs_pipelines.contracts.model import (
    Between,
    Contract,
    DateOrder,
    Expectation,
    InSet,
    NotNull,
    RowCount,
    Unique,
    resolved,
)
from datalabs_pipelines.contracts.staging_names import checked_column
from datalabs_pipelines.run_context import run_date
from datalabs_pipelines.warehouse import identifier

KEY_COLUMN = "record_id"


def year(bound: float | str | None) -> int | None:
    """The year of a date bound: a date of birth leaves the pii zone only as its year."""
    return None if bound is None else int(str(bound)[:4])


def duplicate_rows_query(columns: Sequence[str]) -> str:
    """Record ids of rows whose combination of ``columns`` occurs more than once.

    What ``ExpectCompoundColumnsToBeUnique`` checks (rows where every column is missing are
    ignored; missing values otherwise compare equal), as one window over ``{batch}``: GE's
    own SQL for it joins the whole table back to the grouped counts, which made it 0.74 s of
    the 1.0 s GE spent in SQL on the scale-10 wage records. The window reads only the rows whose
    hash of the combination occurs more than once: rows with equal combinations have equal
    hashes, so every copy is among them, and a hash shared by different combinations only
    lets a few more rows in (scale-100 wage records: 0.55 to 0.75 s, now 0.34 to 0.39 s).
    """
    keys = ", ".join(columns)
    present = " OR ".join(f"{c} IS NOT NULL" for c in columns)
    repeated = (
        f"hash({keys}) IN (SELECT hash({keys}) FROM {{batch}} WHERE {present} "
        "GROUP BY 1 HAVING count(*) > 1)"
    )
    return (
        f"SELECT {KEY_COLUMN} FROM (SELECT {KEY_COLUMN}, count(*) OVER (PARTITION BY {keys}) "
        f"AS _copies_of_key FROM {{batch}} WHERE ({present}) AND {repeated}) "
        "WHERE _copies_of_key > 1"
    )


class Predicate(NamedTuple):
    """SQL with named parameters, and their values."""

    sql: str
    params: dict[str, object]


def unexpected_predicate(
    contract: Contract,
    exp: Expectation,
    table: str,
    on: dt.date | None = None,
    *,
    prefix: str = "p",
    mark: str = "$",
) -> Predicate | None:
    """A predicate true for the rows of ``table`` that ``exp`` finds unexpected.

    None for ``row_count``, which is about the table, not its rows. Bounds relative to the run
    date are resolved on ``on`` (default: today in the state's time zone). Parameters are
    named ``<mark><prefix><name>`` (``$`` for DuckDB, ``:`` for SQLAlchemy's ``text``); a
    distinct ``prefix`` per predicate lets several share one statement.
    """
    params: dict[str, object] = {}

    def bound(name: str, value: object) -> str:
        params[prefix + name] = value
        return f"{mark}{prefix}{name}"

    sql = _predicate(contract, resolved(exp, on or run_date()), table, bound)
    return None if sql is None else Predicate(sql, params)


def _predicate(
    contract: Contract, exp: Expectation, table: str, bound: Callable[[str, object], str]
) -> str | None:
    col = {c.name: identifier(checked_column(c)) for c in contract.columns}
    pii = {c.name for c in contract.pii_columns}
    match exp:
        case NotNull(column=c):
            return f"{col[c]} IS NULL"
        case Unique(columns=[c]):
            return (
                f"{col[c]} IN (SELECT {col[c]} FROM {table} WHERE {col[c]} IS NOT NULL "
                f"GROUP BY {col[c]} HAVING count(*) > 1)"
            )
        case Unique(columns=cols):
            query = duplicate_rows_query([col[c] for c in cols]).replace("{batch}", table)
            return f"{KEY_COLUMN} IN ({query})"
        case Between(column=c, min=lo, max=hi) if c in pii:
            return _outside(f"{identifier(c)}_year", year(lo), year(hi), bound)
        case Between(column=c, min=lo, max=hi):
            return _outside(col[c], lo, hi, bound)
        case InSet(column=c, values=values):
            listed = ", ".join(bound(f"v{i}", str(v)) for i, v in enumerate(values))
            return (
                f"{col[c]} IS NOT NULL AND NOT list_contains([{listed}], CAST({col[c]} AS VARCHAR))"
            )
        case DateOrder(start=s, end=e):
            return f"{col[e]} < {col[s]}"
        case RowCount():
            return None
    raise ValueError(exp)


def _outside(column: str, lo: object, hi: object, bound: Callable[[str, object], str]) -> str:
    tests = [f"{column} < {bound('lo', lo)}"] if lo is not None else []
    tests += [f"{column} > {bound('hi', hi)}"] if hi is not None else []
    return f"({' OR '.join(tests)})" if tests else "FALSE"
