"""The landing sensor: each new (or replaced) delivery file becomes a partition and a run."""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for, raw_specs
from datalabs_pipelines.ingestion.landing import deliveries, unowned_files
from datalabs_pipelines.settings import get_settings


def build_landing_sensor(contracts: Sequence[Contract]) -> dg.SensorDefinition:
    raw_keys = [s.key for c in contracts for s in raw_specs(c)]

    @dg.sensor(
        name="landing_sensor",
        target=dg.AssetSelection.assets(*raw_keys),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Registers each new file in the landing folder as a partition of its "
        "extract's raw asset and requests a run to load it; a replaced file is loaded again.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        landing = get_settings().landing_dir
        found = deliveries(tuple(contracts), landing)
        partition_requests = []
        for contract in contracts:
            partitions = partitions_for(contract)
            known = set(context.instance.get_dynamic_partitions(partitions.name))
            new = sorted({d.name for d in found if d.contract is contract} - known)
            if new:
                partition_requests.append(partitions.build_add_request(new))
        run_requests = [
            dg.RunRequest(
                run_key=f"{d.contract.name}/{d.name}/{d.version}",
                partition_key=d.name,
                asset_selection=[s.key for s in raw_specs(d.contract)],
                tags={"datalabs/trigger": "landing_sensor"},
            )
            for d in found
        ]
        stray = unowned_files(tuple(contracts), landing)
        if stray:
            context.log.warning(
                "files in landing that match no contract (not loaded): "
                + ", ".join(str(p.relative_to(landing)) for p in stray[:20])
            )
        return dg.SensorResult(
            run_requests=run_requests, dynamic_partitions_requests=partition_requests
        )

    return landing_sensor
