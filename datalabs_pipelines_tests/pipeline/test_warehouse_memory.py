"""Every warehouse connection runs under the configured DuckDB memory cap."""

from __future__ import annotations

from datalabs_pipelines.warehouse import WarehouseResource, kept_open, shared_config


def test_connections_are_capped_by_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "512MB")
    database = tmp_path / "warehouse.duckdb"
    resource = WarehouseResource(database=str(database), connection_config=shared_config())
    with resource.get_connection() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "488.2 MiB"
    monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", "1GB")
    with kept_open(database), resource.get_connection() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
