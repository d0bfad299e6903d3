"""`datalabs withdraw`: the ledger's one withdraw path, called from the command line.

Loads a fixture delivery straight into a temporary warehouse (no graph); the round trip through
staging and the snapshot is ``pipeline/test_withdraw.py``.
"""

from __future__ import annotations

import shutil

import duckdb

from datalabs_pipelines.cli import main
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.ingestion.ledger import withdraw_missing, withdrawn_in_place
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines.settings import get_settings


def _people_folder():
    return get_settings().landing_dir / "test_agency" / "people"


def _load(name: str) -> None:
    (people,) = [c for c in all_contracts() if c.name == "people"]
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        load_delivery(con, people, _people_folder() / name, name)


def _rows(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_withdraw_by_path_keeps_the_record_and_skips_the_same_bytes(isolated_env, capsys):
    _load("people_2024.txt")
    _load("people_2025.txt")
    path = _people_folder() / "people_2025.txt"
    assert main(["withdraw", str(path), "--reason", "sent by mistake"]) == 0
    assert "people/people_2025.txt: withdrawn" in capsys.readouterr().out
    assert path.exists()  # landing is never modified
    assert _rows("SELECT DISTINCT _delivery FROM raw.people") == [("people_2024.txt",)]
    assert _rows(
        "SELECT delivery, status, rows_loaded, withdrawn_reason FROM raw.people_deliveries "
        "ORDER BY 1"
    ) == [
        ("people_2024.txt", "loaded", 5, None),
        ("people_2025.txt", "withdrawn", 1, "sent by mistake"),
    ]
    (people,) = [c for c in all_contracts() if c.name == "people"]
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        assert withdrawn_in_place(con, people, "people_2025.txt", path)
        assert not withdrawn_in_place(con, people, "people_2024.txt", _people_folder() / "x")
        path.write_text(path.read_text() + "\n")  # new bytes under the name: a new delivery
        assert not withdrawn_in_place(con, people, "people_2025.txt", path)


def test_withdraw_by_name_and_unknown_names(isolated_env, capsys):
    _load("people_2024.txt")
    assert main(["withdraw", "people_2024.txt"]) == 0
    assert _rows("SELECT count(*) FROM raw.people") == [(0,)]
    assert _rows("SELECT count(*) FROM pii.people_quarantine") == [(0,)]  # its quarantined line too
    assert main(["withdraw", "people/people_2099.txt"]) == 2
    assert "no delivery 'people/people_2099.txt'" in capsys.readouterr().err


def test_a_resend_stands_in_for_the_name_it_replaced_once_that_is_withdrawn(isolated_env, capsys):
    """The same bytes under another name are recorded as a duplicate, not loaded; once the
    first name is withdrawn (by command, or its file cleared from landing) the resend is
    loaded in its place, as a build from scratch would load it, and a second resend is then
    its duplicate: no rows are lost with the name they were first sent under."""
    folder = _people_folder()
    _load("people_2025.txt")
    for name in ("people_2025_resent.txt", "people_2025_resent_again.txt"):
        shutil.copy(folder / "people_2025.txt", folder / name)
        _load(name)
    statuses = "SELECT delivery, status, rows_loaded FROM raw.people_deliveries ORDER BY 1"
    assert _rows(statuses) == [
        ("people_2025.txt", "loaded", 1),
        ("people_2025_resent.txt", "duplicate of people_2025.txt", 0),
        ("people_2025_resent_again.txt", "duplicate of people_2025.txt", 0),
    ]
    assert main(["withdraw", "people_2025.txt"]) == 0
    assert "people/people_2025_resent.txt: the same bytes" in capsys.readouterr().out
    assert _rows(statuses) == [
        ("people_2025.txt", "withdrawn", 1),
        ("people_2025_resent.txt", "loaded", 1),
        ("people_2025_resent_again.txt", "duplicate of people_2025_resent.txt", 0),
    ]
    assert _rows("SELECT DISTINCT _delivery FROM raw.people") == [("people_2025_resent.txt",)]

    (folder / "people_2025_resent.txt").unlink()  # cleared from landing: staging's path
    (people,) = [c for c in all_contracts() if c.name == "people"]
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        assert withdraw_missing(con, people, get_settings().landing_dir) == [
            "people_2025_resent.txt"
        ]
    assert _rows("SELECT DISTINCT _delivery FROM raw.people") == [("people_2025_resent_again.txt",)]
