"""Integrated fact assets: one per fact declaration whose roles are each filled by a contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.linkage.person_keys import PERSON_KEYS_KEY
from datalabs_pipelines.outcomes.build import build_fact, fact_table
from datalabs_pipelines.outcomes.checks import check_names
from datalabs_pipelines.outcomes.facts import FactDeclaration, all_facts
from datalabs_pipelines.warehouse import qualified, warehouse_pool


def fact_key(fact: FactDeclaration) -> dg.AssetKey:
    return dg.AssetKey(["integrated", fact.domain, fact.name])


def build_fact_asset(fact: FactDeclaration, contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    key = fact_key(fact)
    sources = sorted(
        {c.name: c for r in fact.roles for c in filling(contracts, r)}.values(),
        key=lambda c: c.name,
    )
    staging = [dg.AssetKey(["staging", c.agency, c.name]) for c in sources]

    @dg.asset(
        key=key,
        deps=[PERSON_KEYS_KEY, *staging],
        description=(
            f"{fact.description} Source: roles {', '.join(fact.roles)} "
            f"({', '.join(f'`staging.{c.name}`' for c in sources)}) "
            f"joined to `integrated.person_keys`. Grain: {fact.grain} "
            f"Target: `integrated.{fact.name}`."
        ),
        group_name="integrated",
        kinds={"duckdb", "sql"},
        owners=fact.owners,
        tags={"domain": fact.domain, "classification": "confidential"},
        metadata={
            "dagster/column_schema": column_schema(
                {c.name: (c.type, c.description) for c in fact.columns}
            ),
            "grain_key": ", ".join(fact.key),
            "roles": ", ".join(fact.roles),
            "sources": ", ".join(c.name for c in sources),
        },
        check_specs=[
            dg.AssetCheckSpec(name, asset=key, blocking=blocking, description=description)
            for name, blocking, description in check_names(fact)
        ],
        pool=warehouse_pool(fact.name),
    )
    def _fact(warehouse: DuckDBResource) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        with warehouse.get_connection() as con:
            outcomes = build_fact(con, fact, contracts)
            promoted = all(o.passed or not o.blocking for o in outcomes)
            metadata = table_metadata(con, fact_table(fact)) if promoted else {}
        yield dg.MaterializeResult(
            metadata={
                **metadata,
                "dagster/table_name": qualified(fact_table(fact)),
                "promoted": promoted,
            }
        )
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                check_name=outcome.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if outcome.blocking
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "unexpected_count": outcome.unexpected,
                    "samples": dg.MetadataValue.json(outcome.samples),
                },
            )

    return _fact


def outcome_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """The integrated facts each of whose roles some contract here fills."""
    return [
        build_fact_asset(f, contracts)
        for f in all_facts()
        if all(filling(contracts, r) for r in f.roles)
    ]
