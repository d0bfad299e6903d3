"""A night's clustering scope: when the key memory holds every kept record, tonight clusters
only what its deliveries can change, and every record ends under the key, probability and
flags that clustering every record would give it.

Each night is run twice from the same warehouse file: as scheduled (scoped), and with the kept
deliveries marked as not keyed, which makes the same night cluster every record with the same
preparation and the same scores. New clusters draw random keys, so the two are compared as
partitions that keep every key the records had before tonight.
"""

import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.linkage.keys import CROSSWALK
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.persons import CACHE, KEPT, person_entity
from datalabs_pipelines.linkage.run import LinkageResult, link
from datalabs_pipelines_tests.linkage.test_cohort import cohort_sources, load_cohort
from datalabs_pipelines_tests.linkage.test_prepared import (
    ARRIVING,
    STAYING,
    WITHDRAWN,
    change,
    deliver,
    random_people,
    random_rows,
    reload,
    stage_by_delivery,
    withdraw,
)

REPEATS = [
    ("ui_wages", "w9", {"employer_fein": "361234567"},
     {"full_name": "JOHNSON WILLIAM", "ssn": "234567891"}),
    # a new employer: a new profile, which links to nothing
    ("ui_wages", "w10", {"employer_fein": "369000001"},
     {"full_name": "ORTEGA LUIS", "ssn": "345678912"}),
    ("k12_enrollment", "k11", {"student_id": "0000000001", "sex": "F"},
     {"first_name": "MARIA", "last_name": "GARCIA", "dob": dt.date(2006, 5, 17)}),
]  # fmt: skip


# twenty other people named MARIA GARCIA: the name grows common, so the kept pair that joins
# student 1's K-12 profile (k1, k2) with her postsecondary one (p1) weighs less tonight, below
# the model's threshold
NAMESAKES = [
    ("ui_claims", f"c{200 + i}", {"claim_id": f"CL{200 + i}"},
     {"first_name": "MARIA", "last_name": "GARCIA", "dob": dt.date(1950 + i, 3, 3),
      "ssn": f"{610000000 + 1111 * i}"})
    for i in range(20)
]  # fmt: skip


def crosswalk(con) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT source_extract || ':' || record_id, person_key, match_probability, carries_ssn "
        f"FROM {'.'.join(CROSSWALK)}"
    ).fetchall()
    return {record: rest for record, *rest in rows}


def scored(con) -> set[tuple]:
    """The scoring cache: profiles with their content, and pairs (lists as tuples)."""
    rows = [
        *con.execute(f"SELECT * FROM {'.'.join(CACHE.profiles)}").fetchall(),
        *con.execute(f"SELECT * FROM {'.'.join(CACHE.pairs)}").fetchall(),
    ]
    return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows}


def review(con) -> set[tuple]:
    """The review table without its keys (new ones are random)."""
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'person_match_review' AND column_name NOT LIKE 'person_key%'"
        ).fetchall()
    ]
    return set(con.execute(f"SELECT {', '.join(columns)} FROM pii.person_match_review").fetchall())


def same_keying(scoped: dict, whole: dict, before: set[str]) -> None:
    """The same partition and flags; every key held before tonight kept by the same records,
    and the new keys one for one. Probabilities: the same where an agency id or an SSN ties
    the record (1.0) or nothing does (NULL); else both accepted links (a record outside the
    scope keeps the probability of the night its cluster was drawn, while kept scores move
    with the term frequencies)."""
    assert scoped.keys() == whole.keys()
    pairing = {}
    threshold = load_model().threshold_match_probability
    for record, (key, probability, carries_ssn) in scoped.items():
        other, other_probability, other_carries_ssn = whole[record]
        assert carries_ssn == other_carries_ssn, record
        if probability in (None, 1.0) or other_probability in (None, 1.0):
            assert probability == other_probability, record
        else:
            assert min(probability, other_probability) >= threshold, record
        assert pairing.setdefault(key, other) == other, record
        assert key == other or (key not in before and other not in before), record
    assert len(set(pairing.values())) == len(pairing)


def night_twice(tmp_path, night: str) -> tuple[LinkageResult, LinkageResult, dict, dict, set]:
    """Tonight on the warehouse (scoped), and on a copy clustered whole: the two results,
    crosswalks and review tables, and the keys held before tonight."""
    warehouse, copy = tmp_path / "warehouse.duckdb", tmp_path / "whole.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"UPDATE {'.'.join(KEPT.deliveries)} SET keyed = false")
        before = {key for key, *_ in crosswalk(con).values()}
        sources = cohort_sources()
        whole = link(con, person_entity(sources), load_model(), night)
        whole_keys, whole_review, whole_cache = crosswalk(con), review(con), scored(con)
    with duckdb.connect(str(warehouse)) as con:
        sources = cohort_sources()
        scoped = link(con, person_entity(sources), load_model(), night)
        assert review(con) == whole_review
        assert scored(con) == whole_cache  # kept in place, as rewriting it would leave it
        return scoped, whole, crosswalk(con), whole_keys, before


