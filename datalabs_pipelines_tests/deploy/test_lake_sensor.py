"""On DuckLake the landing sensor reads the lake's load ledger, not the embedded file, and
reads it while a run is in progress (a lake has no file lock)."""

from __future__ import annotations

import dagster as dg

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.deploy import lake
from datalabs_pipelines.ingestion.landing import deliveries
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import warehouse_resource
from datalabs_pipelines_tests.automation.test_landing_sensor import evaluate


def test_the_sensor_reads_the_lakes_ledger_during_a_run(postgres, isolated_env, monkeypatch):
    postgres.create_database("sensor_lake")
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn("sensor_lake"))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(isolated_env / "lake"))
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="nightly_job", run_id="r1", status=dg.DagsterRunStatus.STARTED)
        )
        before = evaluate(instance)
        assert before.skip_reason is None  # no file lock to wait for
        assert {r.partition_key for r in before.run_requests} == {
            "people_2024.txt",
            "people_2025.txt",
            "visits_2024q2.jsonl",
        }
        with warehouse_resource().get_connection() as con:
            for delivery in deliveries(tuple(all_contracts()), get_settings().landing_dir):
                load_delivery(con, delivery.contract, delivery.path, delivery.name)
        after = evaluate(instance)
    assert after.skip_reason is None and after.run_requests == []
    assert not get_settings().warehouse_path.exists()  # the embedded file was never opened
