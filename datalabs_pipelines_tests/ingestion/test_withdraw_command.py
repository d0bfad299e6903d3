"""`datalabs withdraw`: the ledger's one withdraw path, called from the command line.

Loads a fixture delivery straight into a temporary warehouse (no graph); the round trip through
staging and the snapshot is ``pipeline/test_withdraw.py``.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.cli import main
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.ingestion.ledger import withdrawn_in_place
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
