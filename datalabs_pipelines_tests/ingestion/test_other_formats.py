"""Fixed-width and Excel deliveries."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.loading import load_delivery, reconcile

BASE = {
    "name": "things",
    "agency": "test",
    "domain": "workforce",
    "description": "d",
    "owners": ["team:t"],
    "file_pattern": "*",
    "cadence": "quarterly",
    "grain": "One row.",
    "primary_key": ["id"],
    "agreement": {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"},
}


def fixed_width() -> Contract:
    return Contract.model_validate(
        {
            **BASE,
            "format": {"kind": "fixed_width", "record_length": 8},
            "columns": [
                {
                    "source": "ID",
                    "name": "id",
                    "description": "i",
                    "fixed_width": {"start": 1, "width": 3},
                },
                {
                    "source": "AMT",
                    "name": "amount",
                    "type": "money",
                    "unit": "cents",
                    "description": "a",
                    "fixed_width": {"start": 4, "width": 5},
                },
            ],
        }
    )


def test_fixed_width_short_and_long_lines_are_quarantined(con, tmp_path):
    path = tmp_path / "w.txt"
    path.write_bytes(b"00100250\n002001\n00300300X\n00400400\n")
    contract = fixed_width()
    load_delivery(con, contract, path, "w.txt")
    assert con.execute("SELECT _line, id, amount FROM raw.things ORDER BY 1").fetchall() == [
        (1, "001", "00250"),
        (4, "004", "00400"),
    ]
    assert con.execute("SELECT line, reason FROM pii.things_quarantine ORDER BY 1").fetchall() == [
        (2, "short line: 6 characters, layout expects 8"),
        (3, "long line: 9 characters, layout expects 8"),
    ]
    assert reconcile(con, contract, "w.txt")["reconciles"]


def excel() -> Contract:
    return Contract.model_validate(
        {
            **BASE,
            "format": {"kind": "excel", "sheet": "Firms", "header_row": 2},
            "columns": [
                {"source": "Firm ID", "name": "id", "description": "i"},
                {
                    "source": "Cert End",
                    "name": "cert_end",
                    "type": "date",
                    "formats": ["%Y-%m-%d"],
                    "description": "e",
                },
            ],
        }
    )


def write_book(path, sheet="Firms"):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    ws = book.create_sheet(sheet)
    ws.append(["Certified firms as of 2025-06-30"])
    ws.append(["Firm ID", "Cert End"])
    ws.append(["F1", dt.datetime(2026, 1, 31)])
    ws.append([None, None])
    ws.append([42, "2027-05-01"])
    book.save(path)


def test_excel_title_row_extra_sheet_and_blank_row(con, tmp_path):
    path = tmp_path / "r.xlsx"
    write_book(path)
    contract = excel()
    result = load_delivery(con, contract, path, "r.xlsx")
    assert con.execute("SELECT _line, id, cert_end FROM raw.things ORDER BY 1").fetchall() == [
        (3, "F1", "2026-01-31"),
        (5, "42", "2027-05-01"),
    ]
    assert result.parse.blank_lines == 1
    assert reconcile(con, contract, "r.xlsx")["reconciles"]


def test_excel_missing_sheet_is_rejected(con, tmp_path):
    path = tmp_path / "r.xlsx"
    write_book(path, sheet="Other")
    with pytest.raises(DeliveryRejected, match="sheet 'Firms' not found"):
        load_delivery(con, excel(), path, "r.xlsx")


def test_binary_garbage_named_xlsx_is_rejected(con, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DeliveryRejected, match="not a readable xlsx"):
        load_delivery(con, excel(), path, "r.xlsx")
