"""Evaluate a contract's expectations on a warehouse table with Great Expectations 1.x.

GE runs on its SQL engine, so every metric is computed inside DuckDB and no table is copied
into pandas. Out of the box GE's SQL engine fails on DuckDB (it closes the connection before
the rows are fetched); registering DuckDB among the dialects that keep one persisted
connection fixes that (``ge_duckdb_workaround``, the project's one use of a dependency's
private names). Only record ids of failing rows are reported, never their values: values can
be identifiers.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import sys
import threading
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

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
    resolved,
)
from datalabs_pipelines.contracts.staging_names import checked_column
from datalabs_pipelines.quality.ge_duckdb_workaround import keep_duckdb_connections, release
from datalabs_pipelines.quality.unexpected import (
    KEY_COLUMN,
    duplicate_rows_query,
    unexpected_predicate,
    year,
)
from datalabs_pipelines.run_context import run_date
from datalabs_pipelines.warehouse import is_lake

SAMPLE_KEYS = 5


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, free of identifying values."""

    name: str
    description: str
    severity: str
    passed: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    element_count: int | None = None
    observed_value: object | None = None
    sample_keys: list[str] = field(default_factory=list)
    error: str | None = None


def describe(exp: Expectation) -> str:
    mostly = getattr(exp, "mostly", 1.0)
    share = "" if mostly >= 1 else f" for at least {mostly:.0%} of rows"
    match exp:
        case NotNull(column=c):
            return f"{c} is present{share}"
        case Unique(columns=cols):
            return f"({', '.join(cols)}) is unique"
        case Between(column=c, min=lo, max=hi):
            return f"{c} is between {lo} and {hi}{share}"
        case InSet(column=c, values=values):
            return f"{c} is one of {', '.join(map(str, values))}{share}"
        case DateOrder(start=s, end=e):
            return f"{e} is on or after {s} where both are present"
        case RowCount(min=lo, max=hi):
            return f"row count is between {lo} and {hi if hi is not None else 'unbounded'}"
    raise ValueError(exp)


def private_database(folder: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """A new scratch database file in ``folder`` and a connection to it.

    Close the connection before ``evaluate``: GE opens the file on its own connection.
    """
    path = folder / f"datalabs_{uuid.uuid4().hex}.duckdb"
    return path, duckdb.connect(str(path))


def _connection_url(database: Path | str) -> str:
    if is_lake(database):
        return f"duckdb:///{database}"
    return f"duckdb:///{Path(database).resolve()}"


_importing: threading.Thread | None = None


def start_importing() -> None:
    """Import Great Expectations on a thread of its own unless it is imported already: about
    2 s, once per process, which then overlaps the staging SQL that runs before validation
    (DuckDB releases the GIL while it works). ``evaluate`` waits for that thread before it
    imports anything of GE's (two threads importing one package at once can meet a module
    half made). A failed import shows again, as an error, when ``evaluate`` imports."""
    global _importing
    if _importing is not None or "great_expectations" in sys.modules:
        return
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _importing = threading.Thread(
        target=importlib.import_module,
        args=("great_expectations",),
        name="import great_expectations",
        daemon=True,
    )
    _importing.start()


def _imported() -> None:
    """Wait for ``start_importing``'s thread, if one was started."""
    if _importing is not None:
        _importing.join()


def _gx_expectation(contract: Contract, exp: Expectation):
    import great_expectations as gx

    col = {c.name: checked_column(c) for c in contract.columns}
    pii = {c.name for c in contract.pii_columns}
    match exp:
        case Between(column=c, min=lo, max=hi, mostly=mostly) if c in pii:
            # A date of birth leaves the pii zone only as its year.
            return gx.expectations.ExpectColumnValuesToBeBetween(
                column=f"{c}_year", min_value=year(lo), max_value=year(hi), mostly=mostly
            )
        case NotNull(column=c, mostly=mostly):
            return gx.expectations.ExpectColumnValuesToNotBeNull(column=col[c], mostly=mostly)
        case Unique(columns=[c]):
            return gx.expectations.ExpectColumnValuesToBeUnique(column=col[c])
        case Unique(columns=cols):
            return gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query=duplicate_rows_query([col[c] for c in cols]),
                description=describe(exp),
            )
        case Between(column=c, min=lo, max=hi, mostly=mostly):
            return gx.expectations.ExpectColumnValuesToBeBetween(
                column=col[c], min_value=lo, max_value=hi, mostly=mostly
            )
        case InSet(column=c, values=values, mostly=mostly):
            return gx.expectations.ExpectColumnValuesToBeInSet(
                column=col[c], value_set=list(values), mostly=mostly
            )
        case DateOrder(start=s, end=e):
            return gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=col[e],
                column_B=col[s],
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        case RowCount(min=lo, max=hi):
            return gx.expectations.ExpectTableRowCountToBeBetween(min_value=lo, max_value=hi)
    raise ValueError(exp)


def _is_compound_unique(exp: Expectation) -> bool:
    return isinstance(exp, Unique) and len(exp.columns) > 1


