"""Snapshots published night after night: each safe alone, and safe together for a reader who
keeps them all and knows which counts did not change (``governance.disclosure_releases``).
The ranges are worked out by hand in each test, threshold 10."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from datalabs_pipelines.governance.disclosure_audit import EARLIER, _eliminate, _Relation
from datalabs_pipelines.governance.disclosure_releases import (
    RETAIN,
    Releases,
    Remembered,
    Told,
    linked,
)
from datalabs_pipelines.publishing.audit_memory import read_releases, write_memory
from datalabs_pipelines.publishing.snapshot import SnapshotResult, publish_snapshot
from datalabs_pipelines_tests.governance.test_disclosure_audit import T, count, declaration, dim

COUNTIES = declaration("c", dim("county", total="ALL"), count("people"))


def night(con, target: Path, rows: dict[str, int], prior: Releases | None) -> SnapshotResult:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE OR REPLACE TABLE marts.c (county VARCHAR, people BIGINT)")
    con.executemany("INSERT INTO marts.c VALUES (?, ?)", list(rows.items()))
    return publish_snapshot(con, target, {"c": COUNTIES}, T, prior=prior)


def published(target: Path) -> dict[str, int | None]:
    with duckdb.connect(str(target), read_only=True) as snapshot:
        return dict(snapshot.execute("SELECT county, people FROM c").fetchall())


def nights(con, tmp_path: Path, *deliveries: dict[str, int]) -> list[dict[str, int | None]]:
    """Publish each night's counts after the last, with the memory of those before."""
    releases, out = Releases(), []
    for n, rows in enumerate(deliveries):
        result = night(con, tmp_path / f"night{n}.duckdb", rows, releases)
        assert result.audit.findings == [] and result.audit.withheld == {}
        releases = releases.after(result.audit.told)
        out.append(published(tmp_path / f"night{n}.duckdb"))
    return out


# Night 0: A (3) is small, B (12) its complement: A + B = 60 - 20 - 25 = 15, each 0..15.
# Night 1: C falls to 9; A + C = 12, each 0..12, so B is shown: alone, safe.
NIGHT_0 = {"ALL": 60, "A": 3, "B": 12, "C": 20, "D": 25}
NIGHT_1 = {"ALL": 49, "A": 3, "B": 12, "C": 9, "D": 25}


def test_a_complement_shown_the_next_night_gives_its_small_count_away(con, tmp_path):
    alone = night(con, tmp_path / "alone.duckdb", NIGHT_1, prior=None)
    assert alone.audit.findings == []
    shown = published(tmp_path / "alone.duckdb")
    assert shown["B"] == 12 and shown["A"] is None  # with night 0: A = 15 - 12 = 3


def test_a_complement_stays_hidden_while_it_and_its_count_are_unchanged(con, tmp_path):
    first, second = nights(con, tmp_path, NIGHT_0, NIGHT_1)
    assert first == {"ALL": 60, "A": None, "B": None, "C": 20, "D": 25}
    # B hidden again: A + B = 15 (night 0) and A + B + C = 49 - 25 = 24 (night 1) tell
    # C = 9, so the total goes too (D was shown on night 0: hiding it would tell nothing);
    # then A + B = 15 and C >= 0 is all: A and B 0..15, C 0 and up
    assert second == {"ALL": None, "A": None, "B": None, "C": None, "D": 25}


def test_a_count_shown_before_is_no_complement_while_unchanged(con, tmp_path):
    # night 1: C falls to 5; alone, A (12, the smallest shown) would be its complement, but
    # night 0 showed A = 12 and B = 13: C = 30 - 12 - 13 = 5. Only the total can go.
    first, second = nights(
        con,
        tmp_path,
        {"ALL": 60, "A": 12, "B": 13, "C": 35},
        {"ALL": 30, "A": 12, "B": 13, "C": 5},
    )
    assert first == {"ALL": 60, "A": 12, "B": 13, "C": 35}
    assert second["C"] is None and second["ALL"] is None


