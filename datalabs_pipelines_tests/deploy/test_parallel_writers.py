"""Parallel writers on DuckLake: a pool per extract or step instead of one global pool, and a
commit that conflicts with a concurrent one is retried by its step."""

import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.deploy import lake
from datalabs_pipelines.pause_points import PAUSE_AT
from datalabs_pipelines.quality.expectations import evaluate
from datalabs_pipelines.warehouse import EMBEDDED_POOL, WarehouseResource
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS
from datalabs_pipelines_tests.deploy.postgres_server import Server
from datalabs_pipelines_tests.deploy.test_production_profile import (
    finished,
    lake_env,
    production_instance,
)
from datalabs_pipelines_tests.quality.test_expectations import contract
from datalabs_pipelines_tests.reliability.pipeline_process import new_site, wait_until_paused

EXTRACTS = ("people", "visits")


def pools_by_step(monkeypatch, backend: str) -> dict[str, str | None]:
    monkeypatch.setenv(lake.BACKEND_VARIABLE, backend)
    monkeypatch.setenv(lake.CATALOG_VARIABLE, "dbname=lake host=db user=datalabs")
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, "s3://bucket/lake")  # nothing is opened
    defs = build_definitions(load_contracts(FIXTURE_CONTRACTS))
    return {a.op.name: a.op.pool for a in defs.assets if "warehouse" in a.required_resource_keys}


def test_embedded_steps_share_the_one_duckdb_pool(monkeypatch):
    assert set(pools_by_step(monkeypatch, "duckdb").values()) == {EMBEDDED_POOL}


def test_on_ducklake_each_extract_and_step_has_its_own_pool(monkeypatch):
    pools = pools_by_step(monkeypatch, "ducklake")
    for extract in EXTRACTS:  # an extract's load and staging: one pool, the extract's
        assert pools[f"raw__{extract}"] == pools[f"staging__{extract}"] == f"ducklake/{extract}"
    assert pools["raw__people"] != pools["raw__visits"]
    other_steps = [pool for step, pool in pools.items() if not step.startswith(("raw", "stag"))]
    assert len(set(other_steps)) == len(other_steps)  # every other step: a pool of its own
    assert EMBEDDED_POOL not in pools.values()


def lake_connection(server: Server, database: str) -> duckdb.DuckDBPyConnection:
    lake.install_extensions()
    return duckdb.connect(
        lake.LAKE_PREFIX + server.dsn(database), config={"autoinstall_known_extensions": False}
    )


def conflicting_commit(server: Server, database: str) -> duckdb.Error:
    """A real DuckLake conflict: two transactions delete from one data file; the second
    to commit fails."""
    first, second = lake_connection(server, database), lake_connection(server, database)
    for con in (first, second):
        con.execute("BEGIN")
        con.execute("DELETE FROM main.t WHERE i < 2")
    first.execute("COMMIT")
    with pytest.raises(duckdb.Error) as refused:
        second.execute("COMMIT")
    return refused.value


@pytest.fixture
def small_lake(postgres, tmp_path, request, monkeypatch) -> str:
    """A lake with one table ``t`` of ten rows, which the warehouse resource opens; its
    database name."""
    name = f"conflict_{request.node.name.lower()}"
    postgres.create_database(name)
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn(name))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(tmp_path / "data"))
    lake.prepare_lake(lake.lake_settings(), ())
    with lake_connection(postgres, name) as con:
        con.execute("CREATE TABLE main.t AS SELECT range AS i FROM range(10)")
    return name


def test_ducklakes_conflict_error_is_recognised(postgres, small_lake):
    error = conflicting_commit(postgres, small_lake)
    assert lake.is_write_conflict(error)
    assert not lake.is_write_conflict(duckdb.TransactionException("cannot commit - no transaction"))
    assert not lake.is_write_conflict(ValueError(lake.COMMIT_FAILED + " Transaction conflict"))


def test_a_validating_step_whose_commit_conflicts_is_retried_and_lands(
    postgres, small_lake, monkeypatch
):
    """As a staging step does: validate with Great Expectations (which joins the lake by its
    name), then write in a transaction. On the first attempt another writer commits a delete
    from the same data after this step's transaction began, so its commit conflicts; Dagster
    runs the step again, which opens the lake again (DuckLake 1.5.5 hung there when the lake
    was opened by name), validates again and commits."""
    monkeypatch.setattr(lake, "CONFLICT_WAIT_SECONDS", 0.01)  # the project's own constant
    database = lake.LAKE_PREFIX + postgres.dsn(small_lake)
    rows_present = contract([{"type": "row_count", "min": 1}])

    @dg.asset
    def trimmed(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        (outcome,) = evaluate(warehouse.database, "main.t", rows_present)
        with warehouse.get_connection() as con:
            con.execute("BEGIN")
            con.execute("SELECT count(*) FROM main.t").fetchall()  # the snapshot it works on
            if context.retry_number == 0:
                with lake_connection(postgres, small_lake) as rival:
                    rival.execute("DELETE FROM main.t WHERE i = 0")
            con.execute("DELETE FROM main.t WHERE i < 5")
            con.execute("COMMIT")
        return dg.MaterializeResult(metadata={"validated": outcome.passed})

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [trimmed],
            instance=instance,
            resources={"warehouse": WarehouseResource(database=database)},
        )
        retried = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
        ).records
    assert result.success
    assert len(retried) == 1
    (materialization,) = result.asset_materializations_for_node("trimmed")
    assert materialization.metadata["validated"].value is True
    with lake_connection(postgres, small_lake) as con:
        assert con.execute("SELECT min(i), count(*) FROM main.t").fetchone() == (5, 5)


@pytest.mark.slow
def test_two_extracts_load_at_once_with_no_lock_error(tmp_path, postgres):
    """One worker holds its load's transaction open (paused before its commit); the other
    extract's worker loads and finishes meanwhile (its own pool, no lock); then the first
    commits. Both extracts land, every delivery reconciled in the load ledger."""
    site = new_site(tmp_path / "site")
    env = lake_env(site, postgres, "two_loads")
    with production_instance(env):  # the instance's tables made once, not by both workers
        pass
    people, visits = (
        subprocess.Popen(
            [sys.executable, "-m", "datalabs_pipelines_tests.deploy.load_extract", extract],
            env={**env, PAUSE_AT: "ingest.before_commit"} if extract == "people" else env,
            cwd=site.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for extract in EXTRACTS
    )
    wait_until_paused(site, people, "ingest.before_commit")
    finished(visits)
    assert people.poll() is None  # still inside its transaction
    (site.pause_dir / "ingest.before_commit.resume").write_text("")
    finished(people)
    with lake_connection(postgres, "two_loads_lake") as con:
        ledger = con.execute(  # each load writes its own extract's ledger
            "SELECT extract, count(*), bool_and(records_in_file = rows_loaded + rows_quarantined)"
            " FROM (" + " UNION ALL ".join(f"FROM raw.{e}_deliveries" for e in EXTRACTS) + ")"
            " GROUP BY extract ORDER BY extract"
        ).fetchall()
        loaded = {e: con.execute(f"SELECT count(*) FROM raw.{e}").fetchone()[0] for e in EXTRACTS}
    assert [(e, ok) for e, _, ok in ledger] == [("people", True), ("visits", True)]
    assert all(n > 0 for n in loaded.values())
