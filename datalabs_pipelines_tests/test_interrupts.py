"""A process started with SIGINT ignored (a script's background job, nohup) still stops on
SIGTERM after a run, and so do the processes Dagster starts (its log tails):
``interrupts.keep_interrupts``."""

from __future__ import annotations

import signal
import subprocess
import sys

# What a run does to a child it stops: Dagster maps SIGTERM to SIGINT's handler while it runs,
# starts a child (a log tail) and terminates it at the end. Prints the child's return code, or
# "ignored" when SIGTERM did not end it.
RUN = """
import signal, subprocess, sys
{prepare}
from dagster._utils.interrupts import setup_interrupt_handlers
setup_interrupt_handlers()
child = subprocess.Popen(["sleep", "30"])
child.terminate()
try:
    print(child.wait(timeout={wait}))
except subprocess.TimeoutExpired:
    child.kill()
    print("ignored")
"""


def _run_started_with_sigint_ignored(prepare: str, wait: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(prepare=prepare, wait=wait)],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_a_run_started_with_sigint_ignored_stops_its_children():
    # as Dagster leaves it: the child inherits SIGTERM ignored and outlives terminate()
    assert _run_started_with_sigint_ignored("", wait=1) == "ignored"
    kept = "from datalabs_pipelines.interrupts import keep_interrupts; keep_interrupts()"
    assert _run_started_with_sigint_ignored(kept, wait=20) == str(-signal.SIGTERM)


def test_after_a_run_the_code_location_still_stops_on_sigterm():
    # Dagster restores SIGINT's handler after a run and maps SIGTERM to it: ignored, unless the
    # code location, imported, gave SIGINT Python's handler back
    code = """
import signal, dagster as dg
{imports}
@dg.op
def one():
    return 1
@dg.job
def job():
    one()
job.execute_in_process()
print(signal.getsignal(signal.SIGTERM) is signal.default_int_handler)
"""
    for imports, stops in (("", "False"), ("import datalabs_pipelines.definitions", "True")):
        result = subprocess.run(
            [sys.executable, "-c", code.format(imports=imports)],
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert result.stdout.strip().splitlines()[-1] == stops
