"""The SQLite tuning of the `make run` driver: WAL databases and new ones only."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from datalabs_pipelines.automation import sqlite_storage


def _synchronous(path) -> int:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.begin() as con:
        con.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        con.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as con:
        return con.execute(text("PRAGMA synchronous")).scalar()


def test_wal_databases_get_normal_sync_and_an_idle_connection(tmp_path):
    sqlite_storage.tune_sqlite_storage()
    sqlite_storage.tune_sqlite_storage()  # idempotent
    existing = sqlite3.connect(tmp_path / "rollback.db")
    existing.execute("CREATE TABLE t (x INTEGER)")
    existing.close()
    assert _synchronous(tmp_path / "wal.db") == 1  # new: WAL, then NORMAL
    assert _synchronous(tmp_path / "rollback.db") == 2  # existing rollback journal: untouched
    idle = {p for p in sqlite_storage._idle if p.startswith(str(tmp_path))}
    assert idle == {str(tmp_path / "wal.db")}
    assert (tmp_path / "wal.db-wal").exists()  # closing Dagster's connection kept the WAL
    sqlite_storage.close_idle_connections()
    assert not (tmp_path / "wal.db-wal").exists()  # the last one out checkpoints
