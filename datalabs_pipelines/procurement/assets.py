"""Dagster assets of procurement equity: vendor resolution and certified-spend facts."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.facts import build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors
from datalabs_pipelines.procurement.sources import STATE_SOURCES
from datalabs_pipelines.procurement.tables import FACT_TABLES, LINKAGE_TABLES, Table

AGENCY = "procurement"
REQUIRED = ("vendor_master", "certified_firms", "payments", "contract_awards")
OWNERS = ["team:procurement_analytics"]
TAGS = {"domain": "procurement", "classification": "confidential"}


def integrated_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["integrated", AGENCY, table])


def _staging(*extracts: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["staging", AGENCY, e]) for e in extracts]


def _spec(table: Table, deps: Sequence[dg.AssetKey], kinds: set[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=integrated_key(table.name),
        description=(
            f"{table.summary} Source: {table.source}. Grain: {table.grain}. "
            f"Target: `integrated.{table.name}`."
        ),
        group_name="integrated",
        deps=list(deps),
        owners=OWNERS,
        kinds=kinds,
        tags=TAGS,
        metadata={"dagster/column_schema": column_schema(table.columns)},
    )


def _results(warehouse: DuckDBResource, tables: Sequence[Table]):
    with warehouse.get_connection() as con:
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=integrated_key(table.name),
                metadata=table_metadata(con, ("integrated", table.name)),
            )


def build_linkage_asset() -> dg.AssetsDefinition:
    deps = _staging("vendor_master", "certified_firms")

    @dg.multi_asset(
        name="integrated__procurement_vendor_resolution",
        specs=[_spec(t, deps, {"duckdb", "splink"}) for t in LINKAGE_TABLES],
        pool="duckdb",
    )
    def _linkage(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        config = load_config()
        with warehouse.get_connection() as con:
            result = resolve_vendors(con, STATE_SOURCES, config.linkage, context.run_id)
        context.log.info(f"vendor resolution: {result}")
        yield from _results(warehouse, LINKAGE_TABLES)

    return _linkage


def build_facts_asset() -> dg.AssetsDefinition:
    deps = [
        integrated_key("vendor_keys"),
        integrated_key("business_records"),
        *_staging(*REQUIRED),
    ]

    @dg.multi_asset(
        name="integrated__procurement_certified_spend",
        specs=[_spec(t, deps, {"duckdb", "sql"}) for t in FACT_TABLES],
        pool="duckdb",
    )
    def _facts(warehouse: DuckDBResource):
        with warehouse.get_connection() as con:
            build_facts(con, load_config())
        yield from _results(warehouse, FACT_TABLES)

    return _facts


def procurement_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """The procurement assets, when the code location has the procurement contracts."""
    names = {c.name for c in contracts}
    if not set(REQUIRED) <= names:
        return []
    return [build_linkage_asset(), build_facts_asset()]
