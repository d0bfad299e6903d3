"""The ledger across extracts: ``raw.deliveries``, ``raw.rejected_deliveries``, ``pii.quarantine``.

Each raw step writes its extract's ledger tables in the transaction that loads a delivery, and
declares them. This asset, downstream of all of them, puts one view over each kind (what
``extract_quality``, the run summary and stewards read), so every table has one writer and the
lineage shows it. A view is current as soon as a load or ``datalabs withdraw`` commits; it is
rebuilt when the set of extracts changes. The quarantine view stays in the pii schema.

An older warehouse holds each kind as one shared table where its view now goes: each extract's
rows move to its own table first (``loading.adopt_shared_rows``), then the shared table goes.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import asset_key, column_schema, table_metadata
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.loading import (
    LEDGER_TABLES,
    LedgerTable,
    adopt_shared_rows,
    shared_table_exists,
)
from datalabs_pipelines.warehouse import identifier, qualified, table_exists, warehouse_pool


def view_key(table: LedgerTable) -> dg.AssetKey:
    return dg.AssetKey([table.schema, "platform", table.name])


def _spec(table: LedgerTable, contracts: Sequence[Contract]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=view_key(table),
        deps=[asset_key(table.schema, c, table.of(c)[1]) for c in contracts],
        description=(
            f"{table.description} Source: each extract's `{table.schema}.<extract>_"
            f"{table.name}` (a view over them). Grain: {table.grain} "
            f"Target: `{qualified(table.view)}`."
        ),
        group_name=table.schema,
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={
            "domain": "platform",
            "classification": "pii" if table.schema == "pii" else "confidential",
        },
        metadata={"dagster/column_schema": column_schema(table.columns)},
    )


def create_view(
    con: duckdb.DuckDBPyConnection, table: LedgerTable, contracts: Sequence[Contract]
) -> None:
    """The view over the extracts' tables that exist, with every column of the ledger (NULL
    where an older table lacks one)."""
    if shared_table_exists(con, table):
        for contract in contracts:
            adopt_shared_rows(con, table, contract)
        con.execute(f"DROP TABLE {qualified(table.view)}")
    empty = ", ".join(
        f"CAST(NULL AS {sql_type}) AS {identifier(name)}"
        for name, sql_type in table.sql_types.items()
    )
    parts = [f"SELECT {empty} WHERE false"] + [
        f"SELECT * FROM {qualified(table.of(c))}"
        for c in contracts
        if table_exists(con, table.of(c))
    ]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(table.schema)}")
    con.execute(
        f"CREATE OR REPLACE VIEW {qualified(table.view)} AS " + " UNION ALL BY NAME ".join(parts)
    )


def build_ledger_views(contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name="delivery_ledger",
        specs=[_spec(t, contracts) for t in LEDGER_TABLES],
        pool=warehouse_pool("delivery_ledger"),
    )
    def delivery_ledger(warehouse: DuckDBResource):
        with warehouse.get_connection() as con:
            for table in LEDGER_TABLES:
                create_view(con, table, contracts)
            metadata = {
                view_key(t): table_metadata(con, t.view, preview=False) for t in LEDGER_TABLES
            }
        for key, entries in metadata.items():
            yield dg.MaterializeResult(asset_key=key, metadata=entries)

    return delivery_ledger
