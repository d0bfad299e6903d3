"""Clustering never joins two FEINs; vendor keys (the shared key persistence under firms'
declaration) survive runs, merges and splits."""

import hashlib

import duckdb

from datalabs_pipelines.linkage.keys import persist_keys
from datalabs_pipelines.procurement.clustering import COMPONENTS, cluster, cluster_in_sql
from datalabs_pipelines.procurement.keys import VENDOR_KEY_SPEC


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


def _key(extract: str, source_id: str, salt: str = "") -> str:
    """A derived vendor key, worked out by hand: VK + 12 hex digits of a SHA-256."""
    return "VK" + hashlib.sha256(f"{extract}:{source_id}{salt}".encode()).hexdigest()[:12].upper()


def persist(con, clusters: dict[str, list[tuple[str, str]]], run_id: str) -> dict[str, str]:
    """Key ``clusters`` (cluster -> [(extract, source id)]) with firms' declaration; return
    source id -> key as remembered."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE clusters (source_extract VARCHAR, source_id VARCHAR, "
        "record_id VARCHAR, cluster VARCHAR)"
    )
    rows = [(e, s, f"{e}.csv:{s}", c) for c, members in clusters.items() for e, s in members]
    con.executemany("INSERT INTO clusters VALUES (?, ?, ?, ?)", rows)
    result = persist_keys(con, VENDOR_KEY_SPEC, "clusters", run_id)
    keys = con.execute("SELECT source_id, vendor_key FROM integrated.vendor_key_assignments")
    return result, dict(keys.fetchall())


def test_new_clusters_get_keys_derived_from_their_first_record(con):
    _, keys = persist(con, {"x": [("vendor_master", "V2"), ("certified_firms", "BEP-1")]}, "r1")
    assert keys == {
        "V2": _key("certified_firms", "BEP-1"),
        "BEP-1": _key("certified_firms", "BEP-1"),
    }


def test_merge_keeps_the_majority_key_and_split_keeps_the_larger_part(con):
    persist(con, {"a": [("vendor_master", "V1"), ("vendor_master", "V2")],
                  "b": [("certified_firms", "C1")]}, "r1")  # fmt: skip
    k1, k2 = _key("vendor_master", "V1"), _key("certified_firms", "C1")
    merged, keys = persist(
        con, {"x": [("vendor_master", "V1"), ("vendor_master", "V2"), ("certified_firms", "C1")]},
        "r2",
    )  # fmt: skip
    assert set(keys.values()) == {k1} and (merged.merges, merged.splits) == (1, 0)
    split, keys = persist(con, {"x": [("vendor_master", "V1"), ("certified_firms", "C1")],
                                "y": [("vendor_master", "V2")]}, "r3")  # fmt: skip
    assert keys["V1"] == keys["C1"] == k1  # the larger part keeps the key
    # V2 gets a new key: its own derived key, unless that was ever used (never reused)
    assert keys["V2"] == _key("vendor_master", "V2") not in {k1, k2}
    assert (split.merges, split.splits) == (0, 1)


def test_keys_persist_across_runs_and_changes_are_logged(con):
    first, _ = persist(
        con, {"a": [("vendor_master", "V1")], "b": [("certified_firms", "C1")]}, "run-1"
    )
    assert first.new_keys == 2
    key_v1 = _key("vendor_master", "V1")
    # run 2: same records, a new delivery adds V2, and C1 is now known to be V1's business
    second = {"a": [("vendor_master", "V1"), ("certified_firms", "C1")],
              "c": [("vendor_master", "V2")]}  # fmt: skip
    result, keys = persist(con, second, "run-2")
    assert (result.new_keys, result.merges, result.splits) == (1, 1, 0)
    assert keys == {"C1": key_v1, "V1": key_v1, "V2": _key("vendor_master", "V2")}
    log = con.execute(
        "SELECT run_id, change_type, old_vendor_key, new_vendor_key, records "
        "FROM integrated.vendor_key_changes"
    ).fetchall()
    assert log == [("run-2", "merge", _key("certified_firms", "C1"), key_v1, 1)]
    again, same = persist(con, second, "run-3")  # nothing changes, nothing is logged
    assert same == keys and (again.new_keys, again.merges, again.splits) == (0, 0, 0)
    assert con.execute("SELECT count(*) FROM integrated.vendor_key_changes").fetchone()[0] == 1


def test_a_record_no_longer_delivered_keeps_its_key_when_it_returns(con):
    persist(con, {"a": [("vendor_master", "V1")], "b": [("vendor_master", "V2")]}, "r1")
    persist(con, {"a": [("vendor_master", "V1")]}, "r2")  # V2 missing from this delivery
    _, keys = persist(con, {"a": [("vendor_master", "V1")], "z": [("vendor_master", "V2")]}, "r3")
    assert keys["V2"] == _key("vendor_master", "V2")
