"""Dagster assets of procurement equity: vendor resolution and certified-spend facts."""

from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import asset_key, column_schema, table_metadata
from datalabs_pipelines.contracts import Contract, ContractError
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.linkage.model_runs import (
    LinkageRunConfig,
    model_metadata,
    refusal_summary,
)
from datalabs_pipelines.linkage.run import LinkageResult
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.procurement.facts import build_facts
from datalabs_pipelines.procurement.linkage import resolve_vendors_if_changed
from datalabs_pipelines.procurement.sources import BUSINESS_ROLES
from datalabs_pipelines.procurement.tables import FACT_TABLES, LINKAGE_TABLES, Table
from datalabs_pipelines.warehouse import warehouse_pool

AGENCY = "procurement"
ROLES = ("vendor_master", "certified_firm_registry", "payments", "awards")
OWNERS = ["team:procurement_analytics"]
TAGS = {"domain": "procurement", "classification": "confidential"}
VENDOR_RESOLUTION_OP = "integrated__procurement_vendor_resolution"  # run config: LinkageRunConfig


def integrated_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["integrated", AGENCY, table])


def _staging(contracts: Sequence[Contract], *roles: str) -> list[dg.AssetKey]:
    """The staging assets of every contract filling ``roles``."""
    return [asset_key("staging", c) for role in roles for c in filling(contracts, role)]


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


def _results(
    warehouse: DuckDBResource,
    tables: Sequence[Table],
    extra: dict[str, dict[str, Any]] | None = None,
):
    with warehouse.get_connection() as con:
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=integrated_key(table.name),
                metadata={
                    **table_metadata(con, ("integrated", table.name)),
                    **(extra or {}).get(table.name, {}),
                },
            )


def _scoring(result: LinkageResult) -> dict[str, Any]:
    """How the run scored (``pairs_compared`` stays the person step's: the benchmark sums it)."""
    keep = ("incremental", "full_reason", "new_profiles", "pairs_cached", "scoring_cpu_seconds")
    return {k: getattr(result, k) for k in keep}


def build_linkage_asset(contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    deps = _staging(contracts, *BUSINESS_ROLES)

    @dg.multi_asset(
        name=VENDOR_RESOLUTION_OP,
        specs=[_spec(t, deps, {"duckdb", "splink"}) for t in LINKAGE_TABLES],
        pool=warehouse_pool("vendor_resolution"),
    )
    def _linkage(
        context: dg.AssetExecutionContext, config: LinkageRunConfig, warehouse: DuckDBResource
    ):
        linkage = load_config().linkage
        with warehouse.get_connection() as con:
            result = resolve_vendors_if_changed(
                con,
                contracts,
                linkage,
                context.run_id,
                reestimated=config.reestimate,
                full=config.full_relink,
            )
        if result is None:
            context.log.info("vendor resolution: nothing it reads changed; its tables are kept")
            yield from _results(
                warehouse, LINKAGE_TABLES, {"vendor_matches": {"resolved": "no: inputs unchanged"}}
            )
            return
        context.log.info(
            f"vendor resolution: {result.records:,} records, {result.entities:,} businesses, "
            f"model {result.model['model_version']} (re-estimated: {result.model['reestimated']}); "
            f"{result.pairs_compared:,} pairs scored, {result.pairs_cached:,} kept "
            f"({'incremental' if result.incremental else 'full: ' + result.full_reason})"
        )
        if refusals := refusal_summary(result.model):
            context.log.warning(refusals)
        model = model_metadata(result.model)
        yield from _results(
            warehouse,
            LINKAGE_TABLES,
            {
                "vendor_matches": {**model, **_scoring(result), "resolved": "yes"},
                "vendor_linkage_models": model,
            },
        )

    return _linkage


def build_facts_asset(contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    deps = [
        integrated_key("vendor_keys"),
        integrated_key("business_records"),
        *_staging(contracts, *ROLES),
    ]

    @dg.multi_asset(
        name="integrated__procurement_certified_spend",
        specs=[_spec(t, deps, {"duckdb", "sql"}) for t in FACT_TABLES],
        pool=warehouse_pool("certified_spend"),
    )
    def _facts(warehouse: DuckDBResource):
        with warehouse.get_connection() as con:
            build_facts(con, load_config(), contracts)
        yield from _results(warehouse, FACT_TABLES)

    return _facts


def check_programs(contracts: Sequence[Contract]) -> None:
    """Every program a contract's value map names is one of config.yaml's programs."""
    programs = load_config().programs
    for contract in contracts:
        for column, codes in contract.value_maps.items():
            for code, fields in codes.items():
                if "program" in fields and fields["program"] not in programs:
                    raise ContractError(
                        f"{contract.name}: value_maps.{column}.{code}: program "
                        f"{fields['program']!r} is not in procurement/config.yaml "
                        f"(known: {sorted(programs)})"
                    )


def procurement_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """The procurement assets, when contracts fill every procurement role."""
    if not all(filling(contracts, role) for role in ROLES):
        return []
    check_programs(contracts)
    return [build_linkage_asset(contracts), build_facts_asset(contracts)]
