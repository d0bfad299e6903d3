"""Every warehouse connection runs under the configured DuckDB memory cap."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.warehouse import WarehouseResource


def _shown(limit: str) -> str:
    """How DuckDB reports ``limit`` (its own rounding, not ours to pin)."""
    with duckdb.connect() as con:
        con.execute("SET memory_limit = ?", [limit])
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_connections_are_capped_by_the_setting(tmp_path, monkeypatch):
    database = tmp_path / "warehouse.duckdb"
    resource = WarehouseResource(database=str(database))
    for limit in ("512MB", "1GB"):
        monkeypatch.setenv("DATALABS_DUCKDB_MEMORY_LIMIT", limit)
        with resource.get_connection() as con:
            shown = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert shown == _shown(limit)
