"""The DuckDB warehouse: the Dagster resource, identifier quoting and idempotent DDL."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.bench.sqllog import recording
from datalabs_pipelines.settings import get_settings

SCHEMAS = ("raw", "staging", "pii", "integrated", "marts")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """Validate an identifier that comes from a contract before it is placed in SQL."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return name


def literal(text: str) -> str:
    """``text`` as a SQL string literal, for the statements that take no parameters
    (``ATTACH`` in DuckDB 1.5)."""
    return "'" + text.replace("'", "''") + "'"


def qualified(table: tuple[str, str]) -> str:
    schema, name = table
    return f"{identifier(schema)}.{identifier(name)}"


def ensure_table(
    con: duckdb.DuckDBPyConnection, table: tuple[str, str], columns: Mapping[str, str]
) -> None:
    """Create the table if missing; add columns a newer contract declares."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(table[0])}")
    body = ", ".join(f"{identifier(name)} {sql_type}" for name, sql_type in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({body})")
    existing = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            list(table),
        ).fetchall()
    }
    for name, sql_type in columns.items():
        if name not in existing:
            con.execute(f"ALTER TABLE {qualified(table)} ADD COLUMN {identifier(name)} {sql_type}")


def table_exists(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            list(table),
        ).fetchone()[0]
    )


def shared_config() -> dict[str, str]:
    """The DuckDB configuration of every pipeline connection: the one duckdb-engine sets.

    DuckDB lets the connections of one process share an open database only when they are
    opened with the same configuration. Great Expectations connects through duckdb-engine,
    which sets a user agent of its own, so every other connection sets the same agent.
    """
    agent = f"duckdb_engine/{version('duckdb_engine')}(sqlalchemy/{version('sqlalchemy')})"
    return {"custom_user_agent": agent}


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Cap the memory of the open database (``DATALABS_DUCKDB_MEMORY_LIMIT``, default 3GB).

    DuckDB's own default is 80% of the machine. A process holding the warehouse open keeps
    the blocks it has read cached, and at scale 100 that took the run past 6 GiB; with a cap
    DuckDB evicts cached blocks first and spills to ``<warehouse>.tmp`` after. The setting is
    global to the open database, so every connection joining it (GE's too) is capped.
    """
    limit = get_settings().duckdb_memory_limit
    con.execute("SET memory_limit = ?", [limit])


class WarehouseResource(DuckDBResource):
    """``DuckDBResource`` whose connections are memory-capped, and log their SQL when
    ``DATALABS_SQL_LOG`` is set. ``database`` is the warehouse file, or a DuckLake."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        prepare(self.database)
        with super().get_connection() as con:
            if is_lake(self.database):
                seal(con)
            con = recording(con)
            limit_memory(con)  # recorded too: the bare replay runs under the same cap
            yield con


def is_lake(database: Path | str) -> bool:
    """Whether ``database`` names a DuckLake (``ducklake:...``) rather than a DuckDB file."""
    return str(database).startswith("ducklake:")


def prepare(database: Path | str) -> None:
    """Before a connection: make the file's folder, or the lake and its schemas (once)."""
    from datalabs_pipelines.deploy import lake  # imports this module

    if is_lake(database):
        lake.prepare_lake(lake.lake_settings(), SCHEMAS)
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def seal(con: duckdb.DuckDBPyConnection) -> None:
    """Forbid extension downloads for the rest of the open database's life."""
    con.execute("SET GLOBAL autoinstall_known_extensions = false")


def warehouse_database() -> str:
    """What the warehouse resource opens, by ``DATALABS_WAREHOUSE_BACKEND``: the DuckDB file
    (embedded, the default) or the DuckLake (created with its schemas when missing)."""
    from datalabs_pipelines.deploy import lake

    if lake.backend() == "ducklake":
        return lake.lake_settings().database
    return str(get_settings().warehouse_path)


def warehouse_resource() -> DuckDBResource:
    return WarehouseResource(database=warehouse_database(), connection_config=shared_config())


@contextmanager
def kept_open(database: Path | str) -> Iterator[None]:
    """Hold ``database`` open for the duration, for a process that runs many steps on it.

    The steps' connections then join this open database instead of opening the file anew
    (reading its catalog) and, as the last one out, checkpointing it on close: DuckDB
    checkpoints when the WAL outgrows its threshold, and when this closes. Other processes
    cannot open the file meanwhile, which a run holding the ``duckdb`` pool excludes anyway.
    """
    prepare(database)
    con = duckdb.connect(str(database), config=shared_config())
    if is_lake(database):
        seal(con)
    limit_memory(con)
    try:
        yield
    finally:
        con.close()
