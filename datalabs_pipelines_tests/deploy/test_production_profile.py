"""The production profile against a real PostgreSQL: Dagster's instance on Postgres
(dagster-production.yaml) and the warehouse on DuckLake, compared with the embedded run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import great_expectations  # noqa: F401  imported whole before the in-process run (as in
import pytest  # test_canaries): the run's prewarm import races the first staging step's

from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.deploy.lake import DATA_PATH_VARIABLE
from datalabs_pipelines.pause_points import PAUSE_AT
from datalabs_pipelines.settings import PROJECT_ROOT
from datalabs_pipelines_tests.conftest import FixtureGraph
from datalabs_pipelines_tests.deploy.postgres_server import Server
from datalabs_pipelines_tests.deploy.s3_server import BUCKET
from datalabs_pipelines_tests.reliability.pipeline_process import (
    GUARD_SECONDS,
    KILLED_RUN_LEASE,
    Site,
    kill,
    new_site,
    wait_until_paused,
)

pytestmark = pytest.mark.slow

PRODUCTION_YAML = PROJECT_ROOT / "datalabs_pipelines" / "deploy" / "dagster-production.yaml"


def lake_env(site: Site, server: Server, name: str) -> dict[str, str]:
    """``site``'s settings, with the instance and the warehouse on ``server``."""
    server.create_database(f"{name}_dagster")
    server.create_database(f"{name}_lake")
    shutil.copy(PRODUCTION_YAML, site.dagster_home / "dagster.yaml")
    return {
        **os.environ,
        **site.env(),
        **server.dagster_env(f"{name}_dagster"),
        "DATALABS_WAREHOUSE_BACKEND": "ducklake",
        "DATALABS_DUCKLAKE_CATALOG": server.dsn(f"{name}_lake"),
        "DATALABS_DUCKLAKE_DATA_PATH": str(site.root / "lake"),
    }


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "datalabs_pipelines.cli", "run"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=GUARD_SECONDS)
    assert process.returncode == 0, out
    return out


@pytest.fixture(scope="module")
def embedded(fixture_graph: FixtureGraph) -> dict[str, str]:
    """The published tables' checksums of an embedded run (the session's, on a DuckDB file)."""
    return table_checksums(fixture_graph.site.published)


@contextmanager
def production_instance(env: dict[str, str]) -> Iterator[dg.DagsterInstance]:
    """The Postgres instance ``env`` describes (its variables set while it is open)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert "Postgres" in type(instance.run_storage).__name__
            yield instance


def run_events(env: dict[str, str]) -> list[str]:
    """Every event of every run in the Postgres instance ``env`` describes, as text."""
    with production_instance(env) as instance:
        return [str(e) for run in instance.get_runs() for e in instance.all_logs(run.run_id)]


def run_statuses(env: dict[str, str]) -> list[dg.DagsterRunStatus]:
    """The statuses of the runs recorded in the Postgres instance ``env`` describes."""
    with production_instance(env) as instance:
        return [run.status for run in instance.get_runs()]


def test_workers_killed_mid_step_leave_lake_and_instance_consistent(
    tmp_path, postgres, s3, embedded
):
    """SIGKILL inside the first load's transaction (nothing is committed yet: the next run is
    the whole graph from scratch); that next run killed in turn before the snapshot's swap. Each
    following run recovers with no manual step, on PostgreSQL and DuckLake alone, and the last
    publishes the same marts as the embedded run. (One site for both kills: the run that
    recovers from the first is the one killed second.) The lake's data is on S3 (moto's
    server): the whole graph runs there, and its key is in no output and no Dagster event."""
    site = new_site(tmp_path / "site")
    env = {
        **lake_env(site, postgres, "killed"),
        **s3.env(),
        DATA_PATH_VARIABLE: f"s3://{BUCKET}/killed",
    }
    for point in ("ingest.before_commit", "publish.before_replace"):
        victim = start({**env, PAUSE_AT: point, **KILLED_RUN_LEASE}, site.root)
        wait_until_paused(site, victim, point)
        kill(victim)
    # The second run reached publishing: it released the first (failed), then died itself.
    between = run_statuses(env)
    assert between.count(dg.DagsterRunStatus.FAILURE) == 1
    assert between.count(dg.DagsterRunStatus.STARTED) == 1
    out = finished(start(env, site.root))
    assert "warehouse: ducklake:postgres:" in out
    assert not site.warehouse.exists()  # nothing went to an embedded file
    assert out.count("released run") == 1  # the second dead run was marked failed, slot freed
    assert table_checksums(site.published) == embedded
    assert any(key.endswith(".parquet") for key in s3.keys("killed/"))
    assert s3.secret_key not in out
    statuses = run_statuses(env)  # the killed runs failed, every other one succeeded
    assert statuses.count(dg.DagsterRunStatus.FAILURE) == 2
    assert set(statuses) == {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}
    assert not any(s3.secret_key in event for event in run_events(env))
