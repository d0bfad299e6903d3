"""A run whose process died frees its pool slot for the next run, whatever the host (15.5)."""

from __future__ import annotations

import socket
import threading

import dagster as dg
import pytest

from datalabs_pipelines.run_lease import LEASE_SECONDS, LEASE_TAG
from datalabs_pipelines_tests.reliability.pipeline_process import (
    GUARD_SECONDS,
    kill,
    new_site,
    run_in_process,
    start_run,
    wait_until_paused,
)

pytestmark = pytest.mark.slow


def test_a_killed_run_is_released_by_a_run_on_another_host(tmp_path, monkeypatch):
    site = new_site(tmp_path)
    run = start_run(site, pause_at="ingest.before_commit")  # inside a step holding the slot
    wait_until_paused(site, run, "ingest.before_commit")
    kill(run)

    # The container comes back under another name (and another pid namespace).
    monkeypatch.setattr(socket, "gethostname", lambda: "restarted-container")
    monkeypatch.setenv("DAGSTER_HOME", str(site.dagster_home))
    with dg.DagsterInstance.get() as instance:
        [dead] = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert LEASE_TAG in dead.tags
        errors: list[BaseException] = []

        def again() -> None:
            try:
                run_in_process(site, instance)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        rerun = threading.Thread(target=again, daemon=True)
        rerun.start()
        rerun.join(timeout=LEASE_SECONDS + GUARD_SECONDS)
        assert not rerun.is_alive(), "the next run waited for the dead run's pool slot"
        assert errors == []
        after = instance.get_run_by_id(dead.run_id)
        assert after.status == dg.DagsterRunStatus.FAILURE
