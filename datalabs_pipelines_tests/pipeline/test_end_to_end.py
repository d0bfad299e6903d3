"""The whole graph on the hand-made fixture, into a temporary warehouse (`make run`'s driver).

A first, clean run is the session's ``fixture_graph``; a test that changes something starts
from a copy of its outputs (``after_clean_run``). A bad delivery held back (``run_bad_delivery``)
is checked by test_withdraw's failed-correction test, which withdraws it next."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import materialize_everything
from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.contracts import all_contracts, load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FixtureGraph
from datalabs_pipelines_tests.pipeline.declared_tables import undeclared_tables

pytestmark = pytest.mark.slow

BAD_PEOPLE = (
    "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT\n"
    "7|Roe|Rick|05/05/1985|345678901|009|06/01/2026|01/01/2026|$5.00\n"  # ends before it starts
)


def run_all(instance: dg.DagsterInstance):
    contracts = list(all_contracts())
    return materialize_everything(build_definitions(contracts), contracts, instance)


def test_whole_graph_loads_checks_and_publishes(fixture_graph: FixtureGraph):
    site = fixture_graph.site
    assert fixture_graph.outcome.failed_runs == []
    defs = build_definitions(load_contracts(FIXTURE_CONTRACTS))
    assert undeclared_tables(site.warehouse, defs) == set()
    with duckdb.connect(str(site.published), read_only=True) as pub:
        tables = [
            t for (t,) in pub.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        assert sorted(tables) == ["data_dictionary", "extract_quality", "mart_status"]
        described = pub.execute(
            "SELECT count(*) FROM data_dictionary WHERE table_name = 'staging.people'"
        ).fetchone()[0]
        assert described > 5
        rows = pub.execute(
            "SELECT extract, delivery, records_in_file, rows_loaded, rows_quarantined, "
            "reconciles, blocking_checks_failed FROM extract_quality ORDER BY 1, 2"
        ).fetchall()
    assert rows == [
        ("people", "people_2024.txt", 6, 5, 1, True, 0),
        ("people", "people_2025.txt", 1, 1, 0, True, 0),
        ("visits", "visits_2024q2.jsonl", 4, 3, 1, True, 0),
    ]
    for page in ("dashboard.html", "dictionary.html"):
        text = (site.published.parent / page).read_text()
        text = re.sub(r'<script id="plotly-js">.*?</script>', "", text, flags=re.S)  # library
        assert "Data as of" in text
        for identifier in ("Smith", "123-45-6789", "03/04/1980", "1980-03-04"):
            assert identifier not in text  # names, SSNs and dates of birth stay in pii
    with duckdb.connect(str(site.warehouse), read_only=True) as con:
        staged = con.execute(
            "SELECT _copies, benefit, ssn_status, dob_year FROM staging.people ORDER BY record_id"
        ).fetchall()
        assert len(staged) == 5  # six rows loaded, one exact duplicate collapsed
        assert (2, 1200.5, "missing", 1975) in [(c, float(b or 0), s, y) for c, b, s, y in staged]
        columns = {
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema <> 'pii'"
            ).fetchall()
        }
        assert not columns & {"last_name", "first_name", "dob", "ssn", "person_name"}


def test_rerun_leaves_identical_tables(isolated_env):
    with dg.DagsterInstance.ephemeral() as instance:
        run_all(instance)
        first = table_checksums(get_settings().warehouse_path)
        run_all(instance)
        second = table_checksums(get_settings().warehouse_path)
    assert first == second


def run_bad_delivery(instance: dg.DagsterInstance) -> Path:
    """After a clean run (``after_clean_run``), deliver a correction that fails a blocking
    check and run everything: the candidate is rejected (the live staging table and its row
    count stay), what does not read the extract is rebuilt and published, and the run still
    ends failed. Returns the delivery. (test_withdraw's failed-correction test goes on from
    here: one run serves both.)"""
    settings = get_settings()
    people = dg.AssetKey(["staging", "test_agency", "people"])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.execute("SELECT * FROM staging.people ORDER BY ALL").fetchall()

    correction = settings.landing_dir / "test_agency" / "people" / "people_2026.txt"
    correction.write_text(BAD_PEOPLE)
    outcome = run_all(instance)

    assert outcome.failed_runs == ["staging, marts and publish"]
    assert any("end_date_not_before_start_date" in c for c in outcome.checks_failed)
    assert any("nothing_held_back" in c for c in outcome.checks_failed)
    staged = instance.get_latest_materialization_event(people).asset_materialization
    assert staged.metadata["candidate_rejected"].value is True
    assert staged.metadata["dagster/row_count"].value == len(before)  # the live table's
    assert staged.metadata["candidate_rows"].value == len(before) + 1
    quality = instance.get_latest_materialization_event(
        dg.AssetKey(["marts", "platform", "extract_quality"])
    )
    (failed,) = instance.get_runs(limit=1)
    assert quality.run_id == failed.run_id  # rebuilt: not downstream of people's rows
    assert failed.status == dg.DagsterRunStatus.FAILURE
    with duckdb.connect(str(settings.published_path), read_only=True) as pub:
        failed = pub.execute(
            "SELECT DISTINCT extract, blocking_checks_failed FROM extract_quality "
            "WHERE blocking_checks_failed > 0"
        ).fetchall()
    assert failed == [("people", 1)]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT * FROM staging.people ORDER BY ALL").fetchall() == before
        assert con.execute(
            "SELECT status, reason LIKE '%end_date_not_before_start_date: 1 row, first at "
            "people_2026.txt:%' FROM staging.extract_status WHERE extract = 'people'"
        ).fetchone() == ("held back", True)
        assert (
            con.execute(
                "SELECT count(*) FROM raw.people WHERE _delivery = 'people_2026.txt'"
            ).fetchone()[0]
            == 1
        )  # the raw layer keeps what was delivered
    return correction


def test_an_extract_without_delivery_is_not_delivered(isolated_env):
    """No visits file: its staging is an empty table, its checks are skipped, the run passes."""
    settings = get_settings()
    for path in (settings.landing_dir / "test_agency" / "visits").iterdir():
        path.unlink()
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_all(instance)
        visits = dg.AssetKey(["staging", "test_agency", "visits"])
        staged = instance.get_latest_materialization_event(visits).asset_materialization
    assert outcome.failed_runs == []
    assert staged.metadata["status"].value == "not delivered"
    assert staged.metadata["dagster/row_count"].value == 0
    with duckdb.connect(str(settings.published_path), read_only=True) as pub:
        rows = pub.execute(
            "SELECT extract, delivery, status FROM extract_quality WHERE extract = 'visits'"
        ).fetchall()
    assert rows == [("visits", None, "not delivered")]


def test_file_matching_no_contract_fails_only_its_extract(isolated_env):
    settings = get_settings()
    stray = settings.landing_dir / "test_agency" / "people" / "notes.csv"
    stray.write_text("not a delivery\n")
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_all(instance)
        failures = [
            record.event_log_entry.dagster_event.step_failure_data.error.message
            for run in instance.get_runs()
            for record in instance.get_records_for_run(run.run_id).records
            if record.event_log_entry.dagster_event
            and record.event_log_entry.dagster_event.is_step_failure
        ]
    assert "load people" in outcome.failed_runs and "load visits" not in outcome.failed_runs
    assert any(str(stray) in m and "'file_pattern'" in m for m in failures), failures
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        delivered = con.execute(
            "SELECT DISTINCT delivery FROM raw.deliveries ORDER BY 1"
        ).fetchall()
    assert ("notes.csv",) not in delivered and ("visits_2024q2.jsonl",) in delivered


def test_materializations_carry_row_counts(fixture_graph: FixtureGraph):
    for key in [
        dg.AssetKey(["raw", "test_agency", "people"]),
        dg.AssetKey(["staging", "test_agency", "people"]),
        dg.AssetKey(["marts", "platform", "extract_quality"]),
    ]:
        event = fixture_graph.instance.get_latest_materialization_event(key)
        assert event.asset_materialization.metadata["dagster/row_count"].value > 0
