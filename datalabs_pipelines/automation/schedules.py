"""The nightly job and its schedules: rebuild what is downstream of the raw layer and publish.

Loading deliveries is the landing sensor's job (one run per file, as files arrive), so the
02:00 run works on whatever has been loaded; the publish step inside it refuses to publish
while any blocking check fails. `make run`, the schedules and the UI launch the same job: the
nightly schedule builds the part of it downstream of what changed since the last night
(``nightly_scope``), the others the whole. The nightly run links incrementally (only pairs
touching new profiles are scored); once a month a second schedule launches the whole job with
every linkage step's ``full_relink`` set, which rescores every pair and re-clusters from
scratch.
"""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from datalabs_pipelines.automation.nightly_scope import code_tags, nightly_scope
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import raw_specs

NIGHTLY = "nightly"
NIGHTLY_JOB = "nightly_job"
NIGHTLY_CRON = "0 2 * * *"
SCOPE_REASON_TAG = "datalabs/scope_reason"
TIMEZONE = "America/Chicago"
MONTHLY_FULL_RELINK = "monthly_full_relink"
# the 1st, after that night's 02:00 run (a run still going holds the duckdb pool: it waits)
MONTHLY_FULL_RELINK_CRON = "0 4 1 * *"


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
        tags=code_tags(contracts),
        description="Staging (with every quality check), integrated tables, marts and the "
        "published snapshot, from the loaded deliveries. The snapshot is replaced only if "
        "every blocking check passed.",
    )


def nightly_request(
    instance: dg.DagsterInstance, asset_graph: Any, contracts: Sequence[Contract]
) -> dg.RunRequest:
    """Tonight's run of the nightly job: what changed since the last night and what reads it,
    with the checks of those assets; the whole job when no night can be started from."""
    scope = nightly_scope(
        instance, asset_graph, contracts, NIGHTLY_JOB, downstream_of_raw(contracts)
    )
    tags = {**scope.tags, SCOPE_REASON_TAG: scope.reason[:200]}
    if scope.assets is None:
        return dg.RunRequest(tags=tags)
    checks = dg.AssetSelection.checks_for_assets(*scope.assets).resolve_checks(asset_graph)
    return dg.RunRequest(
        asset_selection=sorted(scope.assets, key=lambda k: k.to_user_string()),
        asset_check_keys=sorted(checks, key=lambda k: k.to_user_string()),
        tags=tags,
    )


def build_nightly_schedule(job: Any, contracts: Sequence[Contract]) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=NIGHTLY,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=TIMEZONE,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="02:00 America/Chicago: launch `nightly_job` for what changed since the "
        "last night (the marts judged on the run date and the snapshot always; the whole job "
        "when no night can be started from).",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        request = nightly_request(context.instance, context.repository_def.asset_graph, contracts)
        context.log.info(f"nightly scope: {request.tags[SCOPE_REASON_TAG] or 'the whole job'}")
        return request

    return nightly


def full_relink_config(linkage_ops: Sequence[str]) -> dict[str, Any]:
    """Run config that makes each linkage op (``LinkageRunConfig``) re-link from scratch."""
    return {"ops": {op: {"config": {"full_relink": True}} for op in linkage_ops}}


def build_monthly_full_relink_schedule(
    job: Any, linkage_ops: Sequence[str]
) -> dg.ScheduleDefinition:
    """The 1st of each month, 04:00: `nightly_job` with a full re-clustering of
    ``linkage_ops``, which also brings every cached score up to date (term frequencies)."""
    return dg.ScheduleDefinition(
        name=MONTHLY_FULL_RELINK,
        cron_schedule=MONTHLY_FULL_RELINK_CRON,
        execution_timezone=TIMEZONE,
        job=job,
        run_config=full_relink_config(linkage_ops),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="04:00 America/Chicago on the 1st: launch `nightly_job` with "
        "`full_relink: true` for linkage (every pair rescored, clusters rebuilt).",
    )
