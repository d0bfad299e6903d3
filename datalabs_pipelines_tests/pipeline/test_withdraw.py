"""Deliveries as a ledger: withdraw, a rejected replacement and a failed correction, each
round trip compared table by table with a run that never saw the file (what the session's
clean ``fixture_graph`` left, which each test starts from: ``after_clean_run``)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.summary import deliveries_not_in_use
from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.cli import main
from datalabs_pipelines.ingestion.loading import REPLACEMENT_REJECTED
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines_tests.pipeline.test_end_to_end import run_all, run_bad_delivery

pytestmark = pytest.mark.slow

NEW_PEOPLE = (
    "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT\n"
    "8|Poe|Ann|07/08/1990|456789012|009|02/01/2026||$20.00\n"
)
# A replacement of people_2025.txt without the SSN column: rejected as a whole file.
REJECTED_PEOPLE = "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|COUNTY|START|END|BENEFIT\n"


def _dictionary(path: Path, table: str) -> list[tuple]:
    """Dictionary rows of every table but the ledger's mart (its examples name deliveries)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            f"SELECT * FROM {table} WHERE table_name <> 'marts.extract_quality' ORDER BY ALL"
        ).fetchall()


def _state() -> tuple[dict[str, str], dict[str, str]]:
    """Table checksums of the warehouse and the snapshot; the data dictionary's rows apart."""
    settings = get_settings()
    warehouse = table_checksums(settings.warehouse_path)
    snapshot = table_checksums(settings.published_path)
    warehouse["marts.data_dictionary"] = repr(
        _dictionary(settings.warehouse_path, "marts.data_dictionary")
    )
    snapshot["main.data_dictionary"] = repr(_dictionary(settings.published_path, "data_dictionary"))
    return warehouse, snapshot


def _differing(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}


def _rows(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _people_folder():
    return get_settings().landing_dir / "test_agency" / "people"


def test_withdrawn_delivery_leaves_every_table_but_the_ledger(after_clean_run):
    never_saw, published = _state()
    with dg.DagsterInstance.ephemeral() as instance:
        new = _people_folder() / "people_2026.txt"
        new.write_text(NEW_PEOPLE)
        assert run_all(instance).failed_runs == []
        assert _rows("SELECT count(*) FROM staging.people WHERE _delivery = 'people_2026.txt'")
        new.unlink()  # the one way to withdraw a delivery
        assert run_all(instance).failed_runs == []
    warehouse, snapshot = _state()
    assert _differing(never_saw, warehouse) == {
        "raw.people_deliveries",
        "raw.deliveries",  # the view over each extract's
        "marts.extract_quality",
    }
    assert _differing(published, snapshot) == {"main.extract_quality"}
    assert _rows(
        "SELECT status, rows_loaded FROM raw.deliveries WHERE delivery = 'people_2026.txt'"
    ) == [("withdrawn", 1)]
    assert _rows("SELECT status FROM marts.extract_quality WHERE delivery = 'people_2026.txt'") == [
        ("withdrawn",)
    ]


def test_rejected_replacement_keeps_the_previous_version_and_says_so(after_clean_run):
    never_saw, published = _state()
    with dg.DagsterInstance.ephemeral() as instance:
        (_people_folder() / "people_2025.txt").write_text(REJECTED_PEOPLE)
        outcome = run_all(instance)
    assert outcome.failed_runs == ["load people"]
    warehouse, snapshot = _state()
    assert _differing(never_saw, warehouse) == {
        "raw.people_rejected_deliveries",
        "raw.rejected_deliveries",
        "marts.extract_quality",
    }
    assert _differing(published, snapshot) == {"main.extract_quality"}
    (message,) = _rows("SELECT message FROM raw.rejected_deliveries")[0]
    assert message.endswith(REPLACEMENT_REJECTED)
    assert _rows(
        "SELECT status, rows_loaded FROM marts.extract_quality WHERE delivery = 'people_2025.txt'"
    ) == [(REPLACEMENT_REJECTED, 1)]
    # the run summary words it the same way
    reported = deliveries_not_in_use(get_settings().warehouse_path)
    assert [r[:3] for r in reported] == [("people", "people_2025.txt", REPLACEMENT_REJECTED)]


def test_failed_correction_withdrawn_lets_publishing_resume(after_clean_run):
    """A correction failing a blocking check is held back and the run fails (every check of
    ``run_bad_delivery``); withdrawn by `datalabs withdraw` (the other way), the file stays in
    landing, unread, and the next run publishes."""
    settings = get_settings()
    never_saw, published = _state()
    with dg.DagsterInstance.ephemeral() as instance:
        correction = run_bad_delivery(instance)
        held_back = settings.published_path.read_bytes()
        assert main(["withdraw", str(correction), "--reason", "end before start"]) == 0
        assert run_all(instance).failed_runs == []
    assert correction.exists()
    assert settings.published_path.read_bytes() != held_back  # a new snapshot was published
    warehouse, snapshot = _state()
    assert _differing(never_saw, warehouse) == {
        "raw.people_deliveries",
        "raw.deliveries",  # the view over each extract's
        "marts.extract_quality",
    }
    assert _differing(published, snapshot) == {"main.extract_quality"}
    assert _rows(
        "SELECT blocking_checks_failed FROM marts.extract_quality WHERE extract = 'people'"
    ) == [(0,), (0,), (0,)]
    assert _rows(
        "SELECT status, withdrawn_reason FROM raw.deliveries WHERE delivery = 'people_2026.txt'"
    ) == [("withdrawn", "end before start")]
