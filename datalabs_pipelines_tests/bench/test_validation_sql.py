"""The hand-written aggregate the benchmark times against GE computes GE's counts."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.bench.validation import compare, handwritten_sql
from datalabs_pipelines_tests.quality.test_expectations import contract, warehouse  # noqa: F401

EXPECTATIONS = [
    {"type": "unique", "columns": ["case_id"]},
    {"type": "unique", "columns": ["case_id", "start_date"]},
    {"type": "date_order", "start": "start_date", "end": "end_date"},
    {"type": "in_set", "column": "sex", "values": ["F", "M"]},
    {"type": "between", "column": "amount", "min": 0, "max": 500},
    {"type": "not_null", "column": "ssn", "mostly": 0.95, "severity": "warn"},
    {"type": "row_count", "min": 1, "max": 1000},
]


def test_one_select_with_one_count_per_expectation(warehouse):  # noqa: F811
    sql, params, names = handwritten_sql(contract(EXPECTATIONS), "staging.spells")
    assert sql.count(" AS c") == len(EXPECTATIONS) == len(names)
    assert "'F'" not in sql and "500" not in sql  # values are bound, not written into SQL
    with duckdb.connect(str(warehouse)) as con:
        counts = con.execute(sql, params).fetchone()
    assert counts == (100, 0, 1, 1, 49, 10, 100)


def test_counts_agree_with_great_expectations(warehouse):  # noqa: F811
    result = compare(warehouse, contract(EXPECTATIONS), "staging.spells", repeats=1)
    assert result.counts_match, result.mismatches
    assert result.rows == 100 and result.expectations == len(EXPECTATIONS)
