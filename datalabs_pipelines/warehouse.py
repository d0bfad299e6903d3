"""The DuckDB warehouse: the Dagster resource, identifier quoting and idempotent DDL."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from datalabs_pipelines.run_lease import Lease
from datalabs_pipelines.settings import get_settings

SCHEMAS = ("raw", "staging", "pii", "integrated", "marts")
# The storage format a new warehouse file is written in: the newest this DuckDB writes, not
# DuckDB's default (v0.10.2, kept for old readers). Only the project's own DuckDB opens the
# warehouse; the newer string compression writes a scale-100 run's tables about a third faster
# at the same size. An existing file keeps the format it was created in.
WAREHOUSE_STORAGE = {"storage_compatibility_version": "latest"}
LOCK_WAIT_SECONDS = 60.0
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """Validate an identifier that comes from a contract before it is placed in SQL."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return name


def qualified(table: tuple[str, str]) -> str:
    schema, name = table
    return f"{identifier(schema)}.{identifier(name)}"


def quoted(name: str) -> str:
    """Any catalog's, schema's, table's or column's name as a quoted identifier (quotes
    doubled), for names the warehouse does not choose: a database's file name, a lake's alias."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """``value`` as a SQL literal, for the few places that cannot take a bound parameter
    (views, macro bodies, ATTACH, SQL handed to Great Expectations): a number as written, anything
    else (a date as ISO text) a quoted string with its quotes doubled."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return "'" + text.replace("'", "''") + "'"
    return repr(value)


