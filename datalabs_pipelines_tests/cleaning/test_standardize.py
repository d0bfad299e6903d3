"""Typing and normalization SQL, one value at a time."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from datalabs_pipelines.cleaning.standardize import (
    _SSN_RE2,
    VALID_SSN,
    given_sql,
    identity_sql,
    invalid_sql,
    match_fold_sql,
    typed_sql,
)
from datalabs_pipelines.contracts.model import Column


def evaluate(con, column: Column, raw: str | None):
    params: dict[str, object] = {}
    sql = typed_sql(column, params)
    return con.execute(
        f"SELECT {sql} FROM (SELECT $raw::VARCHAR AS {column.name})", {**params, "raw": raw}
    ).fetchone()[0]


def col(type_: str, **kw) -> Column:
    return Column(source="X", name="x", type=type_, description="x", **kw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123-45-6789", "123456789"),
        ("123456789", "123456789"),
        (" 123 45 6789 ", "123456789"),
        ("000-12-3456", None),
        ("666-12-3456", None),
        ("900-12-3456", None),
        ("999-99-9999", None),
        ("123-00-4567", None),
        ("123-45-0000", None),
        ("12345678", None),
        ("", None),
        (None, None),
        ("665-99-9999", "665999999"),
        ("899-01-0001", "899010001"),
    ],
)
def test_ssn_validation(con, raw, expected):
    assert evaluate(con, col("ssn"), raw) == expected


@pytest.mark.parametrize(
    "digits",
    [
        "123456789",
        "000123456",
        "666000000",
        "900000001",
        "123001234",
        "123450000",
        "078051120",
        "667000001",
    ],
)
def test_sql_ssn_rule_matches_reference_regex(con, digits):
    in_sql = con.execute("SELECT regexp_full_match(?, ?)", [digits, _SSN_RE2]).fetchone()[0]
    assert in_sql == bool(re.match(VALID_SSN, digits))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$1,234.50", Decimal("1234.50")),
        ("-$1,234.50", Decimal("-1234.50")),
        ("($5.00)", Decimal("-5.00")),
        ("12", Decimal("12.00")),
        ("abc", None),
        ("", None),
    ],
)
def test_money(con, raw, expected):
    assert evaluate(con, col("money"), raw) == expected


def test_money_in_cents(con):
    assert evaluate(con, col("money", unit="cents"), "00000123456") == Decimal("1234.56")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/04/2024", dt.date(2024, 3, 4)),
        ("3/4/2024", dt.date(2024, 3, 4)),
        ("2024-03-04", dt.date(2024, 3, 4)),
        ("02/30/2023", None),
        ("13/01/2024", None),
        ("1/2/24", None),  # %Y would read the year 24: a typo, not a date
        ("1/2/0024", None),
    ],
)
def test_dates_use_contract_formats_in_order(con, raw, expected):
    assert evaluate(con, col("date", formats=["%m/%d/%Y", "%Y-%m-%d"]), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("12-3456789", "123456789"), ("1234", None), ("00-0000000", None)]
)
def test_fein(con, raw, expected):
    assert evaluate(con, col("fein"), raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("name", "  José  Muñoz-Peña ", "JOSE MUNOZ PENA"),
        ("name", "O'Brien", "OBRIEN"),
        ("address", "12 N. Main St., Apt #4", "12 N MAIN ST APT 4"),
        ("phone", "+1 (312) 555-0100", "3125550100"),
        ("zip", "60601-1234", "60601"),
    ],
)
def test_identity_normalization(con, kind, raw, expected):
    sql = identity_sql(
        Column(source="X", name="x", description="x", classification="pii", pii_kind=kind), "$v"
    )
    assert con.execute(f"SELECT {sql}", {"v": raw}).fetchone()[0] == expected


def test_match_fold(con):
    assert (
        con.execute(f"SELECT {match_fold_sql('$v')}", {"v": " Peña  &  Sons "}).fetchone()[0]
        == "PENA & SONS"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5.00-", Decimal("-5.00")),
        ("5.00 CR", Decimal("-5.00")),
        ("1,234.50cr", Decimal("-1234.50")),
        ("$-5", Decimal("-5.00")),
        ("-5", Decimal("-5.00")),
        ("$ 1,234,567.89", Decimal("1234567.89")),
        ("(5.00)-", None),  # two signs
        ("-5.00 CR", None),
        ("(5.00", None),
        ("1,23", None),  # not a thousands grouping
        ("5 DR", None),
    ],
)
def test_money_signs_and_separators(con, raw, expected):
    assert evaluate(con, col("money"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("138", 138), ("1,234", 1234), ("-7", -7), ("138.0", 138), ("138.18", None), ("1e3", None)],
)
def test_integers_refuse_decimals(con, raw, expected):
    assert evaluate(con, col("integer"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("00123", "00123"), (" A-0042 ", "A-0042"), ("1.23E+05", None), ("12345.0", None)],
)
def test_identifiers_keep_padding_and_refuse_numeric_coercion(con, raw, expected):
    assert evaluate(con, col("identifier"), raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw"),
    [("integer", "–"), ("decimal", "†"), ("money", "N/A"), ("string", "N"), ("identifier", "†")],
)
def test_null_markers_become_null_and_are_not_invalid(con, type_, raw):
    column = col(type_, null_markers=["N/A", "–", "†", "N"])
    params: dict[str, object] = {}
    typed = typed_sql(column, params)
    value, invalid = con.execute(
        f"SELECT {typed}, {invalid_sql(given_sql(column, params), typed)} "
        f"FROM (SELECT $raw::VARCHAR AS {column.name})",
        {**params, "raw": f" {raw} "},
    ).fetchone()
    assert (value, invalid) == (None, False)


def test_a_value_that_is_not_a_marker_still_fails_typing(con):
    column = col("integer", null_markers=["N/A"])
    params: dict[str, object] = {}
    typed = typed_sql(column, params)
    invalid = con.execute(
        f"SELECT {invalid_sql(given_sql(column, params), typed)} FROM (SELECT 'n/a2' AS x)", params
    ).fetchone()[0]
    assert invalid is True
