"""Platform marts: extract_quality, the load and check record of every delivery."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.sql import run_sql_file
from datalabs_pipelines.quality.results import ensure_results_table

EXTRACT_QUALITY = dg.AssetKey(["marts", "platform", "extract_quality"])

EXTRACT_QUALITY_COLUMNS = {
    "extract": ("VARCHAR", "extract (contract) name"),
    "delivery": ("VARCHAR", "delivery file name"),
    "status": ("VARCHAR", "loaded, or rejected as a whole file"),
    "records_in_file": ("BIGINT", "records the file holds (lines less header, blanks)"),
    "rows_loaded": ("BIGINT", "records loaded into the raw layer"),
    "rows_quarantined": ("BIGINT", "records that could not be parsed, kept with their reason"),
    "reconciles": ("BOOLEAN", "records_in_file = rows_loaded + rows_quarantined"),
    "checks_passed": ("BIGINT", "the extract's quality checks that passed at the last run"),
    "checks_failed": ("BIGINT", "the extract's quality checks that failed at the last run"),
    "blocking_checks_failed": ("BIGINT", "failed checks of ERROR severity"),
    "rejection_rule": ("VARCHAR", "contract rule a rejected file broke"),
    "load_time": ("TIMESTAMP", "when the delivery was loaded (or rejected)"),
}


def build_extract_quality(contracts: Sequence[Contract]) -> dg.AssetsDefinition:
    @dg.asset(
        key=EXTRACT_QUALITY,
        deps=[dg.AssetKey(["staging", c.agency, c.name]) for c in contracts],
        group_name="marts",
        kinds={"duckdb", "sql"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "public"},
        metadata={"dagster/column_schema": column_schema(EXTRACT_QUALITY_COLUMNS)},
        pool="duckdb",
    )
    def extract_quality(warehouse: DuckDBResource) -> dg.MaterializeResult:
        """Load and quality record of every delivery. Source: `raw.deliveries`,
        `raw.rejected_deliveries` and `staging.check_results`. Grain: one row per extract and
        delivery file. Target: `marts.extract_quality` (published)."""
        with warehouse.get_connection() as con:
            ensure_results_table(con)
            run_sql_file(con, "extract_quality.sql")
            return dg.MaterializeResult(metadata=table_metadata(con, ("marts", "extract_quality")))

    return extract_quality
