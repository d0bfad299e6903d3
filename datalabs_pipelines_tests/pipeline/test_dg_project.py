"""The project is a `dg` project (issue 16.2): `dg check defs`, `dg list defs` and `dg launch`
work on it as on Dagster's own templates, against the fixture's contracts and landing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.ingestion.assets import partitions_for
from datalabs_pipelines.ingestion.loading import raw_table
from datalabs_pipelines.settings import PROJECT_ROOT
from datalabs_pipelines.warehouse import qualified
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS
from datalabs_pipelines_tests.reliability.pipeline_process import GUARD_SECONDS, Site, new_site

pytestmark = pytest.mark.slow

DG = Path(sys.executable).parent / "dg"


def dg_command(site: Site, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [DG, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **site.env()},
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_dg_checks_lists_and_launches_the_project(tmp_path, monkeypatch):
    site = new_site(tmp_path)
    dg_command(site, "check", "defs")

    listed = json.loads(dg_command(site, "list", "defs", "--json").stdout)
    jobs = {j["name"] for j in listed["jobs"]}
    assert {"nightly_job", "load_people", "load_visits"} <= jobs
    assert "nightly" in {s["name"] for s in listed["schedules"]}

    people = next(c for c in load_contracts(FIXTURE_CONTRACTS) if c.name == "people")
    monkeypatch.setenv("DAGSTER_HOME", str(site.dagster_home))  # the instance dg launch uses
    with dg.DagsterInstance.get() as instance:  # what the landing sensor does first
        instance.add_dynamic_partitions(partitions_for(people).name, ["people_2024.txt"])
    dg_command(site, "launch", "--job", "load_people", "--partition", "people_2024.txt")

    with duckdb.connect(str(site.warehouse), read_only=True) as con:
        deliveries = con.execute(
            f"SELECT DISTINCT _delivery FROM {qualified(raw_table(people))}"
        ).fetchall()
    assert deliveries == [("people_2024.txt",)]
