"""Re-running one delivery (as the landing sensor does when a file is touched) changes nothing.

The whole graph run twice is pinned in ``pipeline/test_end_to_end.py``; here a single delivery
is loaded again through its real `load_<extract>` job, then everything downstream is rebuilt,
and every table's sorted contents must equal those of the one uninterrupted run.
"""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import register_deliveries
from datalabs_pipelines.automation.schedules import downstream_of_raw
from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines_tests.reliability.conftest import Baseline
from datalabs_pipelines_tests.reliability.pipeline_process import Site

pytestmark = pytest.mark.slow


def test_rerunning_one_delivery_leaves_every_table_identical(
    tmp_path, monkeypatch, uninterrupted: Baseline
):
    site = Site(tmp_path / "site")
    shutil.copytree(uninterrupted.site.root, site.root)
    for name, value in site.env().items():
        monkeypatch.setenv(name, value)
    contracts = list(all_contracts())
    people = next(c for c in contracts if c.name == "people")
    defs = build_definitions(contracts)
    with dg.DagsterInstance.ephemeral() as instance:
        register_deliveries(instance, contracts)
        load = defs.resolve_job_def(load_job_name(people)).execute_in_process(
            partition_key="people_2024.txt", instance=instance
        )
        assert load.success
        rebuilt = dg.materialize(
            list(defs.assets or []),
            selection=downstream_of_raw(contracts),
            instance=instance,
            resources=dict(defs.resources or {}),
        )
        assert rebuilt.success
    assert loaded_at(site, "people_2024.txt") > loaded_at(uninterrupted.site, "people_2024.txt")
    assert table_checksums(site.warehouse) == uninterrupted.checksums


def loaded_at(site: Site, delivery: str):
    """When ``delivery`` was last loaded: proves the rerun really rewrote it."""
    with duckdb.connect(str(site.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT max(_loaded_at) FROM raw.people WHERE _delivery = ?", [delivery]
        ).fetchone()[0]
