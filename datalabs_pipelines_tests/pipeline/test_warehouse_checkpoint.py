"""A step's connection closes without checkpointing its commits while the write-ahead log is
small (they stay in it, durable and read by every later connection); a larger log is folded
into the file as the connection closes, and the run folds in what is left once, as it ends,
unless another process holds the file then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from datalabs_pipelines.warehouse import DEFERRED_LOG_BYTES, WarehouseResource, checkpoint


def wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def read(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_step_leaves_its_commits_in_the_log_and_every_reader_sees_them(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    database = tmp_path / "warehouse.duckdb"
    resource = WarehouseResource(database=str(database))
    with resource.get_connection() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert wal(database).stat().st_size > 0
    assert read(database, "SELECT x FROM t") == [(1,)]
    with resource.get_connection() as con:  # a later step reads and adds to it
        con.execute("INSERT INTO t SELECT x + 1 FROM t")
    assert read(database, "SELECT x FROM t ORDER BY x") == [(1,), (2,)]


def test_a_larger_log_is_folded_in_as_the_connection_closes(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    database = tmp_path / "warehouse.duckdb"
    with WarehouseResource(database=str(database)).get_connection() as con:
        con.execute(  # below DuckDB's own threshold for checkpointing at the commit
            "CREATE TABLE t AS SELECT range AS i, md5(CAST(range AS VARCHAR)) AS s "
            "FROM range(60000)"
        )
        assert wal(database).stat().st_size > DEFERRED_LOG_BYTES
    assert not wal(database).exists() or wal(database).stat().st_size == 0
    assert read(database, "SELECT count(*) FROM t") == [(60000,)]


def test_a_run_ends_with_the_log_folded_into_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    database = tmp_path / "warehouse.duckdb"

    @dg.asset
    def first(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")

    @dg.asset(deps=[first])
    def second(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("INSERT INTO t VALUES (2)")
            assert wal(database).exists()  # the first step's commit, not yet checkpointed

    result = dg.materialize(
        [first, second], resources={"warehouse": WarehouseResource(database=str(database))}
    )
    assert result.success
    assert not wal(database).exists()
    assert read(database, "SELECT x FROM t ORDER BY x") == [(1,), (2,)]


def test_the_checkpoint_waits_for_no_other_process(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], "
         "read_only=True); print('open', flush=True); sys.stdin.read()", str(database)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        checkpoint(str(database))  # returns at once, the log kept
        assert wal(database).exists()
    finally:
        holder.communicate("")
    checkpoint(str(database))
    assert not wal(database).exists()
    assert read(database, "SELECT x FROM t") == [(1,)]
