"""The scale-out estimate: critical path, bound on many cores, CPU shared among steps."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from datalabs_pipelines.bench.cpu import proc_stats
from datalabs_pipelines.bench.parallel import (
    BackendPaths,
    cpu_by_step,
    critical_path,
    estimate,
    lake_cost,
    wait_or_stop,
)
from datalabs_pipelines.bench.workspace import BenchPaths

# A diamond with a tail: a → (b, c) → d, and e alone. Costs in CPU seconds.
COST = {"a": 2.0, "b": 5.0, "c": 1.0, "d": 3.0, "e": 4.0}
DEPS = {"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}


def test_the_critical_path_is_the_costliest_chain():
    assert critical_path(COST, DEPS) == ["a", "b", "d"]  # 10 s, against a-c-d 6 s and e 4 s


def test_edges_to_steps_outside_the_run_are_ignored():
    assert critical_path({"b": 5.0, "d": 3.0}, DEPS) == ["b", "d"]


def test_many_cores_are_bound_by_the_critical_path():
    many = estimate(COST, DEPS, cores=16)
    assert many.total_step_cpu == 15.0
    assert many.bound_seconds == 10.0  # 15/16 < 10
    assert many.speedup_bound == pytest.approx(1.5)


def test_one_core_is_bound_by_the_total():
    one = estimate(COST, DEPS, cores=1)
    assert one.bound_seconds == 15.0 and one.speedup_bound == 1.0


def test_cpu_of_an_interval_goes_to_the_steps_running_then():
    samples = [(0.0, 0.0), (1.0, 1.0), (2.0, 3.0), (3.0, 3.5)]
    spans = [("a", 0.0, 2.0), ("b", 1.0, 2.0)]  # b overlaps a in the second second
    steps, outside = cpu_by_step(samples, spans)
    assert steps == {"a": 2.0, "b": 1.0}
    assert outside == 0.5


def test_the_lakes_cost_is_each_steps_cpu_against_its_embedded_cpu():
    embedded = {"step_cpu_seconds": {"load": 2.0, "mart": 5.0}}
    lake = {
        "step_cpu_seconds": {"load": 3.5, "mart": 4.0, "new": 1.0},
        "postgres_step_cpu_seconds": {"load": 0.5},
    }
    cost = lake_cost(embedded, lake)
    assert cost["load"] == {"embedded": 2.0, "ducklake": 3.5, "difference": 1.5, "postgres": 0.5}
    assert cost["mart"]["difference"] == -1.0 and cost["mart"]["postgres"] == 0.0
    assert cost["new"]["embedded"] == 0.0  # a step only the lake's run had costs all its CPU


def test_each_backend_keeps_its_own_folder_and_reads_the_shared_sample(tmp_path):
    shared = BenchPaths(10, 77, base=tmp_path)
    lake = BackendPaths(10, 77, base=tmp_path, backend="ducklake")
    embedded = BackendPaths(10, 77, base=tmp_path, backend="embedded")
    assert lake.landing == embedded.landing == shared.landing
    assert lake.dagster_home != embedded.dagster_home
    assert lake.warehouse.parent == lake.root != shared.root


def test_a_stopped_wait_ends_the_childs_whole_session():
    """A stop (KeyboardInterrupt, as SIGINT or the bench's SIGTERM raise it) kills the child
    and what it started, so that the finished steps can be reported without it."""
    child = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30"], start_new_session=True)
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        assert wait_or_stop(child) is True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert child.returncode == -signal.SIGKILL
    # the grandchild sleep went with it: killed with the group, though the kernel may take a
    # moment to end it after the child's own wait returned
    deadline = time.monotonic() + 5
    while living_in_group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert living_in_group(child.pid) == []


def living_in_group(group: int) -> list[int]:
    """Processes of a process group that are not zombies (an orphan waits for init to reap)."""
    found = []
    for pid, fields in proc_stats():
        if int(fields[2]) == group and fields[0] != "Z":  # state, ppid, pgrp
            found.append(pid)
    return found


def test_a_child_that_ends_is_waited_for():
    child = subprocess.Popen(["true"], start_new_session=True)
    assert wait_or_stop(child) is False and child.returncode == 0
