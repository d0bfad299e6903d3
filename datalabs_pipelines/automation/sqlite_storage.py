"""Cheaper writes to Dagster's SQLite run storage, for the in-process `make run` driver.

Dagster's SQLite storage opens a connection per event (about 2,500 per `make run`), commits and
closes it. With SQLite's defaults every commit syncs the WAL, and closing the last connection
checkpoints the database, deletes the WAL and syncs the folder: `strace` counted 10,400
``fdatasync`` calls in one scale-1 `make run` (DuckDB: 300). On a shared disk each can take
milliseconds to tens of milliseconds. For databases already in WAL mode (all of Dagster's once
created), ``tune_sqlite_storage`` makes this process

- set ``synchronous=NORMAL``, which in WAL mode cannot corrupt the database (a power cut may
  lose the last events), so commits no longer sync; a new, empty database is switched to WAL
  before Dagster creates its tables rather than right after; and
- keep one idle connection open per database file, so that closing Dagster's connections is
  no longer "the last one out": no checkpoint, no WAL deleted and recreated. SQLite still
  checkpoints on its own every 1,000 pages, and when the idle connections close at exit; and
- reuse one SQLAlchemy engine, holding one connection, per event-log shard instead of a new
  engine and connection per event (``_connect_with_kept_engine``): SQLAlchemy caches compiled
  statements per engine, so Dagster compiled every INSERT anew, and SQLite parsed the schema
  of the index database on every connection. Use stays serialized by Dagster's own lock. In
  a scale-10 `make run` (about 1,200 events) the time spent storing events went from 6.9 s
  to 3.6 s. The run database gets the same (``_connect_runs_with_kept_engine``); and
- remember what does not change within a process: which tables the index database has
  (Dagster asked, with a new engine, before most events: 520 times at scale 10) and which
  columns its asset key table has (a schema reflection before every asset event), and Alembic's
  parsed migration scripts, which Dagster re-read twice for every new run shard (0.15 s a run);
  and create a new run's shard as a copy of an empty one Dagster initialised once in this
  process, rather than creating its tables and indexes and stamping Alembic every run.

Only the calling process is affected, not the webserver or the daemon (they read WAL
databases concurrently as usual).
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

_lock = threading.Lock()
_idle: dict[str, sqlite3.Connection] = {}
_engines: dict[str, Engine] = {}
_present: set[tuple[str, str]] = set()
_scripts: dict[str, ScriptDirectory] = {}
_empty_shard: list[Path] = []  # at most one: an initialised run shard holding no events
_installed = False
_has_table = SqliteEventLogStorage.has_table
_has_asset_key_col = SqliteEventLogStorage._has_asset_key_col_on_connection
_script_directory = ScriptDirectory.from_config.__func__


def tune_sqlite_storage() -> None:
    """Install the connect hook and the engine cache (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    event.listen(Engine, "connect", _on_connect)
    SqliteEventLogStorage._connect = _connect_with_kept_engine
    SqliteEventLogStorage.has_table = _has_table_remembered
    SqliteEventLogStorage._has_asset_key_col_on_connection = _has_asset_key_col_remembered
    SqliteRunStorage.connect = _connect_runs_with_kept_engine
    ScriptDirectory.from_config = classmethod(_parsed_once)
    atexit.register(close_idle_connections)


def _kept_engine(url: str) -> Engine:
    """One engine per database file, pooling one connection that any thread may use in turn."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(
                url,
                poolclass=QueuePool,
                pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            _engines[url] = engine
        return engine


@contextmanager
def _connect_with_kept_engine(self: SqliteEventLogStorage, shard: str) -> Iterator[Connection]:
    """``SqliteEventLogStorage._connect``, with the shard's engine and connection kept."""
    with self._db_lock:
        engine = _kept_engine(self.conn_string_for_shard(shard))
        if shard not in self._initialized_dbs:
            _initialise_shard(self, shard, engine)
            self._initialized_dbs.add(shard)
        with engine.connect() as conn, conn.begin():
            yield conn


def _initialise_shard(storage: SqliteEventLogStorage, shard: str, engine: Engine) -> None:
    """Dagster's ``_initdb``, except that a new run shard is copied from an empty one."""
    path = Path(storage.path_for_shard(shard))
    if shard == INDEX_SHARD_NAME or path.exists():
        storage._initdb(engine)
        return
    empty = _empty_run_shard(storage)
    with closing(sqlite3.connect(empty)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # as Dagster leaves a shard it creates


def _empty_run_shard(storage: SqliteEventLogStorage) -> Path:
    """A run shard Dagster initialised in a temporary folder, once per process."""
    if not _empty_shard:
        folder = Path(tempfile.mkdtemp(prefix="datalabs-empty-shard-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        engine = create_engine(f"sqlite:///{folder / 'empty.db'}", poolclass=NullPool)
        storage._initdb(engine)
        engine.dispose()
        _empty_shard.append(folder / "empty.db")
    return _empty_shard[0]


@contextmanager
def _connect_runs_with_kept_engine(self: SqliteRunStorage) -> Iterator[Connection]:
    """``SqliteRunStorage.connect`` through a kept engine instead of a new one per call."""
    with _kept_engine(self._conn_string).connect() as conn, conn.begin():
        yield conn


def _has_table_remembered(self: SqliteEventLogStorage, table_name: str) -> bool:
    """``has_table``, asked of the database until the table is there (none is ever dropped)."""
    return _remembered(self, table_name, partial(_has_table, self, table_name))


def _has_asset_key_col_remembered(self: SqliteEventLogStorage, conn, column_name: str) -> bool:
    """The asset key table's column check (a schema reflection before every asset event)."""
    ask = partial(_has_asset_key_col, self, conn, column_name)
    return _remembered(self, f"asset_keys.{column_name}", ask)


def _remembered(storage: SqliteEventLogStorage, thing: str, ask: Callable[[], bool]) -> bool:
    key = (storage.conn_string_for_shard(INDEX_SHARD_NAME), thing)
    if key in _present:
        return True
    present = ask()
    if present:
        _present.add(key)
    return present


def _parsed_once(cls: type[ScriptDirectory], config: Config) -> ScriptDirectory:
    """``ScriptDirectory.from_config``, parsing each folder of migration scripts once.

    Dagster calls it under its own lock, and a script directory is read-only once parsed.
    """
    location = config.get_alembic_option("script_location")
    if location not in _scripts:
        _scripts[location] = _script_directory(cls, config)
    return _scripts[location]


def _on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        if dbapi_connection.execute("PRAGMA page_count").fetchone()[0]:
            return  # an existing database in another journal mode: not ours to change
        # A database Dagster is about to create (one per run): it switches it to WAL right
        # after creating its tables; switching first spares those commits ~40 fsyncs.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    path = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
    if path:
        with _lock:
            if path not in _idle:
                idle = sqlite3.connect(path, check_same_thread=False)
                # Opening is lazy: one read maps the WAL index, and from then on this connection
                # counts as open to SQLite (it holds no lock between statements).
                idle.execute("SELECT count(*) FROM sqlite_master").fetchall()
                _idle[path] = idle


def close_idle_connections() -> None:
    """Close the kept engines' and the idle connections (the last one out checkpoints)."""
    _present.clear()
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        for connection in _idle.values():
            connection.close()
        _idle.clear()
