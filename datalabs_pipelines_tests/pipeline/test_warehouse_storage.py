"""Storage formats: a new warehouse file is written in the newest format this DuckDB writes (its
faster string compression), while the published snapshot copied from it stays in the format
DuckDB 1.0 reads, the one a plain ``duckdb.connect`` writes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.publishing.snapshot import publish_snapshot
from datalabs_pipelines.warehouse import WarehouseResource


def storage_tag(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        (tags,) = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE NOT internal AND database_name = "
            "current_database()"
        ).fetchone()
    return tags["storage_version"]


def plain_file(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


def test_a_new_warehouse_is_newer_and_its_snapshot_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    warehouse = tmp_path / "warehouse.duckdb"
    default = storage_tag(plain_file(tmp_path / "plain.duckdb"))
    resource = WarehouseResource(database=str(warehouse))
    with resource.get_connection() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.status AS SELECT 'ok' AS status")
        snapshot = tmp_path / "published" / "datalabs.duckdb"
        publish_snapshot(con, snapshot, {}, 10, ungated=("status",))
    assert storage_tag(warehouse) != default
    assert storage_tag(snapshot) == default
    with duckdb.connect(str(snapshot), read_only=True) as published:
        assert published.execute("SELECT status FROM status").fetchall() == [("ok",)]


def test_an_existing_warehouse_keeps_its_format(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    warehouse = plain_file(tmp_path / "warehouse.duckdb")
    before = storage_tag(warehouse)
    with WarehouseResource(database=str(warehouse)).get_connection() as con:
        con.execute("CREATE TABLE u AS SELECT 2 AS y")
    assert storage_tag(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT x, y FROM t, u").fetchall() == [(1, 2)]
