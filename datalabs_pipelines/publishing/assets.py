"""The publish asset: the snapshot dashboards read, written only after every check passed."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.publishing.snapshot import publish_snapshot
from datalabs_pipelines.quality.results import failed_blocking
from datalabs_pipelines.settings import get_settings

SNAPSHOT = dg.AssetKey(["published", "platform", "datalabs"])


def build_published_snapshot(mart_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=SNAPSHOT,
        deps=list(mart_keys),
        group_name="published",
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "public"},
        pool="duckdb",
    )
    def published_snapshot(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> dg.MaterializeResult:
        """Read-only snapshot for dashboards. Source: every table in schema `marts`. Grain: the
        marts' own. Target: `data/published/datalabs.duckdb`, replaced atomically, and only
        when no blocking (ERROR) check is failing on any extract."""
        target = get_settings().published_path
        with warehouse.get_connection() as con:
            failing = failed_blocking(con)
            if failing:
                raise dg.Failure(
                    description="Not publishing: blocking checks are failing: "
                    + ", ".join(failing)
                    + ". The previous snapshot stays in place.",
                )
            counts = publish_snapshot(con, target)
        context.log.info(f"published {len(counts)} tables to {target}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(target)),
                "tables": dg.MetadataValue.json(counts),
                "dagster/row_count": sum(counts.values()),
            }
        )

    return published_snapshot
