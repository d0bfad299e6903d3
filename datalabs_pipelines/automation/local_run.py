"""Materialize everything once: what `make run` does, through the jobs the UI and daemon run.

The extract load jobs (the landing sensor's jobs) load the deliveries whose content the load
ledger does not hold, by the sensor's own rule: on a fresh warehouse one run per extract (a
partition range, one step), on the next `make run` only what landed or changed since. Then one
run of ``nightly_job`` (the nightly schedule's job) materializes staging, marts and the
snapshot. Each is the named job of the code location,
executed in this process with Dagster's ``execute_in_process``, the executor those jobs declare
for the UI and the daemon too. The runs are recorded in the Dagster instance under
``DAGSTER_HOME``, so `make ui` shows them afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from datalabs_pipelines.automation.landing_hashes import content_hashes, read_ledger, to_load
from datalabs_pipelines.automation.schedules import NIGHTLY_JOB
from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import partitions_for
from datalabs_pipelines.ingestion.landing import Delivery, deliveries
from datalabs_pipelines.run_lease import release_dead_runs
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import warehouse_database

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TRIGGER = {"datalabs/trigger": "make run"}


@dataclass
class RunOutcome:
    failed_runs: list[str] = field(default_factory=list)
    deliveries_landed: int = 0
    deliveries_loaded: int = 0  # the rest the load ledger held already
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    released_runs: list[str] = field(default_factory=list)


def register_deliveries(
    instance: dg.DagsterInstance, contracts: list[Contract]
) -> dict[str, list[Delivery]]:
    """Add every landing file as a partition; return contract name → its deliveries.

    The largest extracts come first (a stable order; the largest loads are DuckDB's work).
    """
    found = deliveries(tuple(contracts), get_settings().landing_dir)
    by_contract: dict[str, list[Delivery]] = {}
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
        by_contract[contract.name] = mine
        size[contract.name] = sum(d.path.lstat().st_size for d in mine)  # links: not followed
    return dict(sorted(by_contract.items(), key=lambda item: -size[item[0]]))


def materialize_everything(
    defs: dg.Definitions, contracts: list[Contract], instance: dg.DagsterInstance
) -> RunOutcome:
    """Release dead runs, load what landed since the last load, then ``nightly_job``."""
    outcome = load_everything(defs, contracts, instance)
    _tally(run_nightly(defs, instance), "staging, marts and publish", outcome)
    return outcome


def load_everything(
    defs: dg.Definitions, contracts: list[Contract], instance: dg.DagsterInstance
) -> RunOutcome:
    """Release dead runs, then load each delivery whose content the load ledger does not hold
    (the landing sensor's rule): one run of the extract's load job per range of consecutive
    partitions to load, so a first run loads each extract in one run and a second loads
    nothing."""
    outcome = RunOutcome(released_runs=release_dead_runs(instance))
    named = {contract.name: contract for contract in contracts}
    landed = register_deliveries(instance, contracts)
    found = [d for mine in landed.values() for d in mine]
    hashes, _ = content_hashes(found, {})
    wanted = {(d.contract.name, d.name) for d in to_load(found, hashes, _ledger(contracts))}
    outcome.deliveries_landed, outcome.deliveries_loaded = len(found), len(wanted)
    for extract in landed:
        contract = named[extract]
        ordered = instance.get_dynamic_partitions(partitions_for(contract).name)
        for first, last in consecutive_ranges(ordered, {n for e, n in wanted if e == extract}):
            result = defs.resolve_job_def(load_job_name(contract)).execute_in_process(
                instance=instance,
                tags={RANGE_START: first, RANGE_END: last, **TRIGGER},
                raise_on_error=False,
                run_config=QUIET,
            )
            _tally(result, f"load {contract.name}", outcome)
    return outcome


def consecutive_ranges(ordered: Sequence[str], wanted: Set[str]) -> list[tuple[str, str]]:
    """The maximal runs of consecutive ``ordered`` keys that are all ``wanted``, as (first,
    last): a partition range spans every key between its ends."""
    ranges: list[tuple[str, str]] = []
    start = previous = None
    for key in [*ordered, None]:
        if key is not None and key in wanted:
            start, previous = start or key, key
            continue
        if start is not None and previous is not None:
            ranges.append((start, previous))
        start = previous = None
    return ranges


def _ledger(contracts: list[Contract]) -> dict[tuple[str, str], str]:
    """What the load ledgers hold, read as the landing sensor reads them; nothing (so every
    delivery is loaded again, as a first run loads it) when another process holds the file."""
    try:
        return read_ledger(warehouse_database(), contracts).versions
    except duckdb.Error:
        return {}


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
