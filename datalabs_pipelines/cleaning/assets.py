"""Staging assets: one per contract, each expectation an asset check run in the same step.

The step writes candidate tables, evaluates the contract's expectations on them with Great
Expectations, and promotes the candidates only when every ERROR-severity expectation passed.
A failed blocking check therefore stops downstream assets and leaves the last good staging
table (and so the published snapshot) as it was.
"""

import time
from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import asset_key, column_schema, table_metadata, tags
from datalabs_pipelines.cleaning.collapsed import record_collapsed
from datalabs_pipelines.cleaning.staging import (
    build_candidates,
    candidate,
    discard,
    identities_table,
    promote,
    staging_columns,
    staging_table,
)
from datalabs_pipelines.cleaning.standardize import SQL_TYPES
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.governance.agreement_check import SCHEDULED_TIME_TAG
from datalabs_pipelines.governance.agreements import run_date
from datalabs_pipelines.governance.lineage import (
    LINEAGE_KEY,
    column_lineage,
    identities_lineage_map,
    staging_lineage_map,
)
from datalabs_pipelines.governance.tokens import linkage_key
from datalabs_pipelines.ingestion.ledger import withdraw_missing
from datalabs_pipelines.quality.checks import (
    check_result,
    check_specs,
    parse_check_result,
)
from datalabs_pipelines.quality.expectations import evaluate
from datalabs_pipelines.quality.results import OUTCOMES, outcomes_metadata
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import qualified

STAGING_LINEAGE = {
    "record_id": ("VARCHAR", "delivery:line of the kept raw record; unique per extract"),
    "_delivery": ("VARCHAR", "delivery file the record came from"),
    "_line": ("BIGINT", "line where the record starts in its delivery file"),
    "_copies": (
        "BIGINT",
        "identical lines this row stands for (1 unless the contract collapses duplicates)",
    ),
    "_invalid_columns": ("VARCHAR", "columns whose non-empty value failed typing, if any"),
}


def _staging_schema(contract: Contract) -> dict[str, tuple[str, str]]:
    schema = dict(STAGING_LINEAGE)
    for column in contract.columns:
        for name, sql_type in staging_columns(column).items():
            if name == column.name:
                description = column.description
            elif name.endswith("_match"):
                description = f"{column.name}, upper-cased and accent-folded for matching"
            elif name.endswith("_token"):
                description = f"HMAC-SHA256 token of the normalized {column.name}"
            elif name.endswith("_year"):
                description = f"year of {column.name}"
            else:
                description = f"{column.name}: valid, invalid or missing"
            schema[name] = (sql_type, description)
    return schema


def staging_specs(contract: Contract) -> list[dg.AssetSpec]:
    raw_deps = [asset_key("raw", contract)]
    if contract.pii_columns:
        raw_deps.append(asset_key("pii", contract, f"{contract.name}_raw"))
    specs = [
        dg.AssetSpec(
            key=asset_key("staging", contract),
            description=(
                f"Staged {contract.name}: typed per contract, standardized, identical lines "
                f"handled by the contract's duplicates policy ({contract.duplicates}), "
                f"direct identifiers replaced by keyed tokens. Source: "
                f"`raw.{contract.name}`. Grain: {contract.grain} "
                f"Target: `staging.{contract.name}`."
            ),
            group_name="staging",
            deps=raw_deps,
            owners=contract.owners,
            kinds={"duckdb", "sql"},
            tags=tags(contract, "confidential"),
            metadata={
                "dagster/column_schema": column_schema(_staging_schema(contract)),
                LINEAGE_KEY: column_lineage(staging_lineage_map(contract)),
                "contract": contract.name,
            },
        )
    ]
    if contract.pii_columns:
        specs.append(
            dg.AssetSpec(
                key=asset_key("pii", contract, f"{contract.name}_identities"),
                description=(
                    f"Normalized direct identifiers of {contract.name} for linkage. Source: "
                    f"`pii.{contract.name}_raw`. Grain: one row per staged record "
                    f"(record_id). Target: `pii.{contract.name}_identities`."
                ),
                group_name="pii",
                deps=raw_deps,
                owners=contract.owners,
                kinds={"duckdb", "sql"},
                tags=tags(contract, "pii"),
                metadata={
                    "dagster/column_schema": column_schema(
                        {
                            "record_id": ("VARCHAR", "staging record id"),
                            **{
                                c.name: (SQL_TYPES[c.type], c.description)
                                for c in contract.pii_columns
                            },
                        }
                    ),
                    LINEAGE_KEY: column_lineage(identities_lineage_map(contract)),
                    "contract": contract.name,
                },
            )
        )
    return specs


def build_staging_asset(contract: Contract) -> dg.AssetsDefinition:
    specs = staging_specs(contract)
    key = specs[0].key

    @dg.multi_asset(
        name=f"staging__{contract.name}",
        specs=specs,
        check_specs=check_specs(contract, key),
        pool="duckdb",
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        token_key = linkage_key()
        with warehouse.get_connection() as con:
            if withdrawn := withdraw_missing(con, contract, get_settings().landing_dir):
                context.log.warning(f"withdrawn (file deleted from landing): {withdrawn}")
            staged = build_candidates(con, contract, token_key)
        started = time.perf_counter()
        outcomes = evaluate(
            warehouse.database,
            qualified(candidate(staging_table(contract))),
            contract,
            on=run_date(context.run.tags.get(SCHEDULED_TIME_TAG)),
        )
        validation_seconds = time.perf_counter() - started
        blocking_failed = [o.name for o in outcomes if o.severity == "error" and not o.passed]
        with warehouse.get_connection() as con:
            # no preview: record-level values (a failing check's among them) stay in tables
            metadata = table_metadata(con, candidate(staging_table(contract)), preview=False)
            metadata["dagster/table_name"] = qualified(staging_table(contract))
            identities_meta = (
                table_metadata(con, candidate(identities_table(contract)), preview=False)
                if contract.pii_columns
                else None
            )
            if blocking_failed:
                discard(con, contract)
                context.log.error(
                    f"{contract.name}: blocking expectations failed ({', '.join(blocking_failed)});"
                    " the previous staging table is kept"
                )
            else:
                promote(con, contract)
                record_collapsed(con, contract.name, staged.collapsed)
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                **metadata,
                "rows_in": staged.rows_in,
                "duplicates_removed": staged.duplicates_removed,
                "amount_collapsed": float(staged.amount_collapsed or 0),
                "promoted": not blocking_failed,
                LINEAGE_KEY: column_lineage(staging_lineage_map(contract)),
                "validation_seconds": round(validation_seconds, 3),
                OUTCOMES: outcomes_metadata(outcomes),  # for `staging.check_results`
            },
        )
        if identities_meta is not None:
            identities_meta["dagster/table_name"] = qualified(identities_table(contract))
            identities_meta[LINEAGE_KEY] = column_lineage(identities_lineage_map(contract))
            yield dg.MaterializeResult(asset_key=specs[1].key, metadata=identities_meta)
        yield parse_check_result(key, staged, contract)
        for outcome in outcomes:
            yield check_result(key, contract, outcome)

    return _staging


def staging_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    return [build_staging_asset(c) for c in contracts]
