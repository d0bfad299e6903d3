"""Leases on runs: how a run whose process died is told from a slow one, on any host.

While a run has the warehouse resource open, a thread renews the run's lease, a tag holding
the wall-clock second until which the run is known to be alive (``LEASE_TAG``). A run killed
mid-step (SIGKILL, power loss, a restarted container) stops renewing it and never gives back
its ``duckdb`` pool slot; with the pool limited to 1 every later run would wait for that slot
forever. ``release_dead_runs``, called before `make run` launches anything and by the daemon's
``dead_run_sensor``, marks such runs failed and frees their slots. Nothing depends on the host
name or the pid, which change when a container restarts.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import dagster as dg

LEASE_TAG = "datalabs/lease_expires"
LEASE_ENV = "DATALABS_RUN_LEASE_SECONDS"
LEASE_SECONDS = 30.0  # the default
RENEWALS_PER_LEASE = 6
POLL_SECONDS = 0.5
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def lease_seconds() -> float:
    """How long a run counts as alive after a renewal (``DATALABS_RUN_LEASE_SECONDS``, default
    30): a run that dies holds its pool slot about this long. Tests that kill runs shorten it."""
    value = os.environ.get(LEASE_ENV)
    if not value:
        return LEASE_SECONDS
    seconds = float(value)
    if not seconds > 0:
        raise ValueError(f"{LEASE_ENV} must be a positive number of seconds, not {value!r}")
    return seconds


class Lease:
    """Renews ``run_id``'s lease ``RENEWALS_PER_LEASE`` times a lease until ``stop``."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str) -> None:
        self.instance = instance
        self.run_id = run_id
        self.seconds = lease_seconds()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._renew_until_stopped, daemon=True)

    def start(self) -> Lease:
        self.renew()
        self.thread.start()
        return self

    def renew(self) -> None:
        expires = time.time() + self.seconds
        self.instance.add_run_tags(self.run_id, {LEASE_TAG: f"{expires:.3f}"})

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()

    def _renew_until_stopped(self) -> None:
        while not self.stopped.wait(self.seconds / RENEWALS_PER_LEASE):
            try:
                self.renew()
            except Exception:  # storage busy: the next renewal comes before the lease ends
                continue


def _leased_runs(instance: dg.DagsterInstance) -> dict[str, tuple[dg.DagsterRun, float]]:
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED))
    return {run.run_id: (run, float(run.tags[LEASE_TAG])) for run in runs if LEASE_TAG in run.tags}


def release_dead_runs(
    instance: dg.DagsterInstance,
    wait: bool = True,
    clock: Callable[[], float] = time.time,
) -> list[str]:
    """Mark failed the unfinished runs whose lease ran out, free their pool slots; their ids.

    With ``wait``, a lease still running is watched until it is renewed (the run is alive),
    the run ends, or the lease runs out (at most the dead run's lease): a run started right
    after a crash frees the crashed run's slot instead of queueing behind it.
    """
    released = []
    watched = _leased_runs(instance)
    while watched:
        now = clock()
        current = _leased_runs(instance)
        for run_id, (run, expires) in list(watched.items()):
            latest = current.get(run_id)
            if latest is None or latest[1] > expires:  # ended, or renewed: alive
                del watched[run_id]
            elif expires < now:
                instance.report_run_failed(
                    run, message="its process stopped renewing the run's lease: it died"
                )
                if instance.event_log_storage.supports_global_concurrency_limits:
                    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
                released.append(run_id)
                del watched[run_id]
        if not wait:
            break
        if watched:
            time.sleep(POLL_SECONDS)
    return released


def build_dead_run_sensor() -> dg.SensorDefinition:
    """Each daemon tick: release the runs whose lease ran out."""

    @dg.sensor(
        name="dead_run_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Marks failed the runs whose process died (their lease ran out) and frees "
        "their `duckdb` pool slot, so that later runs do not wait for it forever.",
    )
    def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        released = release_dead_runs(context.instance, wait=False)
        return dg.SkipReason(f"released {len(released)} dead run(s)")

    return dead_run_sensor