def evaluate(
    database: Path | str,
    table: str,
    contract: Contract,
    expectations: Sequence[Expectation] | None = None,
    on: dt.date | None = None,
) -> list[Outcome]:
    """Run ``expectations`` (default: the contract's) on ``table`` (``schema.name``).

    ``database`` is a DuckDB file that no connection of this process holds open. Bounds
    relative to the run date are resolved on ``on`` (default: today in the state's time zone).
    """
    on = on or run_date()
    chosen = contract.expectations if expectations is None else expectations
    expectations = [resolved(e, on) for e in chosen]
    if not expectations:
        return []
    _imported()
    keep_duckdb_connections()
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = _datasource(database)
        try:
            batch = _whole_table(source, table).get_batch()
            suite = gx.ExpectationSuite(name=f"{contract.name}_suite")
            for position, exp in enumerate(expectations):
                gx_exp = _gx_expectation(contract, exp)
                gx_exp.meta = {"position": position}
                suite.add_expectation(gx_exp)
            # BASIC: counts without GE's per-expectation lists of failing rows' ids; a few
            # are fetched below, for the failing expectations only.
            result = batch.validate(
                suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 0}
            )
            # GE may reorder results; each carries the position we gave its expectation.
            by_position = {r.expectation_config.meta["position"]: r for r in result.results}
            sample_keys = {
                i: _sample_keys(source, table, contract, exp)
                for i, exp in enumerate(expectations)
                if not by_position[i].success and not isinstance(exp, RowCount)
            }
        finally:
            _release(source)
    rows = next(
        (
            r.result["element_count"]
            for r in result.results
            if (r.result or {}).get("element_count")
        ),
        None,
    )
    return [
        _outcome(exp, by_position[i], rows, sample_keys.get(i, []))
        for i, exp in enumerate(expectations)
    ]


def _sample_keys(source, table: str, contract: Contract, exp: Expectation) -> list[str]:
    """A few record ids of the rows ``exp`` found unexpected, through GE's connection."""
    import sqlalchemy as sa

    predicate = unexpected_predicate(contract, exp, table, mark=":")
    engine = source.get_execution_engine()
    rows = engine.execute_query(
        sa.text(
            f"SELECT {KEY_COLUMN} FROM {table} WHERE {predicate.sql} "
            f"ORDER BY {KEY_COLUMN} LIMIT {SAMPLE_KEYS}"
        ).bindparams(**predicate.params)
    ).fetchall()
    return [str(r[0]) for r in rows]


_datasources: dict[str, Any] = {}
# duckdb-engine passes ``config`` to ``duckdb.connect``. Opening a lake by name autoloads the
# ducklake extension, and with DuckDB's default (autoinstall on) that first looks for it at
# DuckDB's extension repository, over the network, although the packaged copy is installed.
LAKE_ENGINE_KWARGS = {"connect_args": {"config": {"autoinstall_known_extensions": False}}}


def _datasource(database: Path | str):
    """One ephemeral GE context and SQL datasource per warehouse file, kept for the process.

    Creating them cost about 0.3 s per staging asset (the context serializes its whole
    config to YAML and tests the connection). Only the objects are kept: ``_release`` releases
    every DuckDB handle after each evaluation, and GE reconnects lazily on the next.
    """
    import great_expectations as gx

    url = _connection_url(database)
    if url not in _datasources:
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        lake = is_lake(database)
        source = context.data_sources.add_sql(
            name="warehouse", connection_string=url, kwargs=LAKE_ENGINE_KWARGS if lake else {}
        )
        if lake:
            _authorize_storage(source)
        _datasources[url] = source
    return _datasources[url]


def _authorize_storage(source) -> None:
    """When the lake's data is on object storage, run ``lake.authorize_storage`` on every
    DuckDB connection GE's two SQLAlchemy engines open (the datasource's and its execution
    engine's), through SQLAlchemy's public ``connect`` event. The connection GE opened to test
    the datasource, before the listener, is discarded with its pool."""
    from sqlalchemy import event

    from datalabs_pipelines.deploy import lake

    if not lake.data_on_object_storage():
        return
    for engine in (source.get_engine(), source.get_execution_engine().engine):
        event.listen(engine, "connect", lambda dbapi, _record: lake.authorize_storage(dbapi))
        engine.dispose()


def _whole_table(source, table: str):
    """The whole-table batch definition of ``table`` (``schema.name``), made once."""
    try:
        asset = source.get_asset(table)
    except LookupError:
        asset = source.add_query_asset(name=table, query=f"SELECT * FROM {table}")
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_table("whole")


def _release(source) -> None:
    """Release every DuckDB handle GE opened: the warehouse must be free for the next step.

    Closing the kept connection and disposing both engines is enough (pinned by
    ``test_validation_releases_the_warehouse``); a full ``gc.collect()`` here cost about
    0.5 s per staging asset once Dagster and GE fill the heap.
    """
    release(source.get_execution_engine())
    source.get_engine().dispose()


def _outcome(exp: Expectation, r, rows: int | None, keys: list[str]) -> Outcome:
    res = r.result or {}
    error = None
    if r.exception_info and r.exception_info.get("raised_exception"):
        # a failed query's message may quote a value (e.g. a cast): quoted text is dropped
        message = str(r.exception_info.get("exception_message"))
        error = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)[:500]
    observed = res.get("observed_value")
    unexpected_count = res.get("unexpected_count")
    unexpected_percent = res.get("unexpected_percent")
    element_count = res.get("element_count")
    if _is_compound_unique(exp) and isinstance(observed, int):
        # UnexpectedRowsExpectation reports the duplicated rows as its observed value.
        unexpected_count, element_count, observed = observed, rows, None
        unexpected_percent = 100.0 * unexpected_count / rows if rows else None
    return Outcome(
        name=check_name(exp),
        description=describe(exp),
        severity=exp.severity,
        passed=bool(r.success) and error is None,
        unexpected_count=unexpected_count,
        unexpected_percent=unexpected_percent,
        element_count=element_count,
        observed_value=observed if isinstance(observed, int | float) else None,
        sample_keys=keys,
        error=error,
    )
