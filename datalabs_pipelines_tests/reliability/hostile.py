"""A corpus of broken deliveries, built from small byte strings (and openpyxl), with contracts."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from datalabs_pipelines.contracts.model import Contract

AGREEMENT = {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"}
HEADER = b"PAYMENT_ID,PAYEE,AMOUNT,PAID_ON,NOTE\n"
ROW_1 = b"1,Ann Lee,10.00,2024-01-31,ok\n"
ROW_2 = b"2,Bob Roe,5.50,2024-02-01,ok\n"
LONG_FIELD = 10 << 20  # 10 MB


def payments(**fmt) -> Contract:
    """A delimited contract with a typed amount and date, a pii column and expectations."""
    return Contract.model_validate(
        {
            "name": "payments",
            "agency": "test",
            "domain": "procurement",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "payments_*.csv",
            "format": {"kind": "delimited", "delimiter": ",", **fmt},
            "cadence": "monthly",
            "grain": "One row per payment.",
            "columns": [
                {
                    "source": "PAYMENT_ID",
                    "name": "payment_id",
                    "type": "integer",
                    "description": "i",
                },
                {
                    "source": "PAYEE",
                    "name": "payee",
                    "description": "p",
                    "classification": "pii",
                    "pii_kind": "name",
                },
                {"source": "AMOUNT", "name": "amount", "type": "money", "description": "a"},
                {
                    "source": "PAID_ON",
                    "name": "paid_on",
                    "type": "date",
                    "formats": ["%Y-%m-%d"],
                    "description": "d",
                },
                {"source": "NOTE", "name": "note", "description": "n", "required": False},
            ],
            "primary_key": ["payment_id"],
            "expectations": [
                {"type": "not_null", "column": "payment_id"},
                {"type": "unique", "columns": ["payment_id"]},
                {"type": "between", "column": "amount", "min": 0},
                {
                    "type": "between",
                    "column": "paid_on",
                    "min": "2000-01-01",
                    "max": "run_date + 31 days",
                },
            ],
            "agreement": AGREEMENT,
        }
    )


def fixed_width() -> Contract:
    return Contract.model_validate(
        {
            "name": "wages",
            "agency": "test",
            "domain": "workforce",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "wages_*.txt",
            "format": {"kind": "fixed_width", "record_length": 8},
            "cadence": "quarterly",
            "grain": "One row per wage record.",
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
            "primary_key": ["id"],
            "agreement": AGREEMENT,
        }
    )


def excel() -> Contract:
    return Contract.model_validate(
        {
            "name": "firms",
            "agency": "test",
            "domain": "procurement",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "firms_*.xlsx",
            "format": {"kind": "excel", "sheet": "Firms", "header_row": 2},
            "cadence": "monthly",
            "grain": "One row per firm.",
            "columns": [
                {"source": "Firm ID", "name": "firm_id", "description": "i"},
                {
                    "source": "Cert End",
                    "name": "cert_end",
                    "type": "date",
                    "formats": ["%Y-%m-%d"],
                    "description": "e",
                },
            ],
            "primary_key": ["firm_id"],
            "agreement": AGREEMENT,
        }
    )


def jsonl() -> Contract:
    return Contract.model_validate(
        {
            "name": "visits",
            "agency": "test",
            "domain": "education",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "visits_*.jsonl",
            "format": {"kind": "jsonl"},
            "cadence": "quarterly",
            "grain": "One row per visit.",
            "columns": [
                {"source": "visit_id", "name": "visit_id", "description": "v"},
                {"source": "site", "name": "site", "description": "s"},
            ],
            "primary_key": ["visit_id"],
            "agreement": AGREEMENT,
        }
    )


def workbook(*, merged_header: bool = False, extra_sheets: bool = False, sheet: str = "Firms"):
    """A writer of a small xlsx delivery (title row, header on row 2, two records)."""

    def write(path: Path) -> None:
        book = openpyxl.Workbook()
        book.active.title = "Cover"
        book.active.append(["Read me first"])
        ws = book.create_sheet(sheet)
        ws.append(["Certified firms as of 2025-06-30"])
        ws.append(["Firm ID", "Cert End"])
        ws.append(["F1", dt.datetime(2026, 1, 31)])
        ws.append(["F2", "2026-02-01"])
        if merged_header:
            ws.merge_cells("A2:B2")
        if extra_sheets:
            book.create_sheet("Firms (old)").append(["Firm ID", "Cert End"])
            book.create_sheet("Pivot").append([1, 2, 3])
        book.save(path)

    return write


@dataclass(frozen=True)
class Case:
    """One hostile delivery and what must become of it."""

    id: str
    contract: Callable[[], Contract]
    name: str
    data: bytes | Callable[[Path], None]
    loaded: list[int] = field(default_factory=list)  # lines loaded into raw
    quarantined: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    rule: str | None = None  # set when the whole file must be rejected
    line: int | None = None
    column: str | None = None

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        if isinstance(self.data, bytes):
            path.write_bytes(self.data)
        else:
            self.data(path)
        return path


def _csv(case_id: str, data: bytes, **kwargs) -> Case:
    return Case(case_id, payments, f"payments_{case_id}.csv", data, **kwargs)


UNDECODABLE = "undecodable bytes: not valid utf-8"

ROW_LEVEL = [
    _csv(
        "extra-column",
        b"PAYMENT_ID,PAYEE,AMOUNT,PAID_ON,NOTE,EXTRA\n1,A,1,2024-01-01,n,e\n",
        loaded=[2],
    ),
    _csv("utf8-bom", b"\xef\xbb\xbf" + HEADER + ROW_1, loaded=[2]),
    _csv(
        "latin1-in-utf8-contract",
        HEADER + "1,Peña,1.00,2024-01-01,x\n".encode("latin-1") + ROW_2,
        loaded=[3],
        quarantined=[(2, UNDECODABLE)],
    ),
    _csv(
        "mixed-encodings",
        HEADER
        + "1,Muñoz,1.00,2024-01-01,x\n".encode()
        + "2,Peña,1,2024-01-01,x\n".encode("latin-1"),
        loaded=[2],
        quarantined=[(3, UNDECODABLE)],
    ),
    _csv("crlf", (HEADER + ROW_1 + ROW_2).replace(b"\n", b"\r\n"), loaded=[2, 3]),
    _csv("lone-cr", (HEADER + ROW_1 + ROW_2).replace(b"\n", b"\r"), loaded=[2, 3]),
    _csv(
        "mixed-line-endings",
        HEADER
        + ROW_1.replace(b"\n", b"\r\n")
        + ROW_2.replace(b"\n", b"\r")
        + b"3,C,1,2024-01-01,\n",
        loaded=[2, 3, 4],
    ),
    _csv(
        "unterminated-quote",
        HEADER + b'1,"Ann Lee,10.00,2024-01-31,ok\n' + ROW_2,
        loaded=[3],
        quarantined=[(2, "malformed quoting: unterminated or stray quote")],
    ),
    _csv(
        "line-break-in-quoted-field",
        HEADER + b'1,Ann,1.00,2024-01-01,"two\nlines"\n' + ROW_2,
        loaded=[2, 4],
    ),
    _csv(
        "crlf-rows-with-lf-in-quoted-cell",  # what spreadsheet exports write
        (HEADER + b'1,Ann,1.00,2024-01-01,"two@lines"\n' + ROW_2)
        .replace(b"\n", b"\r\n")
        .replace(b"@", b"\n"),
        loaded=[2, 4],
    ),
    _csv(
        "truncated-last-line",
        HEADER + ROW_1 + b"2,Bob Roe,5.5",
        loaded=[2],
        quarantined=[(3, "expected 5 fields, found 3")],
    ),
    _csv(
        "truncated-inside-quote",
        HEADER + ROW_1 + b'2,"Bob',
        loaded=[2],
        quarantined=[(3, "malformed quoting: unterminated or stray quote")],
    ),
    _csv(
        "too-many-fields",
        HEADER + b"1,Ann,1.00,2024-01-01,x,surplus\n" + ROW_2,
        loaded=[3],
        quarantined=[(2, "expected 5 fields, found 6")],
    ),
    _csv(
        "ten-megabyte-field",
        HEADER + b'1,Ann,1.00,2024-01-01,"' + b"x" * LONG_FIELD + b'"\n' + ROW_2,
        loaded=[3],
        quarantined=[(2, "line longer than 1048576 bytes")],
    ),
    _csv(
        "nul-byte",
        HEADER + b"1,An\x00n,1.00,2024-01-01,x\n" + ROW_2,
        loaded=[3],
        quarantined=[(2, "NUL byte in line: binary content")],
    ),
    _csv("empty-leading-field", HEADER + b",Ann,1.00,2024-01-01,\n" + ROW_2, loaded=[2, 3]),
    _csv("blank-lines-between", HEADER + ROW_1 + b"\n  \n" + ROW_2, loaded=[2, 5]),
    Case(
        "fixed-width-short-and-long",
        fixed_width,
        "wages_2024q1.txt",
        b"00100250\n002001\n00300300X\n00400400\n",
        loaded=[1, 4],
        quarantined=[
            (2, "short line: 6 characters, layout expects 8"),
            (3, "long line: 9 characters, layout expects 8"),
        ],
    ),
    Case("xlsx-extra-sheets", excel, "firms_1.xlsx", workbook(extra_sheets=True), loaded=[3, 4]),
    Case(
        "jsonl-malformed-line",
        jsonl,
        "visits_1.jsonl",
        b'{"visit_id": "v1", "site": "A"}\n{"visit_id": "v2", "site": \n{"visit_id": "v3"}\n',
        loaded=[1, 3],
        quarantined=[(2, "malformed JSON object")],
    ),
    Case(
        "jsonl-repeated-key",
        jsonl,
        "visits_2.jsonl",
        b'{"visit_id": "v1", "visit_id": "v9", "site": "A"}\n{"visit_id": "v2", "site": "B"}\n',
        loaded=[2],
        quarantined=[(1, "JSON object repeats a key")],
    ),
]

REJECTED = [
    _csv("empty-file", b"", rule="non-empty file"),
    _csv("header-only", HEADER, rule="at least one record"),
    _csv("header-and-blank-lines", HEADER + b"\n\r\n \n", rule="at least one record"),
    _csv(
        "missing-required-column",
        b"PAYMENT_ID,PAYEE,PAID_ON\n1,A,2024-01-01\n",
        rule="columns[2].required",
        line=1,
        column="AMOUNT",
    ),
    _csv(
        "renamed-column",
        b"PAYMENT_ID,PAYEE,AMT,PAID_ON,NOTE\n1,A,1,2024-01-01,x\n",
        rule="columns[2].required",
        line=1,
        column="AMOUNT",
    ),
    _csv(
        "wrong-delimiter",
        (HEADER + ROW_1).replace(b",", b";"),
        rule="columns[0].required",
        line=1,
        column="PAYMENT_ID",
    ),
    _csv(
        "duplicate-header-name",
        b"PAYMENT_ID,PAYEE,AMOUNT,PAID_ON,PAYEE\n1,A,1,2024-01-01,B\n",
        rule="unique header names",
        line=1,
        column="PAYEE",
    ),
    Case(
        "utf8-bom-in-latin1-contract",
        lambda: payments(encoding="latin-1"),
        "payments_bom.csv",
        b"\xef\xbb\xbf" + HEADER + ROW_1,
        rule="format.encoding",
        line=1,
    ),
    _csv("utf16", (HEADER + ROW_1).decode().encode("utf-16"), rule="format.encoding", line=1),
    _csv("binary-garbage", bytes(range(256)) * 40, rule="format.skip_lines", line=1),
    _csv(
        "gzip-named-csv", gzip.compress(HEADER + ROW_1, mtime=0), rule="format.skip_lines", line=1
    ),
    Case(
        "xlsx-merged-header-cells",
        excel,
        "firms_2.xlsx",
        workbook(merged_header=True),
        rule="columns[1].required",
        line=2,
        column="Cert End",
    ),
    Case(
        "xlsx-sheet-missing", excel, "firms_3.xlsx", workbook(sheet="Sheet1"), rule="format.sheet"
    ),
    Case("xlsx-binary-garbage", excel, "firms_4.xlsx", bytes(range(256)) * 8, rule="format.kind"),
    Case(
        "jsonl-required-key-absent",
        jsonl,
        "visits_3.jsonl",
        b'{"site": "A"}\n',
        rule="columns[0].required",
        column="visit_id",
    ),
]