@pytest.fixture(scope="module")
def linked_once(tmp_path_factory) -> Path:
    """The cohort staged by delivery and linked once (everything prepared and clustered)."""
    path = tmp_path_factory.mktemp("linked_once") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        sources = load_cohort(con)
        stage_by_delivery(con, sources)
        first = link(con, person_entity(sources), load_model(), "night-1")
        assert first.clustered_in_full == "every record was prepared"
    return path


@pytest.fixture
def warehouse(linked_once: Path, tmp_path: Path) -> Path:
    """A folder holding the test's own copy of ``linked_once``'s warehouse file."""
    shutil.copy(linked_once, tmp_path / "warehouse.duckdb")
    return tmp_path


def test_the_hand_made_arrivals_are_clustered_within_their_scope(warehouse):
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        deliver(con, ARRIVING, "d2")
    scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, "night-2")
    assert scoped.clustered_in_full == ""
    assert whole.clustered_in_full == "the key memory does not hold every kept record"
    assert 0 < scoped.records_clustered < scoped.records == whole.records_clustered
    same_keying(scoped_keys, whole_keys, before)
    assert (scoped.entities, scoped.new_keys, scoped.merges, scoped.splits) == (
        whole.entities,
        whole.new_keys,
        whole.merges,
        whole.splits,
    )
    # one more wage record of William Johnson and one more enrollment of student 1, each as
    # its person's kept records read, and one of Luis Ortega at a new employer (a new profile
    # no pair links): they join, and nothing is clustered again
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        deliver(con, REPEATS, "d3")
    scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, "night-3")
    assert (scoped.clustered_in_full, scoped.records_clustered) == ("", 0)
    assert scoped.records_joining == len(REPEATS) and scoped.new_keys == 0
    same_keying(scoped_keys, whole_keys, before)
    assert scoped_keys["ui_wages:w9"] == scoped_keys["ui_wages:w1"]
    assert scoped_keys["ui_wages:w10"] == scoped_keys["ui_wages:w5"]
    assert scoped.new_profiles == 1
    assert scoped_keys["k12_enrollment:k11"] == scoped_keys["k12_enrollment:k1"]
    # nothing new: nothing to cluster, nothing changes
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        again = link(con, person_entity(cohort_sources()), load_model(), "night-4")
        assert (again.clustered_in_full, again.records_clustered, again.new_keys) == ("", 0, 0)
        assert crosswalk(con) == scoped_keys


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_scoped_night_keys_every_record_as_clustering_all_does(warehouse, seed: int):
    rng = random.Random(seed)
    people = random_people(rng)
    for night in range(2, 6):
        with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
            deliver(con, random_rows(rng, people, f"d{night}", 40), f"d{night}")
        scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, f"night-{night}")
        assert scoped.clustered_in_full == ""
        assert scoped.records_clustered + scoped.records_joining <= scoped.records
        same_keying(scoped_keys, whole_keys, before)
        assert (scoped.entities, scoped.merges, scoped.splits) == (
            whole.entities,
            whole.merges,
            whole.splits,
        )


