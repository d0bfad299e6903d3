"""Materialize everything once, in this process: what `make run` does.

One run of each extract's load job (the landing sensor's) loads all of its deliveries (a
partition range, one step), then one run of the nightly schedule's job materializes staging,
marts and the snapshot. The jobs are resolved once, with the definitions. The runs are
recorded in the Dagster instance under ``DAGSTER_HOME``, so `make ui` shows them afterwards;
their SQLite commits are made cheaper for this process (``sqlite_storage``).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

import dagster as dg

from datalabs_pipelines.automation.log_mirror import mirror_in_thread
from datalabs_pipelines.automation.prewarm import prewarm_imports
from datalabs_pipelines.automation.schedules import NIGHTLY
from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.automation.sqlite_storage import tune_sqlite_storage
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for
from datalabs_pipelines.ingestion.landing import deliveries
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import kept_open, warehouse_database

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TRIGGER = {"datalabs/trigger": "make run"}
PROCESS_TAG = "datalabs/process"  # host:pid of the process that executes the run in-process
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dataclass
class RunOutcome:
    failed_runs: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    released_runs: list[str] = field(default_factory=list)


def _run_tags() -> dict[str, str]:
    return {**TRIGGER, PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the earlier in-process runs whose process died, and free their pool slots.

    A run killed mid-step (SIGKILL, power loss) never releases its ``duckdb`` pool slot; with
    the pool limited to 1, the next run would wait for that slot forever.
    """
    released = []
    host = socket.gethostname()
    for record in instance.get_run_records(
        filters=dg.RunsFilter(statuses=UNFINISHED, tags=TRIGGER)
    ):
        run = record.dagster_run
        owner, _, pid = run.tags.get(PROCESS_TAG, "").partition(":")
        if owner != host or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"the process that ran it ({pid}) is gone")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def register_deliveries(instance: dg.DagsterInstance, contracts: list[Contract]) -> dict:
    """Add every landing file as a partition; return contract name → its partition keys.

    The largest extracts come first. Their loads are DuckDB's work, which releases the GIL,
    while the background import of ``prewarm`` runs; a small spreadsheet's parsing in Python
    first would wait on that import instead.
    """
    found = deliveries(tuple(contracts), get_settings().landing_dir)
    by_contract: dict[str, list[str]] = {}
    size: dict[str, int] = {}
    for contract in contracts:
        mine = [d for d in found if d.contract is contract]
        if not mine:
            continue
        name = partitions_for(contract).name
        known = set(instance.get_dynamic_partitions(name))
        new = [d.name for d in mine if d.name not in known]
        if new:
            instance.add_dynamic_partitions(name, new)
        by_contract[contract.name] = [d.name for d in mine]
        size[contract.name] = sum(d.path.lstat().st_size for d in mine)  # links: not followed
    return dict(sorted(by_contract.items(), key=lambda item: -size[item[0]]))


def materialize_everything(
    defs: dg.Definitions, contracts: list[Contract], instance: dg.DagsterInstance
) -> RunOutcome:
    tune_sqlite_storage()
    mirror_in_thread()
    prewarm_imports()
    with kept_open(warehouse_database()):
        return _materialize(defs, contracts, instance)


def _materialize(
    defs: dg.Definitions, contracts: list[Contract], instance: dg.DagsterInstance
) -> RunOutcome:
    outcome = RunOutcome(released_runs=release_dead_runs(instance))
    named = {contract.name: contract for contract in contracts}
    for extract, names in register_deliveries(instance, contracts).items():
        contract = named[extract]
        landed = frozenset(names)
        ordered = instance.get_dynamic_partitions(partitions_for(contract).name)
        wanted = [n for n in ordered if n in landed]
        result = defs.resolve_job_def(load_job_name(contract)).execute_in_process(
            instance=instance,
            tags={RANGE_START: wanted[0], RANGE_END: wanted[-1], **_run_tags()},
            raise_on_error=False,
            run_config=QUIET,
        )
        _tally(result, f"load {contract.name}", outcome)
    nightly = defs.resolve_schedule_def(NIGHTLY).job_name
    result = defs.resolve_job_def(nightly).execute_in_process(
        instance=instance, tags=_run_tags(), raise_on_error=False, run_config=QUIET
    )
    _tally(result, "staging, marts and publish", outcome)
    return outcome


def _tally(result: dg.ExecuteInProcessResult, label: str, outcome: RunOutcome) -> None:
    if not result.success:
        outcome.failed_runs.append(label)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            outcome.checks_passed += 1
        else:
            outcome.checks_failed.append(
                f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                f" ({evaluation.severity.value})"
            )
