"""Pure parts of the daemon-launched measurement: run spans, tree CPU, the comparison."""

from __future__ import annotations

import os
from types import SimpleNamespace

from datalabs_pipelines.bench.daemon import (
    CLOCK_TICKS,
    DaemonLaunch,
    InProcessNightly,
    RunSpan,
    tree_cpu_seconds,
)
from datalabs_pipelines.bench.main import daemon_comparison
from datalabs_pipelines.bench.report import format_report
from datalabs_pipelines_tests.bench.test_measures import _report


def _stat(pid: int, ppid: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime ...
    return f"{pid} (a name) S {ppid} 1 1 0 -1 0 0 0 0 0 {utime} {stime} {cutime} {cstime} 20 0"


def test_tree_cpu_counts_a_process_its_descendants_and_what_they_waited_for(tmp_path):
    table = {1: (0, 1000, 0), 10: (1, 5, 100), 11: (10, 7, 0), 12: (99, 500, 0)}
    for pid, (ppid, ticks, waited) in table.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, ppid, ticks, 1, waited))
    (tmp_path / "self").mkdir()  # not a pid: skipped
    assert tree_cpu_seconds(10, tmp_path) == (5 + 1 + 100 + 7 + 1) / CLOCK_TICKS
    assert tree_cpu_seconds(42, tmp_path) == 0


def test_tree_cpu_of_this_process_is_positive():
    sum(range(200_000))
    assert tree_cpu_seconds(os.getpid()) > 0


def test_run_span_splits_waiting_from_running():
    span = RunSpan("r", "SUCCESS", created=100.0, started=112.5, ended=160.0)
    assert span.waiting_seconds == 12.5 and span.total_seconds == 60.0
    unfinished = RunSpan("r", "STARTED", created=100.0, started=None, ended=None)
    assert unfinished.waiting_seconds is None and unfinished.total_seconds is None


def _round(in_process: float, launched: float, status: str = "SUCCESS") -> SimpleNamespace:
    """The nightly job in process using one CPU second per second (its single step taking all
    but its first second), and launched with a run worker that used 30 s in its step."""
    run = RunSpan("r", status, created=0.0, started=10.0, ended=launched)
    steps = (("staging__w", 1.0, in_process),)
    series = [(t, {"all": float(t)}) for t in range(int(in_process) + 2)]
    return SimpleNamespace(
        nightly=InProcessNightly(RunSpan("n", "SUCCESS", 0.0, 0.5, in_process, steps), series, 0),
        launched=DaemonLaunch(
            run,
            cpu_seconds=60.0,
            peak_tree_rss_bytes=600 << 20,
            cpu_by_role={"run worker": 50.0, "code server": 10.0},
            step_cpu={"staging__w": 30.0},
        ),
    )


def test_daemon_comparison_pairs_rounds_and_compares_the_fastest():
    compared = daemon_comparison([_round(40.0, 50.0), _round(50.0, 55.0)])
    assert compared["ratio_each"] == [1.25, 1.1]
    assert compared["ratio_fastest"] == 50.0 / 40.0
    assert compared["daemon_waiting_seconds_each"] == [10.0, 10.0]
    # CPU over the same spans: 60 s launched against 40 s and 50 s in process
    assert compared["cpu_ratio_each"] == [1.5, 1.2] and compared["cpu_ratio_lowest"] == 1.5
    assert compared["make_run_nightly_step_cpu_seconds_each"] == [39.0, 49.0]
    no_launch = SimpleNamespace(nightly=_round(1, 2).nightly, launched=None)
    assert daemon_comparison([no_launch]) is None


def test_a_failed_launch_is_reported_without_a_ratio():
    """A failed run skipped steps: its time is no measure of the same work."""
    compared = daemon_comparison([_round(40.0, 20.0, "FAILURE"), _round(40.0, 48.0)])
    assert compared["ratio_each"] == [1.2] and compared["daemon_status_each"] == [
        "FAILURE",
        "SUCCESS",
    ]
    failed = daemon_comparison([_round(40.0, 20.0, "FAILURE")])
    assert "ratio_fastest" not in failed
    assert "FAILURE (no ratio)" in format_report({**_report(), "daemon": failed})


def test_report_shows_the_daemon_ratio():
    report = {**_report(), "daemon": daemon_comparison([_round(40.0, 50.0)])}
    text = format_report(report)
    assert "nightly_job via daemon / make run" in text and "1.25" in text
    assert "50.0 / 40.0" in text and "600 MiB" in text
    assert "the same in CPU" in text and "60.0 / 40.0 (in steps 30.0 / 39.0)" in text
    assert "run worker 50.0, code server 10.0" in text and "staging__w -9.0" in text
    assert "via daemon" not in format_report(_report())  # --no-daemon: no line
