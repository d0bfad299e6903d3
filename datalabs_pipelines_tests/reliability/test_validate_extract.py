"""`datalabs validate-extract`: a steward's check against the contract, warehouse untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from datalabs_pipelines.cleaning.validate import NoContract, ValidationReport, contract_for, render
from datalabs_pipelines.cli import main
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING
from datalabs_pipelines_tests.reliability.hostile import HEADER, ROW_1, ROW_2, jsonl, payments

PEOPLE = FIXTURE_LANDING / "test_agency" / "people"


@pytest.fixture
def steward(isolated_env: Path) -> Path:
    """The fixture contracts in force and no warehouse: validation must not create one."""
    return isolated_env


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["validate-extract", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_clean_file_exits_zero(steward, capsys):
    code, out = run(capsys, str(PEOPLE / "people_2025.txt"))
    assert code == 0, out
    assert "contract: people" in out and "would load cleanly" in out
    assert not (steward / "warehouse.duckdb").exists()


def test_report_names_lines_reasons_and_columns_but_no_values(steward, capsys):
    code, out = run(capsys, str(PEOPLE / "people_2024.txt"))
    assert code == 1
    assert "records in file: 6, loadable: 5, quarantined: 1" in out
    assert "line 6: expected 9 fields, found 3" in out
    assert "benefit (money): 1; lines 7" in out
    assert "dob (date, formats %m/%d/%Y): 1; lines 7" in out
    assert "FAIL (warn)  ssn_not_null" in out
    assert "would NOT load cleanly" in out
    delivered = (PEOPLE / "people_2024.txt").read_text(encoding="latin-1")
    for value in ("Muñoz", "Peña", "Short", "987654321", "02/30"):
        assert value in delivered and value not in out
    assert not (steward / "warehouse.duckdb").exists()


def test_rejected_file_exits_nonzero_with_the_rule(steward, tmp_path, capsys):
    path = tmp_path / "people_2030.txt"
    path.write_text("PERSON_ID|LAST_NAME\n1|x\n")
    code, out = run(capsys, str(path))
    assert code == 1
    assert "REJECTED" in out and "columns[2].required" in out and str(path) in out


def test_contract_option_overrides_the_file_pattern(steward, tmp_path, capsys):
    path = tmp_path / "renamed.txt"
    shutil.copy(PEOPLE / "people_2025.txt", path)
    assert run(capsys, str(path))[0] == 2  # no pattern matches
    code, out = run(capsys, str(path), "--contract", "people")
    assert code == 0, out


def test_a_contract_kept_elsewhere_is_named_by_its_file(steward, tmp_path, capsys):
    """A real registry's contract lives outside the contracts folder in force: the message
    says how to name it, and its file's path is enough."""
    path = tmp_path / "renamed.txt"
    shutil.copy(PEOPLE / "people_2025.txt", path)
    code, out = run(capsys, str(path))
    assert code == 2 and "--contract path/to/contract.yaml" in out
    elsewhere = tmp_path / "elsewhere" / "people.yaml"
    elsewhere.parent.mkdir()
    shutil.copy(FIXTURE_CONTRACTS / "test_agency" / "people.yaml", elsewhere)
    code, out = run(capsys, str(path), "--contract", str(elsewhere))
    assert code == 0 and "contract: people" in out, out
    code, out = run(capsys, str(path), "--contract", str(tmp_path / "nope.yaml"))
    assert code == 2 and f"no contract file {tmp_path / 'nope.yaml'}" in out


def test_missing_file_or_unknown_contract_is_a_usage_error(steward, tmp_path, capsys):
    assert run(capsys, str(tmp_path / "nope.txt"))[0] == 2
    code, out = run(capsys, str(PEOPLE / "people_2025.txt"), "--contract", "nope")
    assert code == 2 and "no contract named 'nope'" in out


def test_contract_is_picked_by_file_pattern(tmp_path):
    contracts = [payments(), jsonl()]
    assert contract_for(tmp_path / "payments_2024.csv", contracts).name == "payments"
    assert contract_for(tmp_path / "visits_q1.jsonl", contracts).name == "visits"
    with pytest.raises(NoContract, match="has a file_pattern matching 'other.csv'"):
        contract_for(tmp_path / "other.csv", contracts)
    with pytest.raises(NoContract, match="several contracts"):
        contract_for(tmp_path / "payments_1.csv", [payments(), payments()])


def test_duplicate_keys_fail_an_expectation_evaluated_in_memory(steward, tmp_path, capsys):
    from datalabs_pipelines.cleaning.validate import render, validate_extract

    path = tmp_path / "payments_1.csv"
    path.write_bytes(HEADER + ROW_1 + ROW_2 + ROW_1.replace(b"Ann Lee", b"Other"))
    report = validate_extract(path, payments())
    text = render(report)
    assert "FAIL (error) unique_payment_id" in text and "e.g. lines" in text
    assert "Other" not in text and "Ann Lee" not in text
    assert not report.clean


def test_a_report_whose_counts_do_not_reconcile_is_never_clean():
    contract = payments()
    report = ValidationReport(Path("p.csv"), contract, records=3, rows_loaded=2)
    assert not report.reconciles and not report.clean
    assert "COUNTS DO NOT RECONCILE" in render(report)
    report.quarantined = [(4, "expected 8 fields, found 2")]
    assert report.reconciles and "RECONCILE" not in render(report)
