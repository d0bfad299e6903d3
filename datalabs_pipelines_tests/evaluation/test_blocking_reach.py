"""Blocking reach per error type, counted by hand on four true pairs."""

from datalabs_pipelines.evaluation.blocking import reach_by_error


def test_reach_counts_each_pair_under_every_defect_it_carries(con):
    con.execute("CREATE TEMP TABLE t (id_l VARCHAR, id_r VARCHAR, defects VARCHAR[])")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)",
        [
            ("a", "b", ["name_swap"]),
            ("a", "c", ["name_swap", "dob_missing"]),
            ("b", "c", ["dob_missing"]),
            ("c", "d", []),  # no defect: in no tag's count
        ],
    )
    # reached: (a,b) twice (two rules made it) and (b,c); (a,c) is not
    con.execute("CREATE TEMP TABLE r (id_l VARCHAR, id_r VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, ?)", [("a", "b"), ("a", "b"), ("b", "c")])
    reach = reach_by_error(con, "t", "r")
    assert set(reach) == {"name_swap", "dob_missing"}
    assert reach["name_swap"] == {"true_pairs": 2, "reached": 1, "share_reached": 0.5}
    assert reach["dob_missing"] == {"true_pairs": 2, "reached": 1, "share_reached": 0.5}
