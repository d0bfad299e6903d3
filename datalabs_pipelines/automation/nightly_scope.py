"""What the nightly schedule rebuilds: what changed since the last night, not all history.

A nightly run that succeeded left every asset it built consistent with the raw layer as of its
start, and the assets it did not build were so already. So the next night needs only the
assets downstream of an extract whose raw layer changed since that start: a load run of the
extract (a delivery loaded, corrected or rejected) or a raw event reported outside a run
(``datalabs withdraw``). Every mart reads ``staging.extract_status``, but only its own
sources' rows (whether each is held back), which change only with those sources: the status
table is built, and what reads it is not reached through it. What a mart computes from the run
date is judged again when that changed: a mart whose SQL reads the run date (``run_date``)
every night, one that reads only its year when the year turned, and every mart when an
agreement expired since the last night (it is judged on the run date, and a mart whose
agreement lapsed leaves the snapshot although no data changed). The snapshot is
published every night, and everything downstream of what runs runs with it.

The whole job runs instead when no such night is on record, or a run since (loads aside) was
built with other code, contracts or settings (the linkage key seen through an HMAC of a fixed
text), or with none recorded: every run of the nightly job records them in its tags. `make
run`, the UI's launch button and the monthly full relink run the whole job. A staging step
that does not run keeps the checks it was judged by when its extract last changed; the monthly
run judges every extract again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.assets import raw_specs, withdrawal_event
from datalabs_pipelines.mart_assets import mart_key
from datalabs_pipelines.marts.registry import mart_declarations
from datalabs_pipelines.privacy_tokens import KEY_ENV, MissingKeyError, hmac_hex, linkage_key
from datalabs_pipelines.publishing.assets import SNAPSHOT
from datalabs_pipelines.quality.extract_status import EXTRACT_STATUS_KEY
from datalabs_pipelines.run_context import RUN_TIMEZONE, run_date
from datalabs_pipelines.settings import Settings, get_settings

SCOPE_TAG = "datalabs/scope"  # "whole" or "changed": what the run was launched to build
CODE_TAG = "datalabs/code"  # the code, contracts and settings it built with
WHOLE, CHANGED = "whole", "changed"
PACKAGE = Path(__file__).resolve().parents[1]
SOURCE_SUFFIXES = {".py", ".sql", ".yaml", ".yml", ".csv", ".json"}
RUN_DATE_SQL = "getvariable('run_date')"  # a mart's SQL reading the date it is judged on
LOOK_BACK = 500  # runs searched for the last night; none found: the whole job
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@dataclass(frozen=True)
class Scope:
    """Tonight's assets (``None``: the whole job), why, and the tags its run carries."""

    assets: frozenset[dg.AssetKey] | None
    reason: str
    tags: dict[str, str]


def code_fingerprint(contracts: Sequence[Contract]) -> str | None:
    """The package's source, the contracts, the settings that change what is built, and the
    linkage key (``_key_fingerprint``); None when the key cannot be read."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    for contract in sorted(contracts, key=lambda c: c.name):
        digest.update(f"{contract.name}={contract.fingerprint}".encode())
    settings = get_settings()
    digest.update(f"{settings.production}|{settings.disclosure_threshold}".encode())
    key = _key_fingerprint(settings)
    if key is None:
        return None
    digest.update(key.encode())
    return digest.hexdigest()[:16]


def _key_fingerprint(settings: Settings) -> str | None:
    """An HMAC of a fixed text under the linkage key; "none yet" before a development key file
    exists (loading the definitions never creates one); None when the key cannot be read."""
    if not os.environ.get(KEY_ENV) and not settings.key_file.exists():
        return "none yet"
    try:
        return hmac_hex(linkage_key(settings), "datalabs nightly scope")
    except (MissingKeyError, OSError):
        return None


def code_tags(contracts: Sequence[Contract]) -> dict[str, str]:
    """The nightly job's own tags: every run of it records the code it was launched with."""
    code = code_fingerprint(contracts)
    return {CODE_TAG: code} if code else {}


def nightly_scope(
    instance: dg.DagsterInstance,
    asset_graph: object,
    contracts: Sequence[Contract],
    job: str,
    job_assets: dg.AssetSelection,
) -> Scope:
    """Tonight's assets of the nightly ``job`` (``job_assets``, resolved on ``asset_graph``,
    the code location's asset graph)."""
    code = code_fingerprint(contracts)
    if code is None:
        return Scope(None, "no linkage key to fingerprint the settings with", {SCOPE_TAG: WHOLE})
    tags = {SCOPE_TAG: WHOLE, CODE_TAG: code}
    everything = frozenset(job_assets.resolve(asset_graph))
    since = _last_night(instance, job, everything, code, {load_job_name(c) for c in contracts})
    if since is None:
        return Scope(None, "no earlier night to start from (see nightly_scope)", tags)
    changed = [c for c in contracts if _raw_changed(instance, c, since)]
    starts = {s.key for c in changed for s in raw_specs(c)} | judged_tonight(contracts, since)
    starts.add(SNAPSHOT)  # published every night, the status of each mart with it
    reached = reached_from(asset_graph, starts)
    tonight = (
        dg.AssetSelection.assets(*reached) & job_assets
    ).required_multi_asset_neighbors() & job_assets
    names = ", ".join(c.name for c in changed) or "none"
    return Scope(
        frozenset(tonight.resolve(asset_graph)),
        f"extracts changed since {since.isoformat(timespec='seconds')}: {names}",
        {SCOPE_TAG: CHANGED, CODE_TAG: code},
    )


