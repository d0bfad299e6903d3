"""The nightly job launched as the UI and the schedule launch it, timed where users wait.

A schedule tick (or the UI's launch button) creates a run of ``nightly_job`` and submits it to
the instance's run coordinator (the queued one by default); ``dagster-daemon`` dequeues it and
the run launcher has the code server start it in a process of its own (the run worker). Here
the benchmark starts what `make ui` starts (`dagster dev`: webserver, daemon and one long-lived
code server, as a deployment runs them), and submits the run through the webserver's GraphQL
API, as the UI's launch button does. The run record gives the time from the run's creation to
its end: queue, launch, process start, import of the code location, and the steps. The same
span of the nightly run inside `datalabs run` (creation to end, in process) is what it is
compared with, in wall time and in CPU (``bench/cpu.py``): on a shared machine the CPU is the
figure to trust.

(`dagster-daemon run -w workspace.yaml` alone is not what users run: with a ``python_module``
workspace it starts its own code server and replaces it every 60 s, a fresh import of the code
location each time.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from datalabs_pipelines.automation.schedules import MONTHLY_FULL_RELINK, NIGHTLY, NIGHTLY_JOB
from datalabs_pipelines.bench.cpu import (
    Series,
    TreeCpu,
    dagster_role,
    proc_stats,
    step_cpu,
    used_between,
)
from datalabs_pipelines.bench.events import run_step_spans
from datalabs_pipelines.bench.rss import PeakTreeRss
from datalabs_pipelines.bench.workspace import BenchPaths
from datalabs_pipelines.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
WORKSPACE = PROJECT_ROOT / "workspace.yaml"
QUEUE_DAEMON = "QUEUED_RUN_COORDINATOR"
TAGS = {"datalabs/trigger": "bench"}
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class RunSpan:
    """One run's record: created, started and ended (epoch seconds), and how it ended."""

    run_id: str
    status: str
    created: float
    started: float | None
    ended: float | None
    steps: tuple[tuple[str, float, float], ...] = ()  # (step key, started, ended)

    @property
    def total_seconds(self) -> float | None:
        """Creation to end: what a user who launched it waits."""
        return None if self.ended is None else self.ended - self.created

    @property
    def waiting_seconds(self) -> float | None:
        """Creation to start: queue, launch, process start and imports."""
        return None if self.started is None else self.started - self.created


@dataclass(frozen=True)
class DaemonLaunch:
    run: RunSpan
    cpu_seconds: float  # everything below `make ui`, creation to end
    peak_tree_rss_bytes: int
    # that CPU by process: run worker, code server, daemon, webserver
    cpu_by_role: dict[str, float] | None = None
    step_cpu: dict[str, float] | None = None  # the run worker's, per step


@dataclass(frozen=True)
class InProcessNightly:
    """``nightly_job`` as `make run` runs it (``bench/nightly_child.py``): its run record and
    its process's CPU samples."""

    run: RunSpan
    cpu_series: Series
    returncode: int


def run_span(instance: dg.DagsterInstance, run_id: str) -> RunSpan:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise LookupError(f"no run {run_id}")
    return RunSpan(
        run_id,
        record.dagster_run.status.value,
        record.create_timestamp.timestamp(),
        record.start_time,
        record.end_time,
        tuple(run_step_spans(instance, run_id)),
    )


def latest_run_span(instance: dg.DagsterInstance, job_name: str) -> RunSpan | None:
    """The newest run of ``job_name`` in ``instance`` (None if it has none)."""
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=job_name), limit=1)
    return run_span(instance, runs[0].run_id) if runs else None


