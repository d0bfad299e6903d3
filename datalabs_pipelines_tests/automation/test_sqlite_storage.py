"""The SQLite tuning of the `make run` driver touches WAL databases only."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from datalabs_pipelines.automation.sqlite_storage import tune_sqlite_storage


def _synchronous(path, wal: bool) -> int:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    if wal:
        with engine.begin() as con:
            con.execute(text("PRAGMA journal_mode=WAL"))
    with engine.connect() as con:
        return con.execute(text("PRAGMA synchronous")).scalar()


def test_wal_databases_commit_with_normal_sync_others_keep_full(tmp_path):
    tune_sqlite_storage()
    tune_sqlite_storage()  # idempotent
    assert _synchronous(tmp_path / "wal.db", wal=True) == 1  # NORMAL
    assert _synchronous(tmp_path / "rollback.db", wal=False) == 2  # FULL, untouched
