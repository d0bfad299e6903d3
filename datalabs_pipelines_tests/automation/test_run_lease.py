"""Runs whose lease ran out are released; live or unleased runs are left alone."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from datalabs_pipelines.run_lease import (
    LEASE_ENV,
    LEASE_TAG,
    Lease,
    build_dead_run_sensor,
    release_dead_runs,
)


@dg.op
def noop() -> None:
    pass


@dg.job
def tiny() -> None:
    noop()


def test_the_sensor_fails_only_runs_whose_lease_ran_out():
    with dg.DagsterInstance.ephemeral() as instance:
        dead = instance.create_run_for_job(tiny, tags={LEASE_TAG: "100.0"})  # 1970
        live = instance.create_run_for_job(tiny, tags={LEASE_TAG: f"{time.time() + 600}"})
        unleased = instance.create_run_for_job(tiny)
        build_dead_run_sensor()(dg.build_sensor_context(instance=instance))
        status = {r.run_id: r.status for r in instance.get_runs()}
    assert status[dead.run_id] == dg.DagsterRunStatus.FAILURE
    assert status[live.run_id] == status[unleased.run_id] == dg.DagsterRunStatus.NOT_STARTED


def test_a_renewed_lease_is_alive_even_once_its_first_expiry_passed():
    with dg.DagsterInstance.ephemeral() as instance:
        run = instance.create_run_for_job(tiny)
        lease = Lease(instance, run.run_id).start()
        try:
            first = float(instance.get_run_by_id(run.run_id).tags[LEASE_TAG])

            def past_the_first_expiry() -> float:
                lease.renew()  # meanwhile, the run's thread renews its lease
                return first + 1

            released = release_dead_runs(instance, clock=past_the_first_expiry)
        finally:
            lease.stop()
        assert released == []
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.NOT_STARTED


def test_the_lease_lasts_as_long_as_the_setting_says(monkeypatch):
    monkeypatch.setenv(LEASE_ENV, "6")
    with dg.DagsterInstance.ephemeral() as instance:
        run = instance.create_run_for_job(tiny)
        before = time.time()
        Lease(instance, run.run_id).renew()
        after = time.time()
        expires = float(instance.get_run_by_id(run.run_id).tags[LEASE_TAG])
    assert before + 5.999 <= expires <= after + 6.001  # the tag keeps milliseconds


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_lease_that_is_not_positive_is_refused(monkeypatch, value):
    monkeypatch.setenv(LEASE_ENV, value)
    with dg.DagsterInstance.ephemeral() as instance:
        run = instance.create_run_for_job(tiny)
        with pytest.raises(ValueError, match=LEASE_ENV):
            Lease(instance, run.run_id)