def tree_cpu_seconds(root: int, proc: Path = Path("/proc")) -> float:
    """User and system CPU of ``root`` and its descendants, those they have waited for included
    (a finished run process counts in its parent's ``cutime``/``cstime``)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for pid, fields in proc_stats(proc):
        parents[pid] = int(fields[1])
        ticks[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in ticks:
            continue
        seen.add(pid)
        total += ticks[pid]
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_schedules(
    env: dict[str, str],
    schedules: Sequence[str] = (NIGHTLY, MONTHLY_FULL_RELINK),
    timeout: float = 120,
) -> None:
    """Stop ``schedules`` on ``env``'s instance (`dagster schedule stop`, as the UI's toggle
    does), so that a daemon started for a benchmark or a test launches only the runs it is
    given: at 02:00 Chicago the nightly schedule would otherwise launch one of its own."""
    for schedule in schedules:
        stop = subprocess.run(
            [str(BIN / "dagster"), "schedule", "stop", schedule, "-w", str(WORKSPACE)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if stop.returncode != 0:
            raise RuntimeError(f"dagster schedule stop {schedule}:\n{stop.stdout}{stop.stderr}")


@contextmanager
def running_daemon(
    env: dict[str, str], log: Path, port: int | None = None, timeout: float = 300
) -> Iterator[int]:
    """What `make ui` runs (`dagster dev` on the project's workspace: webserver on ``port``,
    daemon and a long-lived code server) until the block ends; yields its pid once the daemon's
    run queue reports a heartbeat and the webserver answers. It runs in its own process group,
    ended by its id. The schedules are stopped first: only the benchmark launches runs."""
    port = port or free_port()
    stop_schedules(env)
    started = time.time()
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", str(WORKSPACE), "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with dg.DagsterInstance.get() as instance:
            wait_for(
                lambda: _queue_beats_since(instance, started), timeout, "the daemon's run queue"
            )
        wait_for(lambda: _answers(port), timeout, "the webserver")
        yield daemon.pid
    finally:
        if daemon.poll() is None:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
            return True
    except OSError:
        return False


def submit_through_webserver(port: int, job: str, request: dg.RunRequest | None = None) -> str:
    """Launch ``job`` as the UI's launch button does: the webserver's GraphQL API creates the
    run from the code location it has loaded and submits it to the run queue. Returns the run's
    id. (`dagster job launch` loads the workspace in a process of its own and took about 5 s
    between creating the run and queueing it.)"""
    from dagster_graphql import DagsterGraphQLClient

    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    if request is None:
        return client.submit_job_execution(job, tags=TAGS)
    return client.submit_job_execution(
        job, tags={**request.tags, **TAGS}, asset_selection=request.asset_selection
    )


def _queue_beats_since(instance: dg.DagsterInstance, since: float) -> bool:
    beat = instance.get_daemon_heartbeats().get(QUEUE_DAEMON)
    return beat is not None and beat.timestamp >= since


def wait_for(predicate, timeout: float, what: str, every: float = 0.5):
    """``predicate()``'s first truthy value, polled every ``every`` seconds until ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def nightly_in_process(paths: BenchPaths) -> InProcessNightly | None:
    """``nightly_job`` run in process as `make run` runs it, unrecorded, in a child process on
    the benchmark's warehouse; None if it left no run."""
    env = {**os.environ, **paths.environment()}
    for recorder in ("DATALABS_SQL_LOG", "DATALABS_CONNECTION_HOOK"):
        env.pop(recorder, None)
    command = [sys.executable, "-m", "datalabs_pipelines.bench.nightly_child"]
    with (paths.root / "nightly.log").open("w") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        with TreeCpu(child.pid) as cpu:
            returncode = child.wait()
    with dg.DagsterInstance.get() as instance:
        span = latest_run_span(instance, NIGHTLY_JOB)
    return None if span is None else InProcessNightly(span, cpu.series, returncode)


def launch_nightly(
    paths: BenchPaths, timeout: float = 3600, request: dg.RunRequest | None = None
) -> DaemonLaunch:
    """Start `make ui`'s processes on the benchmark's instance, launch ``nightly_job`` through
    the queue as the UI and a schedule tick do (the whole job, or the schedule's ``request``),
    and wait for the run to end. Nothing is recorded (no SQL log)."""
    env = {**os.environ, **paths.environment()}
    for recorder in ("DATALABS_SQL_LOG", "DATALABS_CONNECTION_HOOK"):
        env.pop(recorder, None)
    port = free_port()
    with (
        running_daemon(env, paths.root / "daemon.log", port) as root,
        TreeCpu(root, role=dagster_role) as served,
        PeakTreeRss(root) as memory,
    ):
        run_id = submit_through_webserver(port, NIGHTLY_JOB, request)
        with dg.DagsterInstance.get() as instance:
            wait_for(
                lambda: instance.get_run_by_id(run_id).status in FINISHED,
                timeout,
                f"run {run_id} to end",
            )
            span = run_span(instance, run_id)
    end = span.ended if span.ended is not None else time.time()
    by_role = used_between(served.series, span.created, end)
    steps = step_cpu(served.series, list(span.steps), "run worker")
    return DaemonLaunch(span, sum(by_role.values()), memory.peak_bytes, by_role, steps)
