"""The SQLite tuning of the `make run` driver: WAL databases and new ones only."""

from __future__ import annotations

import sqlite3

from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.sql import check_alembic_revision, get_alembic_config
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


def test_event_log_shards_reuse_one_engine_each(tmp_path, monkeypatch):
    """Events stored by the tuned process land where Dagster reads them, through one engine
    per database file (Dagster's own ``_connect`` makes and disposes one per event), and each
    new run shard is stamped with Alembic's head revision from scripts parsed once."""
    import dagster as dg

    sqlite_storage.tune_sqlite_storage()

    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
    def numbers():
        yield dg.MaterializeResult(metadata={"rows": 3})
        yield dg.AssetCheckResult(check_name="positive", passed=True)

    made = []
    real = sqlite_storage.create_engine
    monkeypatch.setattr(
        sqlite_storage, "create_engine", lambda *a, **k: made.append(a[0]) or real(*a, **k)
    )
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        for _ in range(2):
            assert dg.materialize([numbers], instance=instance).success
        files = [url.rsplit("/", 1)[-1] for url in made]
        # runs.db, the index, the empty shard the run shards are copied from, and the shards
        assert {"empty.db", "index.db", "runs.db"} <= set(files)
        assert len(files) == len(set(files)) == 5
        storage = instance.event_log_storage
        config = get_alembic_config(sqlite_event_log.__file__)
        for run in instance.get_runs():
            with storage.run_connection(run.run_id) as conn:
                stamped, head = check_alembic_revision(config, conn)
            assert stamped == head and head is not None
        assert len(sqlite_storage._scripts) == 1  # parsed once for every shard
        assert storage.has_table("asset_check_executions")
        assert not storage.has_table("no_such_table")  # absence is asked again, not remembered
        assert storage.has_asset_key_index_cols()
        assert not storage.has_asset_key_col("no_such_column")
        record = instance.get_latest_materialization_event(dg.AssetKey("numbers"))
        assert record.asset_materialization.metadata["rows"].value == 3
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        )
        assert check
    sqlite_storage.close_idle_connections()
