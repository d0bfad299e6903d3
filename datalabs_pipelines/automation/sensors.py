"""The landing sensor: each new (or replaced) delivery file becomes a partition and a run.

A run is requested only for a file whose content hash, under today's contract, the load ledger
(``raw.deliveries``) does not hold for that delivery: what `make run` loaded is not loaded
again, and an edited contract loads its extract again. A delivery in use whose file was
deleted from landing is reported withdrawn on its raw asset (once), so that the next night
stages its extract, which withdraws it (``withdraw_missing``). The ledger is read
from the warehouse the resource opens (``warehouse_database``): the embedded file or the
DuckLake. Embedded, the sensor skips its tick while a run is in progress: reading the ledger
opens the file, and DuckDB's file lock would then stop the run's next step from opening it.
A DuckLake has no file lock, so its ledger is read while runs write.
"""

import json
from collections.abc import Sequence

import dagster as dg
import duckdb

from datalabs_pipelines.automation.landing_hashes import (
    content_hashes,
    deleted,
    read_ledger,
    to_load,
    version,
)
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for, raw_specs, withdrawal_event
from datalabs_pipelines.ingestion.landing import deliveries, unowned_files
from datalabs_pipelines.ingestion.ledger import FILE_DELETED
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import is_lake, warehouse_database

# the cursor's entry for the deliveries reported withdrawn (landing paths are absolute)
REPORTED = "withdrawals reported"
RUNNING = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def load_job_name(contract: Contract) -> str:
    return f"load_{contract.name}"


def build_load_jobs(contracts: Sequence[Contract]) -> list:
    """One job per extract: its raw assets, partitioned by delivery file."""
    return [
        dg.define_asset_job(
            load_job_name(c),
            selection=dg.AssetSelection.assets(*[s.key for s in raw_specs(c)]),
            partitions_def=partitions_for(c),
            # One step, and warehouse steps run one at a time anyway: no subprocess per step.
            executor_def=dg.in_process_executor,
            description=f"Load deliveries of {c.name} into the raw layer.",
        )
        for c in contracts
    ]


def build_landing_sensor(contracts: Sequence[Contract], jobs: Sequence) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        jobs=list(jobs),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Registers each new file in the landing folder as a partition of its "
        "extract's raw asset and requests a run to load it when the load ledger does not hold "
        "its content (sha256); a replaced file is loaded again, and a deleted one is reported "
        "withdrawn for the next night.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        settings = get_settings()
        landing = settings.landing_dir
        found = deliveries(tuple(contracts), landing)
        state = json.loads(context.cursor or "{}")
        hashes, cache = content_hashes(found, state)
        reported = [tuple(k) for k in state.get(REPORTED, [])]
        database = warehouse_database()
        if not is_lake(database) and context.instance.get_runs(
            filters=dg.RunsFilter(statuses=RUNNING), limit=1
        ):
            # Even a read-only open takes DuckDB's file lock: a run's next step could not
            # open the warehouse while this tick reads it (three nightly steps failed so).
            return dg.SensorResult(
                skip_reason="a run is in progress and may hold the warehouse; checking again "
                "at the next tick",
                cursor=json.dumps({**cache, REPORTED: reported}),
            )
        try:
            ledger = read_ledger(database, contracts)
        except duckdb.Error:
            return dg.SensorResult(
                skip_reason="the warehouse is held by a run; checking again at the next tick",
                cursor=json.dumps({**cache, REPORTED: reported}),
            )
        partition_requests = []
        for contract in contracts:
            partitions = partitions_for(contract)
            known = set(context.instance.get_dynamic_partitions(partitions.name))
            new = sorted({d.name for d in found if d.contract is contract} - known)
            if new:
                partition_requests.append(partitions.build_add_request(new))
        run_requests = [
            dg.RunRequest(
                run_key=f"{d.contract.name}/{d.name}/{version(hashes[str(d.path)], d.contract)}",
                job_name=load_job_name(d.contract),
                partition_key=d.name,
                tags={"datalabs/trigger": "landing_sensor"},
            )
            for d in to_load(found, hashes, ledger.versions)
        ]
        # a delivery whose file left landing: reported once, so the next night stages its
        # extract (which withdraws it); the cursor forgets it once the ledger has
        gone = deleted(found, ledger, landing)
        named = {c.name: c for c in contracts}
        withdrawals = [
            withdrawal_event(named[extract], delivery, FILE_DELETED)
            for extract, delivery in gone
            if (extract, delivery) not in reported and extract in named  # a contract removed
        ]
        stray = unowned_files(tuple(contracts), landing)
        if stray:
            context.log.warning(
                "files in landing that match no contract (not loaded): "
                + ", ".join(str(p.relative_to(landing)) for p in stray[:20])
            )
        return dg.SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=partition_requests,
            asset_events=withdrawals,
            cursor=json.dumps({**cache, REPORTED: gone}),
        )

    return landing_sensor
