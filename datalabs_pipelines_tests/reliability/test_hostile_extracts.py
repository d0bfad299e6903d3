"""Hostile deliveries: each is loaded with row-level quarantine or rejected as a whole file.

Never a bare exception, never a silent drop: for every loaded case the reconciliation holds
(records in the file = rows loaded + rows quarantined); a rejected file writes nothing but its
rejection, whose message names the file, the line, the column and the contract rule.
Problems that only typing or expectations can see are asserted on the staged rows.
"""

from __future__ import annotations

import pytest

from datalabs_pipelines.cleaning.staging import build_candidates
from datalabs_pipelines.cleaning.validate import validate_extract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.loading import load_delivery, reconcile
from datalabs_pipelines_tests.reliability.hostile import (
    HEADER,
    REJECTED,
    ROW_1,
    ROW_2,
    ROW_LEVEL,
    Case,
    payments,
)

KEY = b"\x11" * 32


def test_corpus_covers_at_least_25_hostile_deliveries():
    assert len(ROW_LEVEL) + len(REJECTED) + len(STAGING) >= 25


@pytest.mark.parametrize("case", ROW_LEVEL, ids=lambda c: c.id)
def test_records_are_loaded_or_quarantined_with_line_and_reason(con, tmp_path, case: Case):
    contract = case.contract()
    path = case.write(tmp_path)
    result = load_delivery(con, contract, path, path.name)
    lines = con.execute(f"SELECT _line FROM raw.{contract.name} ORDER BY 1").fetchall()
    assert [line for (line,) in lines] == case.loaded
    assert (
        con.execute(
            f"SELECT line, reason FROM pii.{contract.name}_quarantine ORDER BY line"
        ).fetchall()
        == case.quarantined
    )
    counts = reconcile(con, contract, path.name)
    assert counts["reconciles"], counts
    assert result.rows_loaded + result.rows_quarantined == result.parse.records


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.id)
def test_unusable_files_are_rejected_naming_file_line_column_and_rule(con, tmp_path, case: Case):
    contract = case.contract()
    path = case.write(tmp_path)
    with pytest.raises(DeliveryRejected) as info:
        load_delivery(con, contract, path, path.name)
    rejected = info.value
    message = str(rejected)
    assert (rejected.rule, rejected.line, rejected.column) == (case.rule, case.line, case.column)
    assert str(path) in message and f"rule {case.rule!r}" in message
    assert f"contract {contract.name!r}" in message
    if case.line is not None:
        assert f"line {case.line}" in message
    if case.column is not None:
        assert f"column {case.column!r}" in message
    name = contract.name
    for table in (f"raw.{name}", f"pii.{name}_quarantine", f"raw.{name}_deliveries"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    rejections = f"SELECT delivery, rule FROM raw.{name}_rejected_deliveries"
    assert con.execute(rejections).fetchall() == [(path.name, case.rule)]


# Row-level problems only typing or an expectation can see: (data, lines whose column fails
# typing, failing expectations).
STAGING = {
    "non-numeric-amount": (
        HEADER + b"1,Ann,ten dollars,2024-01-31,x\n" + ROW_2,
        {"amount": [2]},
        set(),
    ),
    "impossible-date": (HEADER + b"1,Ann,1.00,2023-02-30,x\n" + ROW_2, {"paid_on": [2]}, set()),
    "date-in-the-future": (HEADER + b"1,Ann,1.00,2999-01-01,x\n" + ROW_2, {}, {"paid_on_between"}),
    "negative-amount": (HEADER + b"1,Ann,-5.00,2024-01-31,x\n" + ROW_2, {}, {"amount_between"}),
    "duplicate-primary-key": (
        HEADER + ROW_1 + b"1,Other,2.00,2024-03-01,y\n",
        {},
        {"unique_payment_id"},
    ),
    "missing-primary-key": (HEADER + b",Ann,1.00,2024-01-31,x\n", {}, {"payment_id_not_null"}),
}


@pytest.mark.parametrize("case_id", STAGING)
def test_row_problems_show_in_staging_typing_and_checks(tmp_path, case_id):
    data, invalid_lines, failing = STAGING[case_id]
    path = tmp_path / f"payments_{case_id}.csv"
    path.write_bytes(data)
    report = validate_extract(path, payments())
    assert report.rejection is None and not report.quarantined
    assert report.records == report.rows_loaded == data.count(b"\n") - 1
    assert report.invalid_lines == invalid_lines  # read from staging's _invalid_columns
    assert {o.name for o in report.failed_expectations} == failing
    assert all(o.error is None for o in report.outcomes)
    assert not report.clean


def test_the_same_delivery_loaded_twice_keeps_one_copy(con, tmp_path):
    contract = payments()
    path = tmp_path / "payments_1.csv"
    path.write_bytes(HEADER + ROW_1 + ROW_2)
    for _ in range(2):
        load_delivery(con, contract, path, path.name)
    assert con.execute("SELECT count(*) FROM raw.payments").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM raw.payments_deliveries").fetchone()[0] == 1
    assert reconcile(con, contract, path.name)["reconciles"]


def test_the_same_file_delivered_under_two_names_is_recognised_by_its_hash(con, tmp_path):
    contract = payments()
    for name in ("payments_1.csv", "payments_1_resent.csv"):
        path = tmp_path / name
        path.write_bytes(HEADER + ROW_1 + ROW_2)
        load_delivery(con, contract, path, name)
        assert reconcile(con, contract, name)["reconciles"]
    assert con.execute(
        "SELECT delivery, status, rows_loaded FROM raw.payments_deliveries ORDER BY 1"
    ).fetchall() == [
        ("payments_1.csv", "loaded", 2),
        ("payments_1_resent.csv", "duplicate of payments_1.csv", 0),
    ]
    staged = build_candidates(con, contract, KEY)
    assert (staged.rows_in, staged.rows_staged, staged.duplicates_removed) == (2, 2, 0)


def test_identical_payment_lines_are_all_kept(con, tmp_path):
    contract = payments()
    assert contract.duplicates == "keep"  # the default
    path = tmp_path / "payments_1.csv"
    path.write_bytes(HEADER + ROW_1 + ROW_1 + ROW_2)
    load_delivery(con, contract, path, path.name)
    staged = build_candidates(con, contract, KEY)
    assert (staged.rows_in, staged.rows_staged, staged.duplicates_removed) == (3, 3, 0)
    assert staged.collapsed == ()