def test_a_withdrawn_record_its_name_and_ssn_outlive_moves_no_key(warehouse):
    """Zed Alpha's labelling record and one of Yan Beta's three go: only Zed Alpha's remaining
    record (its cluster relabelled, its profile new) is clustered again; both keep their keys."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        deliver(con, WITHDRAWN, "e1")
        deliver(con, STAYING, "e2")
    night_twice(warehouse, "night-2")
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        held = crosswalk(con)
        withdraw(con, "e1")
    scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, "night-3")
    assert (scoped.clustered_in_full, scoped.records_removed) == ("", 2)
    assert scoped.records_clustered == 1 and scoped.new_keys == 0
    same_keying(scoped_keys, whole_keys, before)
    for record in ("ui_wages:b0", "ui_wages:b2", "ui_wages:b3"):
        assert scoped_keys[record][0] == held[record][0]
    assert "ui_wages:a0" not in scoped_keys and "ui_wages:z1" not in scoped_keys


def test_a_correction_giving_a_removed_records_id_to_another_person_stays_scoped(warehouse):
    """A corrected file whose lines moved: enrollment ``x1`` was a student alone (Zed Quinn)
    and is now one more of student 1's (Maria Garcia, whose K-12 cluster Splink links to her
    postsecondary one). The key memory's row ``x1`` is Zed Quinn's, taken out: it brings his
    key into the scope, not the cluster the new ``x1`` joins, so no linked pair crosses the
    scope's edge and the new ``x1`` joins Maria Garcia's key."""
    zed = {"first_name": "ZED", "last_name": "QUINN", "dob": dt.date(2007, 3, 3)}
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        deliver(con, [("k12_enrollment", "x1", {"student_id": "0000000099"}, zed)], "e1")
    night_twice(warehouse, "night-2")
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        held = crosswalk(con)
        con.execute(
            "UPDATE staging.k12_enrollment SET student_id = '0000000001', sex = 'F' "
            "WHERE record_id = 'x1'"
        )
        con.execute(
            "UPDATE pii.k12_enrollment_identities SET first_name = 'MARIA', "
            "last_name = 'GARCIA', dob = DATE '2006-05-17' WHERE record_id = 'x1'"
        )
        reload(con, "e1")
    scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, "night-3")
    assert (scoped.clustered_in_full, scoped.records_removed) == ("", 1)
    same_keying(scoped_keys, whole_keys, before)
    assert scoped_keys["k12_enrollment:x1"][0] == held["k12_enrollment:k1"][0]
    assert held["k12_enrollment:x1"][0] not in {key for key, *_ in scoped_keys.values()}
    assert (scoped.entities, scoped.merges, scoped.splits) == (
        whole.entities,
        whole.merges,
        whole.splits,
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_a_night_of_corrections_and_withdrawals_keys_every_record_as_clustering_all_does(
    warehouse, seed: int
):
    rng = random.Random(seed)
    people = random_people(rng)
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        for night in range(2, 5):
            deliver(con, random_rows(rng, people, f"d{night}", 40), f"d{night}")
        link(con, person_entity(cohort_sources()), load_model(), "night-2-4")
    changes = [("correct", "d3"), ("withdraw", "d2"), ("correct", "d5"), ("reload", "d4")]
    for night, (kind, delivery) in enumerate(changes, start=5):
        with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
            change(con, rng, kind, delivery)
            deliver(con, random_rows(rng, people, f"d{night}", 10), f"d{night}")
        scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, f"night-{night}")
        assert scoped.clustered_in_full == "", kind
        assert (scoped.records_removed == 0) == (kind == "reload"), kind
        same_keying(scoped_keys, whole_keys, before)
        assert (scoped.entities, scoped.merges, scoped.splits) == (
            whole.entities,
            whole.merges,
            whole.splits,
        )


def test_a_run_that_did_not_write_keys_leaves_the_next_night_clustering_all(warehouse):
    """Kept records the key memory does not hold (a run that failed after preparing) make the
    next night cluster every record."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        deliver(con, ARRIVING, "d2")
        con.execute(f"UPDATE {'.'.join(KEPT.deliveries)} SET keyed = false")
        result = link(con, person_entity(cohort_sources()), load_model(), "night-2")
        assert result.clustered_in_full == "the key memory does not hold every kept record"
        keyed = con.execute(f"SELECT bool_and(keyed) FROM {'.'.join(KEPT.deliveries)}")
        assert keyed.fetchone()[0] is True


def test_kept_deliveries_without_the_keyed_flag_are_clustered_whole_once(warehouse):
    """A warehouse kept before the flag existed: its first night clusters every record and
    sets the flag; the next is scoped."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        con.execute(f"ALTER TABLE {'.'.join(KEPT.deliveries)} DROP COLUMN keyed")
        deliver(con, ARRIVING, "d2")
        first = link(con, person_entity(cohort_sources()), load_model(), "night-2")
        assert first.clustered_in_full == "the key memory does not hold every kept record"
        deliver(con, REPEATS, "d3")
        second = link(con, person_entity(cohort_sources()), load_model(), "night-3")
        assert second.clustered_in_full == "" and second.records_joining == len(REPEATS)


def test_a_kept_pair_tonights_frequencies_unlink_is_clustered_again(warehouse):
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        linked = crosswalk(con)
        deliver(con, NAMESAKES, "d2")
    scoped, whole, scoped_keys, whole_keys, before = night_twice(warehouse, "night-2")
    assert linked["postsecondary_enrollment:p1"][0] == linked["k12_enrollment:k1"][0]
    assert scoped_keys["postsecondary_enrollment:p1"][0] != scoped_keys["k12_enrollment:k1"][0]
    assert scoped.clustered_in_full == "" and scoped.splits == whole.splits == 1
    same_keying(scoped_keys, whole_keys, before)
