"""Rejections and quarantine reasons name file, line, field position, contract column and rule;
never a value from the file, not even a header's own names (a headerless file's first line is
a record)."""

from __future__ import annotations

import pytest

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines_tests.ingestion.test_other_formats import BASE, excel

HEADER = "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT"
RECORD = "CNRY1|CNRY2|CNRY3|CNRY4|CNRY5|CNRY6|CNRY7|CNRY8|CNRY9"


def _rejection(con, contract, path) -> DeliveryRejected:
    with pytest.raises(DeliveryRejected) as caught:
        load_delivery(con, contract, path, path.name)
    return caught.value


def test_a_headerless_file_is_rejected_without_its_first_line(con, tmp_path, people_contract):
    path = tmp_path / "people_x.txt"
    path.write_text(f"{RECORD}\n", encoding="latin-1")
    exc = _rejection(con, people_contract, path)
    assert exc.line == 1 and exc.column == "PERSON_ID"
    assert "CNRY" not in str(exc)
    ledger = con.execute(
        "SELECT message, column_name FROM raw.people_rejected_deliveries"
    ).fetchall()
    assert ledger and "CNRY" not in repr(ledger)


def test_a_repeated_unknown_header_name_is_given_by_position(con, tmp_path, people_contract):
    path = tmp_path / "people_x.txt"
    path.write_text(f"{HEADER}|CNRYH|CNRYH\n{RECORD}|a|b\n", encoding="latin-1")
    exc = _rejection(con, people_contract, path)
    assert "fields 10 and 11" in str(exc) and exc.column is None
    assert "CNRY" not in str(exc)


def test_a_repeated_contract_column_is_named(con, tmp_path, people_contract):
    path = tmp_path / "people_x.txt"
    path.write_text(f"{HEADER}|ssn\n{RECORD}|a\n", encoding="latin-1")
    exc = _rejection(con, people_contract, path)
    assert exc.column == "SSN" and "fields 5 and 10" in str(exc)


def test_unexpected_header_fields_are_ledgered_by_position(con, tmp_path, people_contract):
    path = tmp_path / "people_x.txt"
    path.write_text(
        f"{HEADER}|CNRYEXTRA\n1|a|b|01/01/1990|123456789|001|01/01/2024||$1|CNRYV\n",
        encoding="latin-1",
    )
    result = load_delivery(con, people_contract, path, path.name)
    assert result.parse.unexpected_columns == ["field 10"]
    ledger = con.execute("SELECT unexpected_columns FROM raw.people_deliveries").fetchall()
    assert ledger == [("field 10",)]


def test_quarantine_reasons_hold_no_values(con, tmp_path, people_contract):
    path = tmp_path / "people_x.txt"
    path.write_text(f"{HEADER}\nCNRYA|CNRYB\n{RECORD}\n", encoding="latin-1")
    load_delivery(con, people_contract, path, path.name)
    reasons = con.execute("SELECT line, reason FROM pii.people_quarantine").fetchall()
    assert reasons == [(2, "expected 9 fields, found 2")]


def test_undecodable_lines_are_quarantined_by_kind(con, tmp_path):
    contract = Contract.model_validate(
        {
            **BASE,
            "format": {"kind": "delimited", "delimiter": ",", "encoding": "utf-8"},
            "columns": [{"source": "id", "name": "id", "description": "i"}],
        }
    )
    path = tmp_path / "x.csv"
    path.write_bytes(b"id\nok\nCNRY\xff\xfeZ\n")
    load_delivery(con, contract, path, path.name)
    (reason,) = con.execute("SELECT reason FROM pii.things_quarantine").fetchone()
    assert "CNRY" not in reason and "utf-8" in reason


@pytest.mark.parametrize("name", ["r.xls", "r.xlsx"])
def test_an_unreadable_workbook_is_rejected_without_its_bytes(con, tmp_path, name):
    contract = excel()
    if name.endswith(".xls"):
        contract = contract.model_copy(
            update={"format": contract.format.model_copy(update={"kind": "xls"})}
        )
    path = tmp_path / name
    path.write_bytes(b"CNRYSSN-123-45-6789," * 50)
    exc = _rejection(con, contract, path)
    assert "CNRY" not in str(exc) and "123-45" not in str(exc)
