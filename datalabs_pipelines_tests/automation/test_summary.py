"""The run summary's readers on a hand-made warehouse: missing tables read as empty."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.automation.summary import deliveries_not_in_use, mart_report


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


STATUS = (
    "CREATE TABLE {}.mart_status (mart VARCHAR, domain VARCHAR, status VARCHAR, reason VARCHAR, "
    "data_through VARCHAR, built_at TIMESTAMP, checked_at TIMESTAMP)"
)


def test_a_mart_the_publish_withheld_reads_blocked(tmp_path: Path):
    """The disclosure audit withholds a mart in the snapshot alone: the warehouse's status
    says fresh, and the summary said so too (scale 1 seed 6150 through 2026-11-15)."""
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "datalabs.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(STATUS.format("marts"))
        con.execute(
            "INSERT INTO marts.mart_status VALUES "
            "('a', 'd', 'fresh', NULL, '2025', '2026-12-07 02:00', now()), "
            "('b', 'd', 'fresh', NULL, NULL, '2026-12-07 02:00', now())"
        )
    assert [r[:3] for r in mart_report(warehouse, published)] == [
        ("a", "fresh", None),
        ("b", "fresh", None),
    ]
    with duckdb.connect(str(published)) as con:
        con.execute(STATUS.format("main"))
        con.execute(
            "INSERT INTO main.mart_status VALUES ('a', 'd', 'fresh', NULL, '2025', "
            "'2026-12-07 02:00', now()), ('b', 'd', 'blocked', 'withheld by the disclosure "
            "audit: b: x in row 3 (in dimension order) can be narrowed to 2 possible values "
            "(threshold 10)', NULL, '2026-12-07 02:00', now())"
        )
    withheld = "withheld by the disclosure audit: b: x in row 3"
    (a, b) = mart_report(warehouse, published)
    assert a[:3] == ("a", "fresh", None) and b[1] == "blocked" and b[2].startswith(withheld)
    with duckdb.connect(str(warehouse)) as con:  # built again, its publish failed: not known
        con.execute("UPDATE marts.mart_status SET built_at = '2026-12-08 02:00'")
    assert [r[1] for r in mart_report(warehouse, published)] == ["fresh", "fresh"]
