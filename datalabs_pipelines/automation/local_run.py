"""Materialize everything once: what `make run` does, through the jobs the UI and daemon run.

One run of each extract's load job (the landing sensor's job) loads all of its deliveries (a
partition range, one step), then one run of ``nightly_job`` (the nightly schedule's job)
materializes staging, marts and the snapshot. Each is the named job of the code location,
executed in this process with Dagster's ``execute_in_process``, the executor those jobs declare
for the UI and the daemon too. The runs are recorded in the Dagster instance under
``DAGSTER_HOME``, so `make ui` shows them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from datalabs_pipelines.automation.schedules import NIGHTLY_JOB
from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for
from datalabs_pipelines.ingestion.landing import deliveries
from datalabs_pipelines.run_lease import release_dead_runs
from datalabs_pipelines.settings import get_settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TRIGGER = {"datalabs/trigger": "make run"}


@dataclass
class RunOutcome:
    failed_runs: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    released_runs: list[str] = field(default_factory=list)


def register_deliveries(instance: dg.DagsterInstance, contracts: list[Contract]) -> dict:
    """Add every landing file as a partition; return contract name → its partition keys.

    The largest extracts come first (a stable order; the largest loads are DuckDB's work).
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
    """Release dead runs, run each extract's load job, then ``nightly_job``."""
    outcome = load_everything(defs, contracts, instance)
    _tally(run_nightly(defs, instance), "staging, marts and publish", outcome)
    return outcome


def load_everything(
    defs: dg.Definitions, contracts: list[Contract], instance: dg.DagsterInstance
) -> RunOutcome:
    """Release dead runs, then one run of each extract's load job over all its deliveries."""
    outcome = RunOutcome(released_runs=release_dead_runs(instance))
    named = {contract.name: contract for contract in contracts}
    for extract, names in register_deliveries(instance, contracts).items():
        contract = named[extract]
        landed = frozenset(names)
        ordered = instance.get_dynamic_partitions(partitions_for(contract).name)
        wanted = [n for n in ordered if n in landed]
        result = defs.resolve_job_def(load_job_name(contract)).execute_in_process(
            instance=instance,
            tags={RANGE_START: wanted[0], RANGE_END: wanted[-1], **TRIGGER},
            raise_on_error=False,
            run_config=QUIET,
        )
        _tally(result, f"load {contract.name}", outcome)
    return outcome


def run_nightly(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """``nightly_job`` in this process, as `make run` ends (the benchmark times it alone)."""
    return defs.resolve_job_def(NIGHTLY_JOB).execute_in_process(
        instance=instance, tags=TRIGGER, raise_on_error=False, run_config=QUIET
    )


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
