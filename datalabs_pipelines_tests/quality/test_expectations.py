"""Expectations evaluated by Great Expectations inside DuckDB, called directly."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.quality.expectations import evaluate


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute(
            """
            CREATE TABLE staging.spells AS
            SELECT 'r' || i AS record_id, i % 50 AS case_id,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'tok' || i END AS ssn_token,
                   DATE '2024-01-01' + i::INTEGER AS start_date,
                   CASE WHEN i = 7 THEN DATE '2023-01-01' ELSE DATE '2025-01-01' END AS end_date,
                   CASE WHEN i = 3 THEN 'X' ELSE 'F' END AS sex,
                   i * 10.0 AS amount
            FROM range(100) t(i)
            """
        )
    return path


def contract(expectations) -> Contract:
    return Contract.model_validate(
        {
            "name": "spells",
            "agency": "t",
            "domain": "safety_net",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "*",
            "cadence": "monthly",
            "grain": "g",
            "format": {"kind": "delimited"},
            "columns": [
                {"source": "C", "name": "case_id", "type": "integer", "description": "c"},
                {
                    "source": "S",
                    "name": "ssn",
                    "type": "ssn",
                    "description": "s",
                    "classification": "pii",
                    "pii_kind": "ssn",
                },
                {
                    "source": "A",
                    "name": "start_date",
                    "type": "date",
                    "formats": ["%F"],
                    "description": "a",
                },
                {
                    "source": "B",
                    "name": "end_date",
                    "type": "date",
                    "formats": ["%F"],
                    "description": "b",
                },
                {"source": "X", "name": "sex", "description": "x"},
                {"source": "M", "name": "amount", "type": "money", "description": "m"},
            ],
            "primary_key": ["case_id"],
            "expectations": expectations,
            "agreement": {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"},
        }
    )


def run(warehouse, expectations):
    c = contract(expectations)
    return {o.name: o for o in evaluate(warehouse, "staging.spells", c)}


def test_each_expectation_reports_counts_and_keys_only(warehouse):
    outcomes = run(
        warehouse,
        [
            {"type": "unique", "columns": ["case_id"]},
            {"type": "date_order", "start": "start_date", "end": "end_date"},
            {"type": "in_set", "column": "sex", "values": ["F", "M"]},
            {"type": "between", "column": "amount", "min": 0, "max": 500},
            {"type": "not_null", "column": "ssn", "mostly": 0.95, "severity": "warn"},
            {"type": "row_count", "min": 1, "max": 1000},
        ],
    )
    assert outcomes["unique_case_id"].passed is False
    assert outcomes["unique_case_id"].unexpected_count == 100
    order = outcomes["end_date_not_before_start_date"]
    assert (order.passed, order.unexpected_count, order.sample_keys) == (False, 1, ["r7"])
    in_set = outcomes["sex_in_set"]
    assert (in_set.passed, in_set.unexpected_count, in_set.sample_keys) == (False, 1, ["r3"])
    between = outcomes["amount_between"]
    assert between.passed is False and between.unexpected_count == 49
    ssn = outcomes["ssn_not_null"]  # evaluated on the token column, 10% missing
    assert ssn.passed is False and ssn.severity == "warn" and ssn.unexpected_count == 10
    assert outcomes["row_count_in_bounds"].passed is True
    assert outcomes["row_count_in_bounds"].observed_value == 100
    for outcome in outcomes.values():
        assert outcome.error is None
        assert all(key.startswith("r") for key in outcome.sample_keys)


def test_passing_expectations_pass(warehouse):
    outcomes = run(
        warehouse,
        [
            {"type": "between", "column": "amount", "min": 0, "max": 990},
            {"type": "not_null", "column": "ssn", "mostly": 0.85},
            {"type": "row_count", "min": 100, "max": 100},
        ],
    )
    assert all(o.passed for o in outcomes.values()), outcomes


def test_a_range_with_mostly_passes_a_few_rows_outside_and_counts_them(warehouse):
    """What the person contracts' birth-date range relies on: a mistyped date or two is
    counted, more than the share allowed fails the check."""
    amount = {"type": "between", "column": "amount", "min": 0, "mostly": 0.99}
    one_out = run(warehouse, [{**amount, "max": 980}])["amount_between"]  # 990 is out
    assert (one_out.passed, one_out.unexpected_count) == (True, 1)
    two_out = run(warehouse, [{**amount, "max": 970}])["amount_between"]
    assert (two_out.passed, two_out.unexpected_count) == (False, 2)


def test_validation_releases_the_warehouse(warehouse):
    run(warehouse, [{"type": "row_count", "min": 1}])
    with duckdb.connect(str(warehouse), config={"threads": 1}) as con:  # other config: no clash
        assert con.execute("SELECT count(*) FROM staging.spells").fetchone()[0] == 100


def test_compound_uniqueness_counts_duplicated_rows_and_samples_their_keys(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        # r1 and r51 share (case_id 1, 2024-01-02); r10 and r20 miss both columns: ignored.
        con.execute(
            "UPDATE staging.spells SET start_date = DATE '2024-01-02' WHERE record_id = 'r51'"
        )
        con.execute(
            "UPDATE staging.spells SET case_id = NULL, start_date = NULL "
            "WHERE record_id IN ('r10', 'r20')"
        )
        # r30 and r40 miss case_id only and share a start date: a missing value compares equal
        con.execute(
            "UPDATE staging.spells SET case_id = NULL, start_date = DATE '2024-03-01' "
            "WHERE record_id IN ('r30', 'r40')"
        )
    outcomes = run(
        warehouse,
        [
            {"type": "unique", "columns": ["case_id", "start_date"]},
            {"type": "not_null", "column": "case_id", "mostly": 0.5},
        ],
    )
    unique = outcomes["unique_case_id_start_date"]
    assert (unique.passed, unique.unexpected_count, sorted(unique.sample_keys)) == (
        False,
        4,
        ["r1", "r30", "r40", "r51"],
    )
    assert (unique.element_count, unique.unexpected_percent) == (100, 4.0)


def test_validation_waits_for_great_expectations_imported_in_the_background(warehouse):
    """A staging step starts importing GE on a thread of its own while it builds the
    candidates; validating right after waits for that import and gives the same results."""
    probe = (
        "import sys, threading\n"
        "from datalabs_pipelines.quality.expectations import evaluate, start_importing\n"
        "from datalabs_pipelines_tests.quality.test_expectations import contract\n"
        "assert 'great_expectations' not in sys.modules\n"
        "start_importing()\n"
        "assert any(t.name == 'import great_expectations' for t in threading.enumerate())\n"
        "start_importing()  # a second start while the first runs: no second thread\n"
        "assert sum(t.name == 'import great_expectations' for t in threading.enumerate()) <= 1\n"
        "import pandas, sqlalchemy  # what GE imports, imported here at once\n"
        f"outcomes = evaluate({str(warehouse)!r}, 'staging.spells', contract(\n"
        "    [{'type': 'not_null', 'column': 'case_id'}, {'type': 'row_count', 'min': 101}]))\n"
        "print(sorted((o.name, o.passed) for o in outcomes))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.strip() == "[('case_id_not_null', True), ('row_count_in_bounds', False)]"
