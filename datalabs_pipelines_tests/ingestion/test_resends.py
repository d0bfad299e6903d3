"""A resend: the same bytes as a delivery in use, under another name. It is recorded as that
delivery's duplicate and not loaded, until the first name no longer holds its bytes; then it is
loaded in its place, as a build from scratch over landing would load it."""

from __future__ import annotations

import shutil

import duckdb

from datalabs_pipelines.cli import main
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.ingestion.ledger import withdraw_missing
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines.settings import get_settings

STATUSES = "SELECT delivery, status, rows_loaded FROM raw.people_deliveries ORDER BY 1"


def _people():
    (people,) = [c for c in all_contracts() if c.name == "people"]
    return people


def _folder():
    return get_settings().landing_dir / "test_agency" / "people"


def _load(name: str) -> None:
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        load_delivery(con, _people(), _folder() / name, name)


def _rows(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _resend(name: str, *copies: str) -> None:
    _load(name)
    for copy in copies:
        shutil.copy(_folder() / name, _folder() / copy)
        _load(copy)


def test_a_resend_stands_in_for_the_name_it_replaced_once_that_is_withdrawn(isolated_env, capsys):
    """The same bytes under another name are recorded as a duplicate, not loaded; once the
    first name is withdrawn (by command, or its file cleared from landing) the resend is
    loaded in its place, as a build from scratch would load it, and a second resend is then
    its duplicate: no rows are lost with the name they were first sent under."""
    _resend("people_2025.txt", "people_2025_resent.txt", "people_2025_resent_again.txt")
    assert _rows(STATUSES) == [
        ("people_2025.txt", "loaded", 1),
        ("people_2025_resent.txt", "duplicate of people_2025.txt", 0),
        ("people_2025_resent_again.txt", "duplicate of people_2025.txt", 0),
    ]
    assert main(["withdraw", "people_2025.txt"]) == 0
    assert "people/people_2025_resent.txt: the same bytes" in capsys.readouterr().out
    assert _rows(STATUSES) == [
        ("people_2025.txt", "withdrawn", 1),
        ("people_2025_resent.txt", "loaded", 1),
        ("people_2025_resent_again.txt", "duplicate of people_2025_resent.txt", 0),
    ]
    assert _rows("SELECT DISTINCT _delivery FROM raw.people") == [("people_2025_resent.txt",)]

    (_folder() / "people_2025_resent.txt").unlink()  # cleared from landing: staging's path
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        assert withdraw_missing(con, _people(), get_settings().landing_dir) == [
            "people_2025_resent.txt"
        ]
    assert _rows("SELECT DISTINCT _delivery FROM raw.people") == [("people_2025_resent_again.txt",)]


def test_a_resend_stands_in_once_the_first_name_is_corrected_with_other_bytes(isolated_env):
    """Both files are then deliveries of their own, as a build from scratch loads them."""
    _resend("people_2025.txt", "people_2025_resent.txt")
    first = _folder() / "people_2025.txt"
    first.write_text(first.read_text() + "\n")  # a correction: other bytes under the name
    _load("people_2025.txt")
    assert _rows(STATUSES) == [
        ("people_2025.txt", "loaded", 1),
        ("people_2025_resent.txt", "loaded", 1),
    ]
    _load("people_2025.txt")  # the same bytes again: the resend stays as it is
    assert _rows(STATUSES)[1] == ("people_2025_resent.txt", "loaded", 1)
