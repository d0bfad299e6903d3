"""Persistent person keys: inheritance, new keys, merges and splits."""

import re

import pytest

from datalabs_pipelines.linkage.keys import assign_keys, inherit_keys

KEY = re.compile(r"^P[0-9a-f]{12}$")


@pytest.mark.parametrize(
    ("overlap", "expected"),
    [
        ([("c1", "K1", 3, 3)], {"c1": "K1"}),
        # a merge: the key most records carried wins
        ([("c1", "K1", 1, 1), ("c1", "K2", 4, 4)], {"c1": "K2"}),
        # a split: the larger part keeps the key, the other inherits nothing
        ([("c1", "K1", 1, 6), ("c2", "K1", 5, 6)], {"c2": "K1"}),
        # a merge and a split at once: K1 stays with c1, c2 takes K2
        (
            [("c1", "K1", 1, 2), ("c1", "K3", 1, 1), ("c2", "K1", 1, 2), ("c2", "K2", 1, 1)],
            {"c1": "K1", "c2": "K2"},
        ),
        # on equal overlap the bigger old key wins, then the smaller key, then cluster
        ([("c1", "K1", 2, 2), ("c1", "K2", 2, 9)], {"c1": "K2"}),
        ([("c2", "K1", 2, 4), ("c1", "K1", 2, 4)], {"c1": "K1"}),
        ([("c1", "K2", 2, 2), ("c1", "K1", 2, 2)], {"c1": "K1"}),
    ],
    ids=["one", "merge", "split", "merge_and_split", "tie_size", "tie_cluster", "tie_key"],
)
def test_inherit_keys(overlap, expected):
    assert inherit_keys(overlap) == expected


def run(con, clusters: list[tuple[str, str]], run_id: str):
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_clusters "
        "(source_extract VARCHAR, record_id VARCHAR, cluster VARCHAR, match_probability DOUBLE, "
        "carries_ssn BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO lk_clusters VALUES ('x', ?, ?, 1.0, false)", [(r, c) for r, c in clusters]
    )
    result = assign_keys(con, run_id)
    keys = dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())
    return result, keys


def test_keys_persist_merge_and_split_are_logged(con):
    first, keys1 = run(con, [("r1", "a"), ("r2", "a"), ("r3", "b"), ("r4", "c")], "run1")
    assert first.new_keys == 3 and all(KEY.match(k) for k in keys1.values())
    assert keys1["r1"] == keys1["r2"] != keys1["r3"]

    # same clusters under other cluster ids, plus a new record: every key stays
    again, keys2 = run(con, [("r1", "z"), ("r2", "z"), ("r3", "y"), ("r4", "w"), ("r5", "v")], "r2")
    assert {r: keys2[r] for r in keys1} == keys1 and again.new_keys == 1
    assert (again.merges, again.splits) == (0, 0)

    # r3 joins r1/r2 (merge); r2 leaves r1 for a cluster of its own with r4 (split + merge)
    third, keys3 = run(con, [("r1", "a"), ("r3", "a"), ("r2", "b"), ("r4", "b"), ("r5", "c")], "r3")
    assert keys3["r1"] == keys1["r1"] == keys3["r3"]
    assert keys3["r2"] == keys3["r4"] == keys1["r4"]
    changes = con.execute(
        "SELECT run_id, change_type, old_person_key, new_person_key, records "
        "FROM pii.person_key_changes ORDER BY change_type, old_person_key"
    ).fetchall()
    assert sorted(changes) == sorted(
        [
            ("r3", "merge", keys1["r3"], keys1["r1"], 1),
            ("r3", "split", keys1["r1"], keys1["r4"], 1),
        ]
    )
    assert (third.merges, third.splits) == (1, 1)


def test_new_keys_never_reuse_a_retired_key(con):
    _, keys1 = run(con, [("r1", "a"), ("r2", "b")], "run1")
    _, keys2 = run(con, [("r1", "a"), ("r2", "a")], "run2")  # r2's key is retired
    kept = keys2["r1"]
    assert keys2["r2"] == kept and kept in {keys1["r1"], keys1["r2"]}
    _, keys3 = run(con, [("r1", "a"), ("r2", "b")], "run3")  # and splits off again
    moved = "r2" if keys3["r1"] == kept else "r1"
    assert keys3[moved] not in {keys1["r1"], keys1["r2"]}
