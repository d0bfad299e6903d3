"""A real file's habits, checked through `validate-extract`: missing-value markers, ids with
zero-padding, integers written with decimals, amounts with trailing signs, identical lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.candidates import candidate
from datalabs_pipelines.cleaning.staging import staging_table
from datalabs_pipelines.cleaning.validate import render, validate_extract
from datalabs_pipelines.contracts.model import Contract

AGREEMENT = {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"}


def contract(**extra) -> Contract:
    return Contract.model_validate(
        {
            "name": "spend",
            "agency": "city",
            "domain": "procurement",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "spend_*.csv",
            "format": {"kind": "delimited"},
            "cadence": "monthly",
            "grain": "One row per payment line.",
            "null_markers": ["N/A", "–", "†", "N"],
            "columns": [
                {"source": "ID", "name": "vendor_id", "type": "identifier", "description": "v"},
                {"source": "UNITS", "name": "units", "type": "integer", "description": "u"},
                {"source": "AMOUNT", "name": "amount", "type": "money", "description": "a"},
                {"source": "NOTE", "name": "note", "description": "n"},
                # "N" is a value here, not a marker: the column's own (empty) list wins.
                {"source": "FLAG", "name": "flag", "description": "f", "null_markers": []},
            ],
            "primary_key": ["vendor_id"],
            "expectations": [{"type": "not_null", "column": "note", "severity": "warn"}],
            "agreement": AGREEMENT,
            **extra,
        }
    )


ROWS = (
    "ID,UNITS,AMOUNT,NOTE,FLAG\n"
    "00042,3,$10.00,ok,N\n"  # line 2
    "00043,–,5.00-,N/A,Y\n"  # line 3: markers in a number and a text column
    "00044,138.18,1.00 CR,†,N\n"  # line 4: a decimal in an integer column
    "1.2E+05,4,$2.00,ok,Y\n"  # line 5: an id a spreadsheet made numeric
    "00042,3,$10.00,ok,N\n"  # line 6: identical to line 2
)


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    path = tmp_path / "spend_2026_11.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_failures_are_reported_by_line_and_column_never_by_value(delivery):
    report = validate_extract(delivery, contract())
    assert report.invalid_values == {"units": 1, "vendor_id": 1}
    assert report.invalid_lines == {"units": [4], "vendor_id": [5]}
    note = next(o for o in report.outcomes if o.name == "note_not_null")
    assert (note.passed, note.unexpected_count) == (False, 2)  # "N/A" and "†" are missing
    text = render(report)
    assert "units (integer): 1; lines 4" in text
    for value in ("138.18", "1.2E+05", "00043", "N/A", "†"):
        assert value not in text


def _staged(delivery: Path, policy: str) -> list[tuple]:
    from datalabs_pipelines.cleaning.staging import build_candidates
    from datalabs_pipelines.ingestion.loading import load_delivery

    c = contract(duplicates=policy)
    con = duckdb.connect()
    with con:
        load_delivery(con, c, delivery, delivery.name)
        result = build_candidates(con, c, b"k" * 32)
        rows = con.execute(
            f"SELECT _line, vendor_id, units, amount, note, flag, _copies "
            f"FROM staging.{candidate(staging_table(c))[1]} ORDER BY _line"
        ).fetchall()
    return rows, result


def test_values_are_typed_as_a_steward_expects(delivery):
    rows, _ = _staged(delivery, "keep")
    assert rows[:4] == [
        (2, "00042", 3, Decimal("10.00"), "ok", "N", 1),
        (3, "00043", None, Decimal("-5.00"), None, "Y", 1),
        (4, "00044", None, Decimal("-1.00"), None, "N", 1),
        (5, None, 4, Decimal("2.00"), "ok", "Y", 1),
    ]


def test_identical_lines_are_kept_unless_the_contract_collapses_them(delivery):
    kept, result = _staged(delivery, "keep")
    assert len(kept) == 5 and sum(r[3] for r in kept) == Decimal("16.00")
    assert result.collapsed == ()
    collapsed, result = _staged(delivery, "collapse")
    assert len(collapsed) == 4 and collapsed[0][-1] == 2
    assert [(c.delivery, c.lines, c.amount) for c in result.collapsed] == [
        ("spend_2026_11.csv", 1, Decimal("10.00"))
    ]


def test_a_resent_line_collapses_but_a_repeated_line_within_a_file_does_not(tmp_path):
    from datalabs_pipelines.cleaning.staging import build_candidates
    from datalabs_pipelines.ingestion.loading import load_delivery

    c = contract(duplicates="collapse_resent")
    first, again = tmp_path / "spend_1.csv", tmp_path / "spend_2.csv"
    first.write_text(ROWS, encoding="utf-8")  # lines 2 and 6 identical: both kept
    again.write_text(ROWS.splitlines()[0] + "\n" + "00042,3,$10.00,ok,N\n", encoding="utf-8")
    con = duckdb.connect()
    with con:
        for path in (first, again):
            load_delivery(con, c, path, path.name)
        result = build_candidates(con, c, b"k" * 32)
    assert (result.rows_in, result.rows_staged) == (6, 5)
    assert [(x.delivery, x.lines, x.amount) for x in result.collapsed] == [
        ("spend_2.csv", 1, Decimal("10.00"))
    ]


def test_validate_extract_reports_collapsed_lines_and_their_amount(delivery):
    text = render(validate_extract(delivery, contract(duplicates="collapse")))
    assert "identical lines collapsed: 1 (amount 10.00)" in text


def test_a_marker_in_an_identifier_column_is_missing_not_invalid(tmp_path):
    path = tmp_path / "spend_2026_12.csv"
    path.write_text(
        "ID,UNITS,AMOUNT,NOTE,FLAG\nN/A,1,$1.00,ok,N\n – ,2,$2.00,ok,N\n00045,3,$3.00,ok,N\n",
        encoding="utf-8",
    )
    report = validate_extract(path, contract())
    assert "vendor_id" not in report.invalid_values  # a marker is no typing failure
    rows, _ = _staged(path, "keep")
    assert [(line, vendor) for line, vendor, *_ in rows] == [(2, None), (3, None), (4, "00045")]
