"""The nightly schedule: load any delivery not yet loaded, then rebuild everything downstream."""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for, raw_specs

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "America/Chicago"


def build_nightly_schedule(contracts: Sequence[Contract]) -> dg.ScheduleDefinition:
    raw_keys = [s.key for c in contracts for s in raw_specs(c)]
    downstream = dg.AssetSelection.all() - dg.AssetSelection.assets(*raw_keys)

    @dg.schedule(
        name="nightly",
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=TIMEZONE,
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="02:00 America/Chicago: load deliveries the sensor has not loaded yet, "
        "then materialize staging, marts and the published snapshot (which publishes only if "
        "every blocking check passed).",
    )
    def nightly(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.strftime("%Y-%m-%d")
        for contract in contracts:
            keys = [s.key for s in raw_specs(contract)]
            registered = context.instance.get_dynamic_partitions(partitions_for(contract).name)
            loaded = context.instance.get_materialized_partitions(keys[0])
            for partition in sorted(set(registered) - set(loaded)):
                yield dg.RunRequest(
                    run_key=f"{tick}/{contract.name}/{partition}",
                    partition_key=partition,
                    asset_selection=keys,
                    tags={"dagster/priority": "1"},
                )
        yield dg.RunRequest(
            run_key=f"{tick}/downstream",
            asset_selection=downstream,
            tags={"dagster/priority": "0"},
        )

    return nightly
