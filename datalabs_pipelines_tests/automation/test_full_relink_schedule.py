"""The monthly full re-clustering launches the nightly job with a run config that job accepts."""

import dagster as dg

from datalabs_pipelines.automation.schedules import MONTHLY_FULL_RELINK, NIGHTLY, NIGHTLY_JOB
from datalabs_pipelines.definitions import build_definitions


def test_monthly_schedule_launches_the_nightly_job_with_full_relink():
    defs = build_definitions()
    schedules = {s.name: s for s in defs.schedules}
    assert {NIGHTLY, MONTHLY_FULL_RELINK} <= set(schedules)
    monthly = schedules[MONTHLY_FULL_RELINK]
    assert monthly.job_name == schedules[NIGHTLY].job_name == NIGHTLY_JOB
    (request,) = monthly.evaluate_tick(dg.build_schedule_context()).run_requests
    ops = request.run_config["ops"]
    assert ops and all(c == {"config": {"full_relink": True}} for c in ops.values())
    dg.validate_run_config(defs.resolve_job_def(NIGHTLY_JOB), request.run_config)
