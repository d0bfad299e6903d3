"""The staging reports: one asset, downstream of every staging asset, writes the tables that
describe each extract's last staging: ``staging.check_results``, ``staging.extract_status`` and
``staging.collapsed_lines``.

Each staging asset reports its outcome in its materialization's metadata (names, counts and
delivery lines, never values); this asset reads the latest of them, so every table it writes
has one writer and shows in the lineage.
"""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, latest_report, table_metadata
from datalabs_pipelines.cleaning.collapsed import COLLAPSED_KEY, COLLAPSED_SCHEMA, write_collapsed
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.quality.extract_status import (
    EXTRACT_STATUS_KEY,
    STATUS_SCHEMA,
    write_statuses,
)
from datalabs_pipelines.quality.results import OUTCOMES, RESULT_SCHEMA, RESULTS_KEY, write_results

REASON, COLLAPSED_LINES = "reason", "collapsed"  # metadata of a staging materialization


def _spec(key: dg.AssetKey, schema: dict, what: str, grain: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=key,
        description=(
            f"{what} Source: the latest materialization of each staging asset (its "
            f"metadata). Grain: {grain} Target: `staging.{key.path[-1]}`."
        ),
        group_name="staging",
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "confidential"},
        metadata={"dagster/column_schema": column_schema(schema)},
    )


def report_specs(staging_keys: Sequence[dg.AssetKey]) -> list[dg.AssetSpec]:
    specs = [
        _spec(
            RESULTS_KEY,
            RESULT_SCHEMA,
            "The latest outcome of every expectation.",
            "one row per extract and check.",
        ),
        _spec(
            EXTRACT_STATUS_KEY,
            STATUS_SCHEMA,
            "Each extract's status: loaded, not delivered or held back, and why.",
            "one row per extract.",
        ),
        _spec(
            COLLAPSED_KEY,
            COLLAPSED_SCHEMA,
            "Identical lines the live staging tables collapsed.",
            "one row per extract and delivery with collapsed lines.",
        ),
    ]
    return [s.replace_attributes(deps=list(staging_keys)) for s in specs]


def build_staging_reports(
    contracts: Sequence[Contract], staging_keys: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dg.multi_asset(name="staging_reports", specs=report_specs(staging_keys), pool="duckdb")
    def staging_reports(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        results, statuses, collapsed = [], [], {}
        for contract, key in zip(contracts, staging_keys, strict=True):
            report = latest_report(context.instance, key)
            if report is None:
                continue  # never staged
            meta, _ = report
            results += [
                (contract.name, o["check"], o["severity"], o["passed"], o["unexpected_count"])
                for o in meta.get(OUTCOMES, [])
            ]
            statuses.append(
                (
                    contract.name,
                    contract.agency,
                    contract.domain,
                    meta["status"],
                    meta["deliveries"],
                    meta["dagster/row_count"],
                    meta["candidate_rows"],
                    meta.get(REASON) or None,
                )
            )
            if meta.get("promoted"):
                collapsed[contract.name] = meta.get(COLLAPSED_LINES, [])
        with warehouse.get_connection() as con:
            write_results(con, results)
            write_statuses(con, statuses)
            write_collapsed(con, collapsed)
            metadata = {
                key: table_metadata(con, (key.path[0], key.path[-1]), preview=False)
                for key in (RESULTS_KEY, EXTRACT_STATUS_KEY, COLLAPSED_KEY)
            }
        for key, entries in metadata.items():
            yield dg.MaterializeResult(asset_key=key, metadata=entries)

    return staging_reports