def column_names(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> list[str]:
    """The column names of ``table`` (a table or view) as its name resolves on ``con`` (the
    current database, or a TEMP table in ``main``), in order; empty when it does not resolve.

    Asked by binding the name, not of ``information_schema.columns``, which lists every column
    of every attached database to find one table's: 4 ms on a built warehouse file and 7 ms on
    DuckLake against 0.3 and 2.6 ms (0.4 ms inside a transaction on the lake), and a build asks
    over a thousand times. A name that does not resolve raises DuckDB's catalog error, which
    leaves an open transaction usable.
    """
    try:
        found = con.execute(f"SELECT * FROM {qualified(table)} LIMIT 0")
    except duckdb.CatalogException:
        return []
    return [column[0] for column in found.description]


def table_columns(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> set[str]:
    """The column names of ``table`` (a table or view) in the current database; empty when it
    does not exist."""
    return set(column_names(con, table))


def ensure_table(
    con: duckdb.DuckDBPyConnection, table: tuple[str, str], columns: Mapping[str, str]
) -> None:
    """Create the table if missing; add columns a newer contract declares.

    One catalog query when the table is already as declared (the usual case): on DuckLake
    every statement outside a transaction is a round of queries to the catalog's PostgreSQL.
    """
    existing = table_columns(con, table)
    if not existing:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(table[0])}")
        body = ", ".join(f"{identifier(name)} {sql_type}" for name, sql_type in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({body})")
        return
    for name, sql_type in columns.items():
        if name not in existing:
            con.execute(f"ALTER TABLE {qualified(table)} ADD COLUMN {identifier(name)} {sql_type}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block as one transaction: all or nothing, and one commit. On DuckLake every
    commit is a round of catalog queries, so rows inserted one by one outside a transaction
    (``executemany``) cost one commit each (a 300-row data dictionary: 9 s)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        # A COMMIT that failed (a DuckLake write conflict) has ended the transaction already:
        # then ROLLBACK fails too, and must not hide the conflict the step's retry looks for.
        with suppress(duckdb.TransactionException):
            con.execute("ROLLBACK")
        raise


def drop_temporary(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Drop the TEMP tables or views of these names, whichever each is (DuckDB's DROP must
    name the kind, and IF EXISTS does not excuse the wrong one)."""
    for name in names:
        try:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{identifier(name)}")
        except duckdb.CatalogException:
            con.execute(f"DROP VIEW temp.main.{identifier(name)}")


def table_exists(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> bool:
    """Whether ``table`` (a table or view) resolves on ``con``: whether ``FROM schema.table``
    would read it (``column_names``; a view whose table is gone does not)."""
    return bool(column_names(con, table))


def view_exists(con: duckdb.DuckDBPyConnection, view: tuple[str, str]) -> bool:
    """Whether ``view`` is a view (in any attached database)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
            list(view),
        ).fetchone()[0]
    )


HOOK_ENV = "DATALABS_CONNECTION_HOOK"


class ConnectionHook(Protocol):
    """What a tool (the benchmark's SQL recorder) attaches to every pipeline connection."""

    def connection(self, con: duckdb.DuckDBPyConnection) -> Any:
        """The connection the step uses instead of ``con`` (a proxy with its methods)."""

    def splink_api(self, con: Any) -> Any:
        """Splink's ``DuckDBAPI`` on ``con`` (a warehouse connection or a private one)."""


def connection_hook() -> ConnectionHook | None:
    """The hook named by ``DATALABS_CONNECTION_HOOK`` (``module:attribute``), or None.

    The product never imports a tool: a tool that wants to see the SQL names itself here.
    """
    spec = os.environ.get(HOOK_ENV)
    if not spec:
        return None
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


def splink_api(con: Any) -> Any:
    """Splink's ``DuckDBAPI`` on ``con``, through the connection hook when one is set."""
    hook = connection_hook()
    if hook is not None:
        return hook.splink_api(con)
    from splink import DuckDBAPI

    return DuckDBAPI(connection=con)


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Cap the memory of the open database (``DATALABS_DUCKDB_MEMORY_LIMIT``, default 4GB).

    DuckDB's own default is 80% of the machine; at scale 100 a run passed 6 GiB. With a cap
    DuckDB evicts cached blocks first and spills to ``<warehouse>.tmp`` after.
    """
    limit = get_settings().duckdb_memory_limit
    con.execute("SET memory_limit = ?", [limit])


class WarehouseResource(DuckDBResource):
    """``DuckDBResource`` whose connections are memory-capped and pass through the
    connection hook, when one is set (``connection_hook``). While a run holds it, the run's
    lease is renewed (``run_lease``): a run that dies is recognised by its lease running out.

    On DuckLake a run's steps share one open lake (``deploy.lake.connect``), each step on a
    cursor of its own: attaching the lake loads the extensions and reads the catalog from
    PostgreSQL, about half a second of CPU, once per run instead of once per connection.
    After a commit conflict the shared lake is dropped and the step's retry opens a new one.
    """

    _lease: Lease | None = PrivateAttr(default=None)
    _lake: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _share_lake: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._share_lake = is_lake(self.database)
        if context.instance is not None and context.run_id:
            self._lease = Lease(context.instance, context.run_id).start()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.drop_shared_lake()
        if not is_lake(self.database):
            checkpoint(self.database)
        if self._lease is not None:
            self._lease.stop()
            self._lease = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection closed however the step ends (``DuckDBResource``'s own is closed only
        when the step succeeds, so a failed step left the file open in the process).
        ``database`` is the warehouse file, or a DuckLake."""
        prepare(self.database)
        con = self.open_warehouse()
        try:
            hook = connection_hook()
            wrapped = hook.connection(con) if hook is not None else con
            limit_memory(wrapped)  # through the hook too: a recorder's replay runs under the cap
            yield wrapped
        except duckdb.TransactionException as error:
            from datalabs_pipelines.deploy import lake

            if is_lake(self.database) and lake.is_write_conflict(error):
                self.drop_shared_lake()
                raise lake.retry_after_conflict() from error
            raise
        finally:
            if not is_lake(self.database):
                defer_checkpoint(con, self.database)
            con.close()

    def open_warehouse(self) -> duckdb.DuckDBPyConnection:
        """The embedded file (waiting for another process's lock), or a cursor on the lake."""
        if not is_lake(self.database):
            return connect_waiting(self.database, self.connection_config)
        from datalabs_pipelines.deploy import lake

        if not self._share_lake:
            return lake.connect(self.database, dict(self.connection_config))
        if self._lake is None:
            self._lake = lake.connect(self.database, dict(self.connection_config))
        cursor = self._lake.cursor()
        cursor.execute(f"USE {lake.LAKE_ALIAS}")
        return cursor

    def drop_shared_lake(self) -> None:
        """Close the run's shared lake (at the run's end, or after a commit conflict)."""
        if self._lake is not None:
            self._lake.close()
            self._lake = None


EMBEDDED_POOL = "duckdb"


def warehouse_pool(writes: str) -> str:
    """The Dagster pool of a step that writes the warehouse; ``writes`` names what it writes
    (an extract, a mart, a step's tables).

    Embedded: ``duckdb`` for every step, limit 1 (one writing process per DuckDB file).
    DuckLake: one pool per extract or step (``ducklake/<writes>``), each limited by the
    instance's ``pools.default_limit`` (1 in dagster-production.yaml): independent steps
    write in parallel, and two runs never write the same tables at once.
    """
    from datalabs_pipelines.deploy import lake

    if lake.backend() == "ducklake":
        return f"ducklake/{identifier(writes)}"
    return EMBEDDED_POOL


def connect_waiting(
    database: str, config: Mapping[str, Any], wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open ``database``, waiting up to ``wait`` seconds while another process holds its file
    lock: a short reader (the landing sensor reading the load ledger just as a run starts)
    would otherwise fail the step. DuckDB reports a held lock as an ``IOException``."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(database, config={**WAREHOUSE_STORAGE, **config})
        except duckdb.IOException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


# the write-ahead log a connection leaves for the next one to read: replaying 1 MiB costs
# about 0.01 s, a connection's first checkpoint 0.05 s (scale 1) to 0.15 s (scale 100)
DEFERRED_LOG_BYTES = 1 << 20


def defer_checkpoint(con: duckdb.DuckDBPyConnection, database: str) -> None:
    """Let ``con`` close without folding its commits into the file while the write-ahead log
    is small (``DEFERRED_LOG_BYTES``): they stay in the log, as durable, until a connection
    closes with a larger log, DuckDB checkpoints at a commit past ``checkpoint_threshold``
    (large writes do), or the run's resource checkpoints as the run ends (``checkpoint``).
    Each of a night's small steps paid a checkpoint as it closed: about 1 s of 26 steps at
    scale 100. Every later connection replays the log as it opens, so a larger one is folded
    in at once."""
    log = Path(f"{database}.wal")
    if log.exists() and log.stat().st_size > DEFERRED_LOG_BYTES:
        return
    with suppress(duckdb.Error):  # a connection a fatal error invalidated closes as it can
        con.execute("PRAGMA disable_checkpoint_on_shutdown")


def checkpoint(database: str) -> None:
    """Fold the write-ahead log into the warehouse file, so that a run leaves one file behind;
    skipped while another process holds the file, or this one holds it otherwise configured
    (the log stays durable until a later checkpoint)."""
    if not Path(f"{database}.wal").exists():
        return
    try:
        con = duckdb.connect(database, config=WAREHOUSE_STORAGE)
    except (duckdb.IOException, duckdb.ConnectionException):
        return
    with con, suppress(duckdb.TransactionException):  # another connection's open transaction
        con.execute("CHECKPOINT")


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


def warehouse_database() -> str:
    """What the warehouse resource opens, by ``DATALABS_WAREHOUSE_BACKEND``: the DuckDB file
    (embedded, the default) or the DuckLake (created with its schemas when missing)."""
    from datalabs_pipelines.deploy import lake

    if lake.backend() == "ducklake":
        return lake.lake_settings().database
    return str(get_settings().warehouse_path)


def warehouse_resource() -> DuckDBResource:
    return WarehouseResource(database=warehouse_database())
