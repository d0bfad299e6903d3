"""The nightly schedule: rebuild everything downstream of the raw layer and publish.

Loading deliveries is the landing sensor's job (one run per file, as files arrive), so the
02:00 run works on whatever has been loaded; the publish step inside it refuses to publish
while any blocking check fails.
"""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import raw_specs

NIGHTLY = "nightly"
NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "America/Chicago"


def downstream_of_raw(contracts: Sequence[Contract]) -> dg.AssetSelection:
    raw_keys = [s.key for c in contracts for s in raw_specs(c)]
    return dg.AssetSelection.all() - dg.AssetSelection.assets(*raw_keys)


def build_nightly_schedule(contracts: Sequence[Contract]) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=NIGHTLY,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=TIMEZONE,
        target=downstream_of_raw(contracts),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="02:00 America/Chicago: materialize staging (with every quality check), "
        "integrated tables, marts and the published snapshot from the loaded deliveries. "
        "The snapshot is replaced only if every blocking check passed.",
    )
