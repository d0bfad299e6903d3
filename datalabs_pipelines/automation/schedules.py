"""The nightly job and its schedule: rebuild everything downstream of the raw layer and publish.

Loading deliveries is the landing sensor's job (one run per file, as files arrive), so the
02:00 run works on whatever has been loaded; the publish step inside it refuses to publish
while any blocking check fails. `make run`, the schedule and the UI launch the same job.
"""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import raw_specs

NIGHTLY = "nightly"
NIGHTLY_JOB = "nightly_job"
NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "America/Chicago"


def downstream_of_raw(contracts: Sequence[Contract]) -> dg.AssetSelection:
    raw_keys = [s.key for c in contracts for s in raw_specs(c)]
    return dg.AssetSelection.all() - dg.AssetSelection.assets(*raw_keys)


def build_nightly_job(contracts: Sequence[Contract]) -> Any:  # define_asset_job's type
    """Every asset but the raw loads, in one process.

    Embedded, every warehouse step takes the ``duckdb`` pool (limit 1), so steps run one at a
    time whatever the executor; the multiprocess executor only added a process start and a
    fresh import of the code location per step (239 s against 45 s in one process). On
    DuckLake each step has a pool of its own (``warehouse_pool``), so a launched run given the
    multiprocess executor in its run config runs independent steps at once (``datalabs bench
    --parallel``).
    """
    return dg.define_asset_job(
        NIGHTLY_JOB,
        selection=downstream_of_raw(contracts),
        executor_def=dg.in_process_executor,
        description="Staging (with every quality check), integrated tables, marts and the "
        "published snapshot, from the loaded deliveries. The snapshot is replaced only if "
        "every blocking check passed.",
    )


def build_nightly_schedule(job: Any) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=NIGHTLY,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=TIMEZONE,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="02:00 America/Chicago: launch `nightly_job`.",
    )
