"""Raw assets: one per contract, one dynamic partition per delivered file.

The step that loads an extract also writes its ledger tables in the same transaction
(``loading.py``), so it declares them: ``raw.<extract>_deliveries``,
``raw.<extract>_rejected_deliveries`` and ``pii.<extract>_quarantine``.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import (
    asset_key,
    column_schema,
    freshness,
    table_metadata,
    tags,
)
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.landing import FILE_GONE, delivery_path
from datalabs_pipelines.ingestion.ledger import withdraw_missing, withdrawn_in_place
from datalabs_pipelines.ingestion.loading import (
    LEDGER_TABLES,
    LINEAGE_COLUMNS,
    LedgerTable,
    ensure_raw_tables,
    load_delivery,
    pii_raw_table,
    raw_table,
    reconcile,
    record_rejection,
)
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import transaction, warehouse_pool

RECONCILES = "delivery_reconciles"
FORMAT_KINDS = {
    "delimited": "csv",
    "fixed_width": "text",
    "excel": "excel",
    "xls": "excel",
    "jsonl": "json",
}
LINEAGE_DESCRIPTIONS = {
    "_delivery": "delivery file name (the partition key)",
    "_line": "line (or spreadsheet row) where the record starts in the delivery file",
    "_loaded_at": "when this delivery was loaded",
}


def partitions_for(contract: Contract) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{contract.name}_deliveries")


def landing_folder(contract: Contract, landing_dir: Path | None = None) -> Path:
    return (landing_dir or get_settings().landing_dir) / contract.agency / contract.name


def _lineage_schema() -> dict[str, tuple[str, str]]:
    return {name: (t, LINEAGE_DESCRIPTIONS[name]) for name, t in LINEAGE_COLUMNS.items()}


def raw_specs(contract: Contract) -> list[dg.AssetSpec]:
    common = dict(
        owners=contract.owners,
        kinds={"duckdb", FORMAT_KINDS[contract.format.kind]},
        freshness_policy=freshness(contract),
    )
    per_delivery = dict(partitions_def=partitions_for(contract), **common)
    specs = [
        dg.AssetSpec(
            key=asset_key("raw", contract),
            description=(
                f"Raw {contract.name} as delivered by {contract.agency}: every value as text, "
                f"non-identifying columns only. Source: files matching "
                f"`{contract.file_pattern}` in landing. Grain: one row per record of a "
                f"delivery file ({contract.grain[0].lower() + contract.grain[1:]}). "
                f"Target: `raw.{contract.name}`; unparseable records go to `pii.quarantine`."
            ),
            group_name="raw",
            tags=tags(contract, "confidential"),
            metadata={
                "dagster/column_schema": column_schema(
                    {
                        **_lineage_schema(),
                        **{c.name: ("VARCHAR", c.description) for c in contract.open_columns},
                    }
                ),
                "contract": contract.name,
            },
            **per_delivery,
        )
    ]
    if contract.pii_columns:
        specs.append(
            dg.AssetSpec(
                key=asset_key("pii", contract, f"{contract.name}_raw"),
                description=(
                    f"Direct identifiers of raw {contract.name}, as delivered, kept in the pii "
                    f"zone. Source: the same delivery files. Grain: one row per loaded record "
                    f"(joins `raw.{contract.name}` on _delivery, _line). "
                    f"Target: `pii.{contract.name}_raw`."
                ),
                group_name="pii",
                tags=tags(contract, "pii"),
                metadata={
                    "dagster/column_schema": column_schema(
                        {
                            "_delivery": ("VARCHAR", LINEAGE_DESCRIPTIONS["_delivery"]),
                            "_line": ("BIGINT", LINEAGE_DESCRIPTIONS["_line"]),
                            **{c.name: ("VARCHAR", c.description) for c in contract.pii_columns},
                        }
                    ),
                    "contract": contract.name,
                },
                **per_delivery,
            )
        )
    return specs + [ledger_spec(contract, table, common) for table in LEDGER_TABLES]


def withdrawal_event(contract: Contract, delivery: str, reason: str) -> dg.AssetMaterialization:
    """The event on the extract's raw asset that says a delivery left it outside any load
    run (``datalabs withdraw``, or its file deleted from landing): the next night sees its
    extract changed and stages it again (``nightly_scope``)."""
    return dg.AssetMaterialization(
        asset_key=raw_specs(contract)[0].key,
        partition=delivery,
        description=f"delivery {delivery} withdrawn: {reason}",
        metadata={"withdrawn": True},
    )


def ledger_spec(contract: Contract, table: LedgerTable, common: dict) -> dg.AssetSpec:
    """The spec of ``contract``'s part of one ledger table (written by its raw step).

    Not partitioned: one table over every delivery, so a load of N deliveries records one
    materialization of it, not N (two event-log writes each, with the planned event)."""
    schema, name = table.of(contract)
    return dg.AssetSpec(
        key=asset_key(schema, contract, name),
        description=(
            f"{table.description} Source: the loads of {contract.name} deliveries (and "
            f"`datalabs withdraw`). Grain: {table.grain} Target: `{schema}.{name}`."
        ),
        group_name=schema,
        tags=tags(contract, "pii" if schema == "pii" else "confidential"),
        metadata={"dagster/column_schema": column_schema(table.columns), "contract": contract.name},
        **common,
    )


def build_raw_asset(contract: Contract) -> dg.AssetsDefinition:
    specs = raw_specs(contract)
    raw_key = specs[0].key

    @dg.multi_asset(
        name=f"raw__{contract.name}",
        specs=specs,
        check_specs=[
            dg.AssetCheckSpec(
                RECONCILES,
                asset=raw_key,
                blocking=True,
                description=(
                    "Every delivery reconciles: records in the file = rows loaded + rows "
                    "quarantined, counted from the tables themselves."
                ),
            )
        ],
        can_subset=True,  # required by Dagster when specs differ in partitioning
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=warehouse_pool(contract.name),
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        landing = get_settings().landing_dir
        results, rejected, skipped = {}, [], []
        with warehouse.get_connection() as con:
            ensure_raw_tables(con, contract)  # every table this step declares
            withdrawn = withdraw_missing(con, contract, landing)
            if withdrawn:
                context.log.warning(f"withdrawn (file deleted from landing): {withdrawn}")
            partitioned = context.has_partition_key or context.has_partition_key_range
            for delivery in context.partition_keys if partitioned else []:
                path = landing_folder(contract, landing) / delivery
                try:
                    path = delivery_path(contract, landing, delivery)
                    if not Path(delivery).match(contract.file_pattern):
                        raise DeliveryRejected(
                            path,
                            "file_pattern",
                            f"name does not match {contract.file_pattern!r}",
                            contract=contract.name,
                        )
                    if withdrawn_in_place(con, contract, delivery, path):
                        skipped.append(delivery)
                        continue
                    loaded = load_delivery(con, contract, path, delivery)
                except DeliveryRejected as exc:
                    if exc.rule == FILE_GONE:  # deleted from landing: withdrawn above
                        continue
                    record_rejection(con, contract, delivery, exc)  # before a load, too
                    context.log.error(str(exc))
                    rejected.append(str(exc))
                    continue
                results[delivery] = loaded
            if skipped:
                context.log.warning(f"withdrawn (by `datalabs withdraw`), not loaded: {skipped}")
            if results:  # one message, not one per delivery: each is a write to the event log
                context.log.info(
                    "\n".join(
                        f"{d}: {r.rows_loaded} rows loaded, {r.rows_quarantined} quarantined"
                        for d, r in results.items()
                    )
                )
            with transaction(con):  # reads only: one DuckLake snapshot, not one per query
                checks = {d: reconcile(con, contract, d) for d in results}
                # no preview: as-delivered text, unchecked, may hold anything in any column
                raw_meta = table_metadata(con, raw_table(contract), preview=False)
                pii_meta = (
                    table_metadata(con, pii_raw_table(contract), preview=False)
                    if contract.pii_columns
                    else None
                )
                ledger_meta = {
                    spec.key: table_metadata(con, table.of(contract), preview=False)
                    for spec, table in zip(specs[-len(LEDGER_TABLES) :], LEDGER_TABLES, strict=True)
                }
        if rejected:
            raise dg.Failure(
                description=f"{len(rejected)} delivery file(s) rejected: " + " | ".join(rejected),
                metadata={"rejected": "\n".join(rejected)},
            )
        delivery_meta = {
            "deliveries": ", ".join(results),
            "rows_loaded": sum(r.rows_loaded for r in results.values()),
            "rows_quarantined": sum(r.rows_quarantined for r in results.values()),
            "quarantine_reasons": dg.MetadataValue.json(
                {d: r.quarantine_reasons for d, r in results.items() if r.quarantine_reasons}
            ),
        }
        selected = context.selected_asset_keys
        if raw_key in selected:
            yield dg.MaterializeResult(asset_key=raw_key, metadata={**raw_meta, **delivery_meta})
        if pii_meta is not None and specs[1].key in selected:
            yield dg.MaterializeResult(asset_key=specs[1].key, metadata=pii_meta)
        for key, metadata in ledger_meta.items():
            if key in selected:
                yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        if not context.selected_asset_check_keys:
            return
        failing = [d for d, c in checks.items() if not c["reconciles"]]
        yield dg.AssetCheckResult(
            asset_key=raw_key,
            check_name=RECONCILES,
            passed=not failing,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "deliveries_checked": len(checks),
                "deliveries_failing": ", ".join(failing) or "none",
                "counts": dg.MetadataValue.json(checks),
            },
        )

    return _raw


def raw_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(c) for c in contracts]
