"""The incremental-versus-full comparison counts keys moved and clusters that differ."""

import duckdb

from datalabs_pipelines.evaluation.incremental_linkage import differing, drift


def test_keys_moved_and_differing_clusters():
    con = duckdb.connect()
    # incremental: {1, 2, 3} {4} {5}; full: {1, 2, 3, 4} (4 joins, key of 1-3 kept) {5} renamed
    con.execute(
        "CREATE TABLE a AS SELECT 'x' AS source_extract, * FROM (VALUES "
        "('1', 'K1'), ('2', 'K1'), ('3', 'K1'), ('4', 'K4'), ('5', 'K5')) t(record_id, k)"
    )
    con.execute(
        "CREATE TABLE b AS SELECT 'x' AS source_extract, * FROM (VALUES "
        "('1', 'K1'), ('2', 'K1'), ('3', 'K1'), ('4', 'K1'), ('5', 'K9')) t(record_id, k)"
    )
    assert differing(con, "a", "b") == {
        "records": 5,
        "records_key_changed": 2,  # 4 moved to K1; 5's key differs although alone in both
        "records_in_differing_clusters": 4,  # all of {1, 2, 3, 4}
        "by_extract": {"x": 4},
    }
    assert differing(con, "a", "a")["records_in_differing_clusters"] == 0


def test_score_drift():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE a AS FROM (VALUES ('p', 'q', 4.0, 0.91), ('p', 'r', 1.0, 0.6)) "
        "t(id_l, id_r, match_weight, match_probability)"
    )
    con.execute(
        "CREATE TABLE b AS FROM (VALUES ('p', 'q', 3.5, 0.89)) "
        "t(id_l, id_r, match_weight, match_probability)"
    )
    assert drift(con, "a", "b", 0.9) == {
        "pairs_in_one_cache_only": 1,
        "pairs_linked_in_one_only": 1,
        "max_abs_weight_difference": 0.5,
    }