def test_a_count_that_changed_is_a_new_unknown(con, tmp_path):
    # night 1: A and B both change (4 and 11, still 15 together): night 0's A + B = 15 is
    # about other numbers, and night 1 alone decides, as a first publish would
    night_1 = {"ALL": 60, "A": 4, "B": 11, "C": 20, "D": 25}
    _, second = nights(con, tmp_path, NIGHT_0, night_1)
    alone = night(con, tmp_path / "alone.duckdb", night_1, prior=None)
    assert alone.audit.findings == []
    assert second == published(tmp_path / "alone.duckdb")


def test_the_memory_of_releases_round_trips_and_forgets_what_no_count_reaches(tmp_path):
    path = tmp_path / "memory.json"
    releases = Releases().after(
        Told({"b": 12.0}, [((("a", 1.0), ("c", 1.0)), 15.0, float("inf"))], {"a", "b", "c"})
    )
    write_memory(path, {}, releases, b"k" * 32)
    assert read_releases(path, b"k" * 32) == releases
    assert read_releases(tmp_path / "missing.json", b"k" * 32) is None
    assert read_releases(path, b"j" * 32) is None  # another key named other counts
    # a relation pinning one count (0 where a partner's row is missing) is remembered as shown
    pinned = Releases(relations=[Remembered((("z", 1.0),), 0.0, 0.0, 1)])
    assert pinned.shown == {"z": 0.0} and pinned.relations == []
    # a, b and c all change: the relation stays RETAIN publishes, b's value with it
    later = releases
    for _ in range(RETAIN - 1):
        later = later.after(Told(current={"x"}))
    assert [r.terms for r in later.relations] == [(("a", 1.0), ("c", 1.0))]
    assert later.shown == {}  # no relation names b
    assert later.after(Told(current={"x"})).relations == []
    # a count current again renews the relation
    assert later.after(Told(current={"c"})).relations[0].last == later.publishes + 1


def test_a_range_no_suppression_tonight_can_widen_is_reported_not_withheld(con, tmp_path):
    # night 1 adds county E with nobody, the rest as on night 0: A + B + E = 15 there and
    # A + B = 15 on night 0, so E = 0 whatever night 1 hides (C, D and the total were shown
    # with the same values): reported as forced, and nothing withheld
    releases = Releases()
    night_0 = night(con, tmp_path / "night0.duckdb", NIGHT_0, releases)
    releases = releases.after(night_0.audit.told)
    night_1 = night(con, tmp_path / "night1.duckdb", {**NIGHT_0, "E": 0}, releases)
    assert night_1.audit.findings == [] and night_1.audit.withheld == {}
    assert night_1.audit.forced == [
        "c: people in row 6 (in dimension order) can be narrowed to 1 possible values "
        "(threshold 10)"
    ]
    assert published(tmp_path / "night1.duckdb") == {
        **published(tmp_path / "night0.duckdb"),
        "E": None,
    }


def test_an_earlier_count_met_in_one_relation_only_is_eliminated():
    earlier = [(EARLIER, 0, name) for name in ("t", "u")]
    a, b = ("c", 0, "people"), ("c", 1, "people")
    relations = [
        # a + b = t, t changed since and met nowhere else: a + b >= 0 says nothing: gone
        _Relation({a: 1.0, b: 1.0, earlier[0]: -1.0}, 0.0, 0.0),
        # a + u <= 9 with u met here only: a <= 9 stays (u >= 0)
        _Relation({a: 1.0, earlier[1]: 1.0}, -math.inf, 9.0),
    ]
    kept = _eliminate(relations, lambda cell: cell[0] == EARLIER)
    assert [(r.terms, r.lo, r.hi) for r in kept] == [({a: 1.0}, -math.inf, 9.0)]


def test_the_relations_linked_to_a_count_are_those_reaching_it_through_shared_counts():
    def relation(*names: str) -> Remembered:
        return Remembered(tuple((n, 1.0) for n in names), 0.0, 9.0, 1)

    # a + e <= 9 and e + f <= 9 reach a (f bounds e, which bounds a); g + h <= 9 does not
    chain, further, apart = relation("a", "e"), relation("e", "f"), relation("g", "h")
    assert linked([chain, apart, further], {"a", "b"}) == [chain, further]
    assert linked([chain, apart, further], {"h"}) == [apart]
    assert linked([chain, apart, further], {"z"}) == []
