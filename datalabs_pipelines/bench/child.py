"""Run `datalabs run` as a child process against a benchmark's folders; time it, watch memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

from datalabs_pipelines.bench.rss import PeakTreeRss
from datalabs_pipelines.bench.sqllog import ENV as SQL_LOG_ENV
from datalabs_pipelines.bench.sqllog import HOOK
from datalabs_pipelines.bench.workspace import BenchPaths
from datalabs_pipelines.warehouse import HOOK_ENV


@dataclass(frozen=True)
class RunMeasurement:
    wall_seconds: float
    peak_tree_rss_bytes: int
    max_single_process_rss_bytes: int  # getrusage(RUSAGE_CHILDREN): the largest one process
    rss_samples: int
    returncode: int
    cpu_seconds: float  # user + system of every waited-for descendant


RUN = ("-m", "datalabs_pipelines.cli", "run")


def run_pipeline(
    paths: BenchPaths, record_sql: bool = True, argv: tuple[str, ...] = RUN
) -> RunMeasurement:
    """`datalabs run` (or the module ``argv`` names) with the benchmark's environment; output
    goes to ``paths.run_log``."""
    env = {**os.environ, **paths.environment()}
    if record_sql:
        env[SQL_LOG_ENV] = str(paths.sql_log)
        env[HOOK_ENV] = HOOK
    else:
        env.pop(SQL_LOG_ENV, None)
        env.pop(HOOK_ENV, None)
    command = [sys.executable, *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with paths.run_log.open("w") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        with PeakTreeRss(child.pid) as sampler:
            returncode = child.wait()
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    max_child = after.ru_maxrss * 1024  # KiB on Linux
    return RunMeasurement(wall, sampler.peak_bytes, max_child, sampler.samples, returncode, cpu)
