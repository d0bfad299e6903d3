"""Concurrent runs through the real Dagster daemon and run queue never collide in DuckDB.

The landing sensor launches one load run per delivery at once (the fixture's three, two of
them people's); then the nightly job is launched twice at once with `dagster job launch` (as
the schedule and an engineer would), the first one held at the publish pause point while it
owns the ``duckdb`` pool slot. Every run must succeed, no two warehouse steps may overlap in
time across runs (the pool, limited to 1 by ``dagster.yaml``, serializes them: the run queue
holds back a run whose pool is full, and each step claims its slot; two claiming it at the same
instant can both get it on SQLite, ``claimed_together``), and the tables must
equal one run's (the session's ``fixture_graph``, the same deliveries materialized in process).
The schedules are stopped first, so that these are the only runs whatever the hour (at 02:00
Chicago the nightly schedule launched a third nightly run in a `make test`).
"""

from __future__ import annotations

import contextlib
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
from datalabs_pipelines.bench.daemon import stop_schedules
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.pause_points import PAUSE_AT
from datalabs_pipelines.settings import PROJECT_ROOT
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING, FixtureGraph
from datalabs_pipelines_tests.reliability.pipeline_process import GUARD_SECONDS, Site, new_site

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CLAIM_RACE_SECONDS = 1.0
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


class Daemon:
    """`dagster-daemon run` on ``site`` (its code server and run workers in its process group),
    its output kept in a file so that a wait that fails can say what the daemon did."""

    def __init__(self, site: Site, log: Path, **env: str):
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [BIN / "dagster-daemon", "run", "-w", WORKSPACE],
                env={**_env(site), **env},
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def said(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def wait_until(self, done, what: str):
        """Poll ``done()`` until it returns something; fail at once if the daemon has ended."""
        deadline = time.monotonic() + GUARD_SECONDS
        while not (result := done()):
            assert self.process.poll() is None, f"the daemon ended while {what}:\n{self.said()}"
            assert time.monotonic() < deadline, f"timed out: {what}:\n{self.said()}"
            time.sleep(POLL_SECONDS)
        return result

    def stop(self) -> None:
        """End the daemon and whatever of its process group is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=GUARD_SECONDS)


def finished_runs(instance: dg.DagsterInstance, count: int) -> list[dg.DagsterRun] | None:
    """All runs once ``count`` exist and all of them have finished, else None."""
    runs = instance.get_runs()
    return runs if len(runs) >= count and all(r.is_finished for r in runs) else None


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


def fixture_definitions() -> dg.Definitions:
    return build_definitions(load_contracts(FIXTURE_CONTRACTS))


def warehouse_steps() -> set[str]:
    """Steps that open the warehouse (pool ``duckdb``); the HTML pages only read the snapshot."""
    return {a.op.name for a in fixture_definitions().assets if a.op.pool == "duckdb"}


def overlapping(intervals: list[tuple]) -> list[tuple]:
    ordered = sorted(intervals)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b[0] < a[1]]


def claimed_together(pair: tuple) -> bool:
    """Two steps that started within ``CLAIM_RACE_SECONDS``: both asked for the free slot at
    once. On the SQLite instance storage both can get it: Dagster's ``_claim_concurrency_slot``
    selects a free slot, then updates it by id, and SQLite has no ``FOR UPDATE`` (seen once in
    a `make test`: two steps 13 ms apart). The second then waits for DuckDB's lock
    (``warehouse.py``), so nothing collides; the production profile's PostgreSQL locks the row."""
    first, second = pair
    return abs(second[0] - first[0]) < CLAIM_RACE_SECONDS


def test_concurrent_runs_through_the_daemon_are_serialized_by_the_pool(
    tmp_path, fixture_graph: FixtureGraph
):
    site = new_site(tmp_path)
    paused = site.pause_dir / "publish.before_replace.reached"
    config = yaml.safe_load((site.dagster_home / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(site.dagster_home))
        # the instance's storage exists before the daemon opens it: no two processes create it
        with dg.DagsterInstance.get() as instance:
            instance.get_runs()
            # at 02:00 Chicago the nightly schedule would launch a third nightly run
            schedules = [s.name for s in fixture_definitions().schedules]
            stop_schedules(_env(site), schedules)
            stopped = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
            assert stopped == dict.fromkeys(schedules, "STOPPED")
            daemon = Daemon(site, tmp_path / "daemon.log", **{PAUSE_AT: "publish.before_replace"})
            try:
                loads = daemon.wait_until(  # the sensor: one run per delivery
                    lambda: finished_runs(instance, DELIVERIES), "waiting for the sensor's loads"
                )
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
                # one nightly run holds the pool slot, publishing
                daemon.wait_until(paused.exists, f"waiting for {paused.name}")
                held = instance.get_runs(filters=dg.RunsFilter(job_name=NIGHTLY_JOB))
                assert len(held) == 2 and not any(r.is_finished for r in held)
                (site.pause_dir / "publish.before_replace.resume").touch()
                runs = daemon.wait_until(
                    lambda: finished_runs(instance, DELIVERIES + 2), "waiting for every run"
                )
                intervals = [i for run in runs for i in step_intervals(instance, run)]
                nightly = [r for r in runs if r.job_name == NIGHTLY_JOB]
                pool = instance.event_log_storage.get_concurrency_info("duckdb")
            finally:
                daemon.stop()

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
    # ... and never two at once, but for two steps claiming the free slot at the same instant
    assert [pair for pair in overlapping(in_pool) if not claimed_together(pair)] == []
    assert table_checksums(site.warehouse) == table_checksums(fixture_graph.site.warehouse)
