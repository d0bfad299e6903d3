"""Concurrent runs through the real Dagster daemon and run queue never collide in DuckDB.

The landing sensor launches one load run per delivery at once (the fixture's three, two of
them people's); then the nightly job is launched twice at once with `dagster job launch` (as
the schedule and an engineer would), the first one held at the publish pause point while it
owns the ``duckdb`` pool slot. Every run must succeed, no two warehouse steps may overlap in
time across runs (the pool, limited to 1 by ``dagster.yaml``, serializes them: the run queue
holds back a run whose pool is full, and each step claims its slot), and the tables must
equal one run's (the session's ``fixture_graph``, the same deliveries materialized in process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.pause_points import PAUSE_AT
from datalabs_pipelines.settings import PROJECT_ROOT
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING, FixtureGraph
from datalabs_pipelines_tests.reliability.pipeline_process import GUARD_SECONDS, Site, new_site

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
WORKSPACE = PROJECT_ROOT / "workspace.yaml"
NIGHTLY_JOB = "nightly_job"
POLL_SECONDS = 0.2  # reading the instance is cheap; a longer wait only adds to the test
DELIVERIES = sum(1 for p in FIXTURE_LANDING.rglob("*") if p.is_file())
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def _env(site: Site) -> dict[str, str]:
    return {**os.environ, **site.env()}


def wait_for_runs(instance: dg.DagsterInstance, count: int) -> list[dg.DagsterRun]:
    """Block until ``count`` runs exist and all of them have finished."""
    deadline = time.monotonic() + GUARD_SECONDS
    while True:
        runs = instance.get_runs()
        if len(runs) >= count and all(r.is_finished for r in runs):
            return runs
        assert time.monotonic() < deadline, [(r.job_name, r.status) for r in runs]
        time.sleep(POLL_SECONDS)


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(POLL_SECONDS)


def step_intervals(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[tuple]:
    """(start, end, run id, step) of every step of ``run``."""
    started: dict[str, float] = {}
    intervals = []
    for entry in instance.all_logs(run.run_id, of_type=STEP_EVENTS):
        step = entry.step_key
        if entry.dagster_event_type == dg.DagsterEventType.STEP_START:
            started[step] = entry.timestamp
        else:
            intervals.append((started.pop(step), entry.timestamp, run.run_id, step))
    assert not started, f"steps that never ended: {started}"
    return intervals


def warehouse_steps() -> set[str]:
    """Steps that open the warehouse (pool ``duckdb``); the HTML pages only read the snapshot."""
    defs = build_definitions(load_contracts(FIXTURE_CONTRACTS))
    return {a.op.name for a in defs.assets if a.op.pool == "duckdb"}


def overlapping(intervals: list[tuple]) -> list[tuple]:
    ordered = sorted(intervals)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b[0] < a[1]]


def test_concurrent_runs_through_the_daemon_are_serialized_by_the_pool(
    tmp_path, fixture_graph: FixtureGraph
):
    site = new_site(tmp_path)
    paused = site.pause_dir / "publish.before_replace.reached"
    config = yaml.safe_load((site.dagster_home / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1

    daemon = subprocess.Popen(
        [BIN / "dagster-daemon", "run", "-w", WORKSPACE],
        env={**_env(site), PAUSE_AT: "publish.before_replace"},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its code server and run workers share its process group
    )
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DAGSTER_HOME", str(site.dagster_home))
            with dg.DagsterInstance.get() as instance:
                loads = wait_for_runs(instance, DELIVERIES)  # the sensor: one run per delivery
                launches = [
                    subprocess.Popen(
                        # no run config: nightly_job runs in one process by itself
                        [BIN / "dagster", "job", "launch", "-w", WORKSPACE, "-j", NIGHTLY_JOB],
                        env=_env(site),
                        cwd=PROJECT_ROOT,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                    for _ in range(2)
                ]
                for launch in launches:
                    out, _ = launch.communicate(timeout=GUARD_SECONDS)
                    assert launch.returncode == 0, out
                wait_for_file(paused)  # one nightly run holds the pool slot, publishing
                held = instance.get_runs(filters=dg.RunsFilter(job_name=NIGHTLY_JOB))
                assert len(held) == 2 and not any(r.is_finished for r in held)
                (site.pause_dir / "publish.before_replace.resume").touch()
                runs = wait_for_runs(instance, DELIVERIES + 2)
                intervals = [i for run in runs for i in step_intervals(instance, run)]
                nightly = [r for r in runs if r.job_name == NIGHTLY_JOB]
                pool = instance.event_log_storage.get_concurrency_info("duckdb")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=GUARD_SECONDS)

    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * (DELIVERIES + 2), [
        (r.job_name, r.status) for r in runs
    ]
    assert len(loads) == DELIVERIES
    assert {r.tags.get("datalabs/trigger") for r in loads} == {"landing_sensor"}
    assert len(nightly) == 2
    assert pool.slot_count == 1 and not pool.claimed_slots
    pooled = warehouse_steps()
    in_pool = [i for i in intervals if i[3] in pooled]
    downstream = [name for name in pooled if not name.startswith("raw__")]
    # every warehouse step of every run ran ...
    assert len(in_pool) == DELIVERIES + 2 * len(downstream)
    assert overlapping(in_pool) == []  # ... and never two at once
    assert table_checksums(site.warehouse) == table_checksums(fixture_graph.site.warehouse)
