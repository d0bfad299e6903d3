"""The run summary's readers on a hand-made warehouse: missing tables read as empty."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.automation.summary import deliveries_not_in_use


def test_deliveries_not_in_use_lists_only_rejected_withdrawn_and_replacements(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    assert deliveries_not_in_use(warehouse) == []
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
    assert deliveries_not_in_use(warehouse) == []
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "CREATE TABLE marts.extract_quality (extract TEXT, delivery TEXT, status TEXT, "
            "rejection_rule TEXT)"
        )
        con.execute(
            "INSERT INTO marts.extract_quality VALUES ('a', 'a1.csv', 'loaded', NULL), "
            "('a', 'a2.csv', 'withdrawn', NULL), ('b', NULL, 'not delivered', NULL), "
            "('b', 'b1.csv', 'rejected', 'header'), ('c', 'c2.csv', 'duplicate of c1.csv', NULL)"
        )
    assert deliveries_not_in_use(warehouse) == [
        ("a", "a2.csv", "withdrawn", None),
        ("b", "b1.csv", "rejected", "header"),
    ]
