"""Staging assets: one per contract, each expectation an asset check run in the same step.

The step first types the deliveries new or loaded again since the last run (``lines.py``),
then writes candidates (a night's: only the rows that change, ``staging.py``), evaluates the
contract's expectations with Great Expectations on the table promotion would leave, and
promotes the candidates only when every ERROR-severity expectation passed.
A rejected candidate leaves the live staging table as it was: the asset's materialization
reports the live table's row count with ``candidate_rejected``, and the marts that read the
extract are held back (``staging.extract_status``, ``marts.mart_status``) while every other
asset runs. An extract with no delivery stages an empty table and is "not delivered". The
materialization's metadata (status, reason, collapsed lines, check outcomes) is what the
``staging_reports`` asset writes to the staging report tables.
"""

import time
from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import (
    LINEAGE_KEY,
    asset_key,
    column_lineage,
    column_schema,
    freshness,
    table_metadata,
    tags,
)
from datalabs_pipelines.cleaning.collapsed import collapsed_metadata
from datalabs_pipelines.cleaning.lineage import identities_lineage_map, staging_lineage_map
from datalabs_pipelines.cleaning.lines import lines_metadata, lines_table
from datalabs_pipelines.cleaning.reports import COLLAPSED_LINES, REASON
from datalabs_pipelines.cleaning.staging import (
    build_candidates,
    identities_table,
    keep_live_table,
    promote,
    staging_columns,
    staging_table,
)
from datalabs_pipelines.cleaning.standardize import SQL_TYPES
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.ledger import withdraw_missing
from datalabs_pipelines.ingestion.loading import ensure_raw_tables
from datalabs_pipelines.privacy_tokens import linkage_key
from datalabs_pipelines.quality.checks import (
    check_result,
    check_specs,
    not_delivered_result,
    parse_check_result,
)
from datalabs_pipelines.quality.expectations import evaluate, start_importing
from datalabs_pipelines.quality.extract_status import (
    HELD_BACK,
    LOADED,
    NOT_DELIVERED,
    delivery_count,
    failure_reason,
)
from datalabs_pipelines.quality.results import OUTCOMES, outcomes_metadata
from datalabs_pipelines.run_context import SCHEDULED_TIME_TAG, run_date
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import transaction, warehouse_pool

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


def _lines_schema(contract: Contract) -> dict[str, tuple[str, str]]:
    schema = {name: value for name, value in _staging_schema(contract).items() if name != "_copies"}
    schema["_loaded_at"] = ("TIMESTAMP", "load time of the raw line (a reload types it again)")
    schema["_staged_with"] = (
        "VARCHAR",
        "fingerprint of the contract, key and code it was typed with",
    )
    schema["_dup_key"] = ("VARCHAR", "what identical lines share (the contract's duplicates)")
    for c in contract.pii_columns:
        schema[c.name] = (SQL_TYPES[c.type], f"{c.description}, normalized")
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
            freshness_policy=freshness(contract),
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
    specs.append(
        dg.AssetSpec(
            key=asset_key("pii", contract, lines_table(contract)[1]),
            description=(
                f"Every raw line of {contract.name}, typed, standardized and tokenized, kept "
                f"per delivery so that a run types only new or corrected deliveries (lines not "
                f"yet collapsed; normalized identifiers beside their tokens). Source: "
                f"`raw.{contract.name}`"
                + (f" and `pii.{contract.name}_raw`" if contract.pii_columns else "")
                + f". Grain: one row per raw line (_delivery, _line). "
                f"Target: `pii.{lines_table(contract)[1]}`."
            ),
            group_name="pii",
            deps=raw_deps,
            owners=contract.owners,
            kinds={"duckdb", "sql"},
            tags=tags(contract, "pii"),
            metadata={
                "dagster/column_schema": column_schema(_lines_schema(contract)),
                "contract": contract.name,
            },
        )
    )
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
        pool=warehouse_pool(contract.name),
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        token_key = linkage_key()
        live = staging_table(contract)
        with warehouse.get_connection() as con:
            # the raw and ledger tables, empty (with the contract's columns) if not delivered
            ensure_raw_tables(con, contract)
            if withdrawn := withdraw_missing(con, contract, get_settings().landing_dir):
                context.log.warning(f"withdrawn (file deleted from landing): {withdrawn}")
            deliveries = delivery_count(con, contract)
            if deliveries:
                start_importing()  # Great Expectations, while the candidates are built
            with transaction(con):  # on DuckLake one commit, not one per statement
                staged = build_candidates(con, contract, token_key)
        started = time.perf_counter()
        on = run_date(context.run.tags.get(SCHEDULED_TIME_TAG))
        outcomes = (
            evaluate(warehouse.database, staged.checked, contract, on=on) if deliveries else []
        )
        validation_seconds = time.perf_counter() - started
        blocking_failed = [o.name for o in outcomes if o.severity == "error" and not o.passed]
        with warehouse.get_connection() as con:
            candidate_rows = staged.rows_staged
            if blocking_failed:
                keep_live_table(con, contract)
                context.log.error(
                    f"{contract.name}: blocking expectations failed ({', '.join(blocking_failed)});"
                    f" the candidate ({candidate_rows} rows) is rejected and the live staging "
                    "table is kept: marts that read this extract are held back"
                )
            else:
                promote(con, contract)
            # no preview: record-level values (a failing check's among them) stay in tables
            metadata = table_metadata(con, live, preview=False)
            lines_meta = table_metadata(con, lines_table(contract), preview=False)
            identities_meta = (
                table_metadata(con, identities_table(contract), preview=False)
                if contract.pii_columns
                else None
            )
        status = HELD_BACK if blocking_failed else LOADED if deliveries else NOT_DELIVERED
        reports = (
            {REASON: failure_reason(outcomes) or ""}
            if blocking_failed
            else {COLLAPSED_LINES: collapsed_metadata(staged.collapsed)}
        )
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                **metadata,
                "status": status,
                "deliveries": deliveries,
                "rows_in": staged.rows_in,
                "candidate_rows": candidate_rows,
                "candidate_rejected": bool(blocking_failed),
                "duplicates_removed": staged.duplicates_removed,
                **lines_metadata(staged.lines),
                "amount_collapsed": float(staged.amount_collapsed or 0),
                "promoted": not blocking_failed,
                LINEAGE_KEY: column_lineage(staging_lineage_map(contract)),
                "validation_seconds": round(validation_seconds, 3),
                OUTCOMES: outcomes_metadata(outcomes),  # for `staging.check_results`
                **reports,
            },
        )
        yield dg.MaterializeResult(asset_key=specs[1].key, metadata=lines_meta)
        if identities_meta is not None:
            identities_meta[LINEAGE_KEY] = column_lineage(identities_lineage_map(contract))
            yield dg.MaterializeResult(asset_key=specs[2].key, metadata=identities_meta)
        yield parse_check_result(key, staged, contract)
        if not deliveries:
            for exp in contract.expectations:
                yield not_delivered_result(key, contract, exp)
        for outcome in outcomes:
            yield check_result(key, contract, outcome)

    return _staging


def staging_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    return [build_staging_asset(c) for c in contracts]
