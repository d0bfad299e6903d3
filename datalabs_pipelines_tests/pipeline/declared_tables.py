"""Every table in the warehouse is declared by an asset (issue 16.6): asset keys
``[schema, agency, table]`` map to ``schema.table``; the tables a run leaves behind are
compared with them. Temporary tables and Splink's scratch catalog never reach the file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from datalabs_pipelines.warehouse import SCHEMAS


def declared_tables(defs: dg.Definitions) -> set[str]:
    return {
        f"{spec.key.path[0]}.{spec.key.path[-1]}"
        for spec in defs.resolve_all_asset_specs()
        if spec.key.path[0] in SCHEMAS
    }


def undeclared_tables(warehouse: Path, defs: dg.Definitions) -> set[str]:
    """Tables of the warehouse file that no asset of ``defs`` declares."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database()"
            ).fetchall()
        }
    return found - declared_tables(defs)
