"""Each extract's ledger tables, the views across extracts, and an older warehouse's shared
ledger moving into them without losing a row."""

from __future__ import annotations

from datalabs_pipelines.ingestion.ledger_views import create_view
from datalabs_pipelines.ingestion.loading import (
    LEDGER,
    LEDGER_TABLES,
    QUARANTINE,
    ensure_raw_tables,
    load_delivery,
)
from datalabs_pipelines.warehouse import ensure_table, qualified
from datalabs_pipelines_tests.conftest import FIXTURE_LANDING


def _load(con, contract, name: str) -> None:
    path = FIXTURE_LANDING / "test_agency" / contract.name / name
    load_delivery(con, contract, path, name)


def _table_type(con, table: tuple[str, str]) -> str | None:
    row = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? "
        "AND table_name = ?",
        list(table),
    ).fetchone()
    return row[0] if row else None


def test_the_views_show_every_extracts_rows(con, people_contract, visits_contract):
    contracts = [people_contract, visits_contract]
    _load(con, people_contract, "people_2024.txt")
    _load(con, visits_contract, "visits_2024q2.jsonl")
    for table in LEDGER_TABLES:
        create_view(con, table, contracts)
        assert _table_type(con, table.view) == "VIEW"
        parts = [
            con.execute(f"SELECT * FROM {qualified(table.of(c))} ORDER BY ALL").fetchall()
            for c in contracts
        ]
        union = con.execute(f"SELECT * FROM {qualified(table.view)} ORDER BY ALL").fetchall()
        assert sorted(parts[0] + parts[1]) == sorted(union)
    extracts = con.execute(f"SELECT DISTINCT extract FROM {qualified(LEDGER.view)} ORDER BY 1")
    assert extracts.fetchall() == [("people",), ("visits",)]
    # both files hold one unparseable record (fixture README): the view shows them, in pii
    assert con.execute(f"SELECT count(*) FROM {qualified(QUARANTINE.view)}").fetchone()[0] >= 2
    assert QUARANTINE.view[0] == "pii"


def test_a_shared_ledger_moves_into_each_extracts_table(con, people_contract, visits_contract):
    """A warehouse from before the split: one shared table per kind, rows of two extracts."""
    ensure_table(con, LEDGER.view, LEDGER.sql_types)
    con.executemany(
        f"INSERT INTO {qualified(LEDGER.view)} (extract, delivery, status) VALUES (?, ?, ?)",
        [["people", "p1.txt", "loaded"], ["visits", "v1.jsonl", "withdrawn"]],
    )
    ensure_raw_tables(con, people_contract)  # a raw or staging step of one extract
    people = con.execute(f"SELECT extract, delivery FROM {qualified(LEDGER.of(people_contract))}")
    assert people.fetchall() == [("people", "p1.txt")]
    assert _table_type(con, LEDGER.view) == "BASE TABLE"  # the other extract's rows still there
    create_view(con, LEDGER, [people_contract, visits_contract])
    assert _table_type(con, LEDGER.view) == "VIEW"
    rows = con.execute(f"SELECT extract, delivery, status FROM {qualified(LEDGER.view)} ORDER BY 1")
    assert rows.fetchall() == [("people", "p1.txt", "loaded"), ("visits", "v1.jsonl", "withdrawn")]
