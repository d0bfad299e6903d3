"""The CPU sampler: which processes a tree holds, what each is, and the CPU of any span."""

from __future__ import annotations

import os
import subprocess
import sys

from datalabs_pipelines.bench.cpu import (
    TICKS,
    TreeCpu,
    dagster_role,
    descendants,
    read_cpu,
    step_cpu,
    used_between,
)


def _stat(pid: int, ppid: int, utime: int, stime: int, start: int) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    # stime cutime cstime priority nice threads itrealvalue starttime
    return f"{pid} (a (name)) S {ppid} 1 1 0 -1 0 0 0 0 0 {utime} {stime} 0 0 20 0 1 0 {start}"


def test_read_cpu_and_descendants_on_a_proc_table(tmp_path):
    for pid, ppid in {1: 0, 10: 1, 11: 10, 12: 99}.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, ppid, 3 * pid, pid, 500 + pid))
    (tmp_path / "self").mkdir()  # not a pid: skipped
    table = read_cpu(tmp_path)
    assert table[11] == (10, 44 / TICKS, 511)  # own user + system only, a name with parens
    assert descendants(table, 10) == {10, 11}
    assert descendants(table, 1) == {1, 10, 11}
    assert descendants(table, 42) == set()


def test_roles_of_the_processes_dagster_dev_starts():
    python = "/repo/.venv/bin/python"
    assert dagster_role([python, "-m", "dagster", "api", "execute_run", "{}"]) == "run worker"
    spawned = [python, "-c", "from multiprocessing.spawn import spawn_main; spawn_main(...)"]
    assert dagster_role([*spawned, "--multiprocessing-fork"]) == "run worker"
    server = [python, "-m", "dagster", "api", "grpc", "--lazy-load-user-code", "--socket", "/t"]
    assert dagster_role(server) == "code server"
    assert dagster_role([python, "-m", "dagster", "code-server", "start", "-s", "/t"]) == (
        "code server"
    )
    # option values may name other roles: only the words before the options count
    daemon = [python, "-m", "dagster._daemon", "run", "--code-server-log-level", "warning"]
    assert dagster_role(daemon) == "daemon"
    webserver = [python, "-m", "dagster_webserver", "--port", "3000", "--code-server-log-level"]
    assert dagster_role(webserver) == "webserver"
    assert dagster_role([python, "/repo/.venv/bin/dagster", "dev", "-w", "w.yaml"]) == "other"
    assert dagster_role([]) == "other"  # ended before its command line was read


def test_cpu_of_a_span_is_the_difference_of_the_samples_around_it():
    series = [
        (0.0, {"run worker": 0.0}),
        (1.0, {"run worker": 0.5, "daemon": 0.1}),
        (2.0, {"run worker": 1.5, "daemon": 0.2}),
        (3.0, {"run worker": 3.5, "daemon": 0.2}),
    ]
    assert used_between(series, 1.0, 3.0) == {"run worker": 3.0, "daemon": 0.1}
    assert used_between(series, 1.5, 2.5) == {"run worker": 1.0, "daemon": 0.1}  # to a sample
    assert used_between(series, -5.0, 0.5) == {"run worker": 0.0}
    spans = [("a", 0.0, 1.0), ("b", 1.0, 3.0), ("a", 3.0, 3.0)]
    assert step_cpu(series, spans, "run worker") == {"a": 0.5, "b": 3.0}


def test_a_child_born_while_sampling_counts_whole():
    burn = "s = 0\nfor i in range(3_000_000):\n    s += i"
    with TreeCpu(os.getpid(), interval=0.05) as sampler:
        subprocess.run([sys.executable, "-c", burn], check=True)
    # The child's start-up and loop (a few tenths of a second), seen while it ran; this
    # process, alive before the first sample, counts only from it (it mostly waited).
    assert sampler.series[-1][1]["all"] > 0.05
    assert used_between(sampler.series, 0.0, sampler.series[0][0]) == {"all": 0.0}
