"""Integrated fact assets: one per fact declaration whose roles are each filled by a contract.

A fact that declares ``recompute_by`` is a multi-asset of two tables: the fact and the ledger
of the source records it was built from (``<fact>_inputs``), written in one transaction.
Run config ``full_rebuild: true`` rebuilds it whole.
"""

from collections.abc import Iterator, Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.linkage.person_keys import PERSON_KEYS_KEY
from datalabs_pipelines.outcomes.build import build_fact, fact_table
from datalabs_pipelines.outcomes.checks import check_names
from datalabs_pipelines.outcomes.facts import FactDeclaration, all_facts
from datalabs_pipelines.outcomes.incremental import ledger_columns, ledger_table
from datalabs_pipelines.warehouse import qualified, warehouse_pool


def fact_key(fact: FactDeclaration) -> dg.AssetKey:
    return dg.AssetKey(["integrated", fact.domain, fact.name])


class FactRunConfig(dg.Config):
    """Run config of an integrated fact asset."""

    full_rebuild: bool = Field(
        default=False,
        description="rebuild the fact from all its source records (off: only the slices whose "
        "records changed, when the fact declares recompute_by and its last build is on record)",
    )


def ledger_spec(fact: FactDeclaration, key: dg.AssetKey) -> dg.AssetSpec:
    table = ledger_table(fact)
    return dg.AssetSpec(
        key=dg.AssetKey(["integrated", fact.domain, table[1]]),
        description=(
            f"The source records `integrated.{fact.name}` was last built from, so that the "
            "next build recomputes only the slices whose records changed. Source: its roles' "
            "staging tables joined to `integrated.person_keys`. Grain: one row per role and "
            f"source record. Target: `{qualified(table)}`."
        ),
        group_name="integrated",
        deps=[key],
        kinds={"duckdb", "sql"},
        owners=fact.owners,
        tags={"domain": fact.domain, "classification": "confidential"},
        metadata={
            "dagster/column_schema": column_schema(ledger_columns(fact)),
            "recompute_by": ", ".join(fact.recompute_by),
        },
    )


def build_fact_asset(fact: FactDeclaration, contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    key = fact_key(fact)
    sources = sorted(
        {c.name: c for r in fact.roles for c in filling(contracts, r)}.values(),
        key=lambda c: c.name,
    )
    staging = [dg.AssetKey(["staging", c.agency, c.name]) for c in sources]
    spec = dg.AssetSpec(
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
            "recompute_by": ", ".join(fact.recompute_by) or "none (always whole)",
            "roles": ", ".join(fact.roles),
            "sources": ", ".join(c.name for c in sources),
        },
    )
    specs = [spec, *([ledger_spec(fact, key)] if fact.recompute_by else [])]

    @dg.multi_asset(
        name="__".join(key.path),
        specs=specs,
        check_specs=[
            dg.AssetCheckSpec(name, asset=key, blocking=blocking, description=description)
            for name, blocking, description in check_names(fact)
        ],
        pool=warehouse_pool(fact.name),
    )
    def _fact(
        config: FactRunConfig, warehouse: DuckDBResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        with warehouse.get_connection() as con:
            built = build_fact(con, fact, contracts, full_rebuild=config.full_rebuild)
            metadata = table_metadata(con, fact_table(fact)) if built.promoted else {}
            ledger = (
                table_metadata(con, ledger_table(fact), preview=False)
                if built.promoted and fact.recompute_by
                else {}
            )
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                **metadata,
                "dagster/table_name": qualified(fact_table(fact)),
                "promoted": built.promoted,
                "build": built.mode,
                "build_reason": built.reason,
                **(
                    {
                        "records_changed": built.records_changed,
                        "slices_recomputed": built.slices_recomputed,
                    }
                    if built.records_changed is not None
                    else {}
                ),
            },
        )
        if fact.recompute_by:
            yield dg.MaterializeResult(asset_key=specs[1].key, metadata=ledger)
        for outcome in built.outcomes:
            yield dg.AssetCheckResult(
                asset_key=key,
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
