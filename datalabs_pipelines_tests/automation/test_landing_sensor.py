"""The landing sensor turns each delivery file into a partition and a run request."""

from __future__ import annotations

import os

import dagster as dg

from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.settings import get_settings


def evaluate(instance: dg.DagsterInstance) -> dg.SensorResult:
    defs = build_definitions()
    sensor = defs.get_sensor_def("landing_sensor")
    return sensor(dg.build_sensor_context(instance=instance, definitions=defs))


def test_new_files_become_partitions_and_runs(isolated_env):
    with dg.DagsterInstance.ephemeral() as instance:
        result = evaluate(instance)
        added = {
            r.partitions_def_name: sorted(r.partition_keys)
            for r in result.dynamic_partitions_requests
        }
        assert added == {
            "people_deliveries": ["people_2024.txt", "people_2025.txt"],
            "visits_deliveries": ["visits_2024q2.jsonl"],
        }
        jobs = sorted((r.job_name, r.partition_key) for r in result.run_requests)
        assert jobs == [
            ("load_people", "people_2024.txt"),
            ("load_people", "people_2025.txt"),
            ("load_visits", "visits_2024q2.jsonl"),
        ]
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        again = evaluate(instance)
        assert again.dynamic_partitions_requests == []
        keys = {r.run_key for r in result.run_requests}
        assert {r.run_key for r in again.run_requests} == keys  # the daemon skips seen run keys


def test_replaced_file_gets_a_new_run_key(isolated_env):
    path = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        before = {r.partition_key: r.run_key for r in evaluate(instance).run_requests}
        path.write_text(
            path.read_text() + '{"visit_id": "v9", "person": "X", '
            '"visited_on": "2024-06-01", "site": "A"}\n'
        )
        os.utime(path, ns=(1, 1))
        after = {r.partition_key: r.run_key for r in evaluate(instance).run_requests}
    assert after["visits_2024q2.jsonl"] != before["visits_2024q2.jsonl"]
    assert after["people_2024.txt"] == before["people_2024.txt"]
