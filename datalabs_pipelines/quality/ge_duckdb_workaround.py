"""The one workaround for a dependency: Great Expectations' SQL engine on DuckDB.

GE's ``SqlAlchemyExecutionEngine`` opens a connection per query and closes it before the rows
are read. DuckDB's results live on their connection (duckdb-engine begins a transaction and
SQLAlchemy rolls it back on close), so every metric comes back empty: ``IndexError`` in
``resolve_metric_bundle``. GE keeps one persisted connection only for the dialects listed in
its private ``_PERSISTED_CONNECTION_DIALECTS``; no public option (engine ``kwargs`` such as
``poolclass=StaticPool`` or ``pool_reset_on_return=None``) avoids the rollback. Upstream:
great_expectations issue #10738 ("Enable Duckdb sqlalchemy data source") and the open pull
request #12084 (a native DuckDB execution engine). Delete this module when that lands.

Pinned: ``great-expectations`` is pinned exactly in ``pyproject.toml``; the behavioural test
``test_ge_duckdb_workaround.py`` fails when GE starts keeping DuckDB connections on its own
(then delete this) or when the names used here change.
"""

from __future__ import annotations

from typing import Any

PINNED_VERSION = "1.24.1"


def keep_duckdb_connections() -> None:
    """Add DuckDB to the dialects whose engine keeps one connection (idempotent)."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    class DuckDBDialect(str):
        """Compared by GE as a string and as an enum member's ``value``."""

        value = "duckdb"

    dialects = engine._PERSISTED_CONNECTION_DIALECTS
    if not any(d == "duckdb" for d in dialects):
        engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, DuckDBDialect("duckdb"))


def release(execution_engine: Any) -> None:
    """Close the kept connection, so that the warehouse file is free for the next step."""
    connection = execution_engine._connection
    if connection is not None:
        connection.close()
        execution_engine._connection = None
    execution_engine.close()