def judged_tonight(
    contracts: Sequence[Contract], since: dt.datetime, tonight: dt.date | None = None
) -> set[dg.AssetKey]:
    """The marts judged again whatever the data: those whose SQL reads a run date that
    changed since the last night (``run_date_changed``), or all of them when an agreement
    expired between the last night's run date and tonight's (one is valid through its expiry
    date)."""
    declarations = mart_declarations(contracts)
    last, tonight = since.astimezone(RUN_TIMEZONE).date(), tonight or run_date()
    if any(last <= c.agreement.expires < tonight for c in contracts):
        return {mart_key(d) for d in declarations}
    return {
        mart_key(d) for d in declarations if run_date_changed(d.sql_path.read_text(), last, tonight)
    }


def run_date_changed(sql: str, last: dt.date, tonight: dt.date) -> bool:
    """Whether ``sql`` reads the run date and what it reads of it may differ between the last
    night (started on ``last``) and tonight. The date itself differs every night; its year
    alone (``sql`` reads nothing but ``year(run_date)``: ages by calendar year) only when the
    year turned. A night's run date may be the day before it started (scheduled before
    midnight), so that day's year counts as the last night's too."""
    if RUN_DATE_SQL not in sql:
        return False
    if sql.count(RUN_DATE_SQL) == sql.count(f"year({RUN_DATE_SQL})"):
        return {last.year, (last - dt.timedelta(days=1)).year} != {tonight.year}
    return True


def reached_from(asset_graph: object, starts: set[dg.AssetKey]) -> set[dg.AssetKey]:
    """``starts`` and everything downstream of them, except what is reached only through
    ``staging.extract_status`` (built, but its readers read the rows of their own sources)."""
    reached, frontier = set(), set(starts)
    while frontier:
        reached |= frontier
        beyond = {k for k in frontier if k != EXTRACT_STATUS_KEY}
        children = (
            dg.AssetSelection.assets(*beyond).downstream(depth=1, include_self=False)
            if beyond
            else None
        )
        frontier = (set(children.resolve(asset_graph)) if children else set()) - reached
    return reached


def _last_night(
    instance: dg.DagsterInstance,
    job: str,
    everything: frozenset[dg.AssetKey],
    code: str,
    load_jobs: set[str],
) -> dt.datetime | None:
    """When the last run of ``job`` that built ``everything`` (its assets) or a night's scope
    with ``code`` and succeeded started; None if there is none, or a run since (loads aside)
    built with other code, or with code not recorded (a selection launched from the UI)."""
    for run in instance.get_runs(limit=LOOK_BACK):  # newest first
        if run.job_name in load_jobs:
            continue
        if run.tags.get(CODE_TAG) != code:
            return None
        selected = run.asset_selection  # none or empty (execute_in_process): the whole job
        built_night = SCOPE_TAG in run.tags or not selected or everything <= selected
        if run.job_name == job and run.status == dg.DagsterRunStatus.SUCCESS and built_night:
            stats = instance.get_run_stats(run.run_id)
            started = stats.start_time or stats.launch_time or stats.enqueued_time
            return None if started is None else dt.datetime.fromtimestamp(started, dt.UTC)
    return None


def report_withdrawal(
    instance: dg.DagsterInstance, contract: Contract, delivery: str, reason: str
) -> None:
    """Record on the extract's raw asset that a delivery left it outside any run (``datalabs
    withdraw``), so that the next night rebuilds what it fed."""
    instance.report_runless_asset_event(withdrawal_event(contract, delivery, reason))


def _raw_changed(instance: dg.DagsterInstance, contract: Contract, since: dt.datetime) -> bool:
    """A load run of the extract ran or ended since ``since``, or is still to end, or one of
    its raw assets had an event reported since (a withdrawal)."""
    job = load_job_name(contract)
    if instance.get_runs(filters=dg.RunsFilter(job_name=job, updated_after=since), limit=1):
        return True
    unfinished = [s for s in dg.DagsterRunStatus if s not in FINISHED]
    if instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=unfinished), limit=1):
        return True
    for spec in raw_specs(contract):
        event = instance.get_latest_materialization_event(spec.key)
        if event is not None and event.timestamp >= since.timestamp():
            return True
    return False
