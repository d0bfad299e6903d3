"""Clustering never joins two FEINs; vendor keys survive runs, merges and splits."""

import duckdb

from datalabs_pipelines.procurement.clustering import COMPONENTS, cluster, cluster_in_sql
from datalabs_pipelines.procurement.keys import Member, assign_keys, mint, persist_keys


def test_fein_links_first_and_conflicting_chain_refused():
    # a and b share a FEIN; c has none; d has another FEIN. c~a and c~d both score high:
    # the better link (c~a) is applied, c~d would join two FEINs and is refused.
    feins = {"a": "111", "b": "111", "c": None, "d": "222"}
    result = cluster(feins, [("a", "b")], [("c", "d", 0.97), ("a", "c", 0.99)])
    components = result.components()
    assert components["a"] == components["b"] == components["c"] == "a"
    assert components["d"] == "d"
    assert result.refused == [("c", "d")]


def test_sql_components_resolve_only_fein_conflicts_link_by_link():
    # Business 1: a, b share FEIN 111; c (no FEIN) scores with a (0.99) and with d (FEIN 222,
    # 0.97): the better link wins, c~d is refused, d stays alone. Business 2: e~f~g, no FEIN
    # at all, a chain of links: one business labelled by its smallest uid. h stands alone.
    feins = {"a": "111", "b": "111", "c": None, "d": "222", "e": None, "f": None, "g": None,
             "h": "333"}  # fmt: skip
    fein_links = [("a", "b")]
    scored = [("c", "d", 0.97), ("a", "c", 0.99), ("f", "g", 0.95), ("e", "f", 0.96)]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE recs (uid VARCHAR, fein VARCHAR)")
        con.executemany("INSERT INTO recs VALUES (?, ?)", list(feins.items()))
        con.execute("CREATE TABLE fein (anchor VARCHAR, uid VARCHAR)")
        con.executemany("INSERT INTO fein VALUES (?, ?)", fein_links)
        con.execute("CREATE TABLE scored (uid_l VARCHAR, uid_r VARCHAR, match_probability DOUBLE)")
        con.executemany("INSERT INTO scored VALUES (?, ?, ?)", scored)
        refused = cluster_in_sql(con, "recs", "fein", "scored")
        got = dict(con.execute(f"SELECT node, component FROM {COMPONENTS}").fetchall())
    expected = {"a": "a", "b": "a", "c": "a", "d": "d", "e": "e", "f": "e", "g": "e", "h": "h"}
    assert got == expected == cluster(feins, fein_links, scored).components()
    assert refused == [("c", "d")]


def m(extract: str, source_id: str) -> Member:
    return Member(extract, source_id, f"{extract}.csv:{source_id}")


def test_new_clusters_get_deterministic_keys():
    clusters = {"x": [m("vendor_master", "V2"), m("certified_firms", "BEP-1")]}
    assert assign_keys(clusters, {}) == {"x": mint(("certified_firms", "BEP-1"))}


def test_merge_keeps_the_majority_key_and_split_keeps_the_larger_part():
    previous = {
        ("vendor_master", "V1"): "K1",
        ("vendor_master", "V2"): "K1",
        ("certified_firms", "C1"): "K2",
    }
    merged = {"x": [m("vendor_master", "V1"), m("vendor_master", "V2"), m("certified_firms", "C1")]}
    assert assign_keys(merged, previous) == {"x": "K1"}
    split = {"x": [m("vendor_master", "V1"), m("certified_firms", "C1")],
             "y": [m("vendor_master", "V2")]}  # fmt: skip
    keys = assign_keys(split, previous)
    assert keys["x"] in {"K1", "K2"} and keys["y"] not in {keys["x"]}
    assert len(set(keys.values())) == 2


def test_keys_persist_across_runs_and_changes_are_logged():
    con = duckdb.connect()
    first = {"a": [m("vendor_master", "V1")], "b": [m("certified_firms", "C1")]}
    assert persist_keys(con, first, "run-1") == {"new_record": 2}
    key_v1 = mint(("vendor_master", "V1"))
    # run 2: same records, a new delivery adds V2, and C1 is now known to be V1's business
    second = {"a": [m("vendor_master", "V1"), m("certified_firms", "C1")],
              "c": [m("vendor_master", "V2")]}  # fmt: skip
    changes = persist_keys(con, second, "run-2")
    assert changes == {"merged": 1, "new_record": 1}
    rows = con.execute(
        "SELECT source_id, vendor_key FROM integrated.vendor_key_assignments ORDER BY 1"
    ).fetchall()
    assert rows == [("C1", key_v1), ("V1", key_v1), ("V2", mint(("vendor_master", "V2")))]
    log = con.execute(
        "SELECT run_id, source_id, old_vendor_key, new_vendor_key, reason "
        "FROM integrated.vendor_key_changes WHERE run_id = 'run-2' ORDER BY source_id"
    ).fetchall()
    assert log == [
        ("run-2", "C1", mint(("certified_firms", "C1")), key_v1, "merged"),
        ("run-2", "V2", None, mint(("vendor_master", "V2")), "new_record"),
    ]
    assert persist_keys(con, second, "run-3") == {}  # nothing changes, nothing is logged
