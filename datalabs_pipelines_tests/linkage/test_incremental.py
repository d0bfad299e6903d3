"""Incremental linkage: a night that scores only pairs touching new profiles ends where a full
re-clustering of the same records ends.

On the hand-made cohort of ``test_cohort`` plus two people the full run keeps apart (a K-12
record and a wage record sharing only a name), a second delivery brings a record that joins an
existing person (C's postsecondary enrollment: name and date of birth), one that founds a person,
and a claim carrying the K-12 record's date of birth and the wage record's SSN: it bridges the
two into one person.
"""

import datetime as dt
from dataclasses import replace

import duckdb
import pytest

from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.persons import person_entity
from datalabs_pipelines.linkage.run import link
from datalabs_pipelines_tests.linkage.test_cohort import load_cohort, partition

D = dt.date
# (extract, record_id, open values, identities): before the first run, apart
APART = [
    ("k12_enrollment", "k50", {"student_id": "0000000050", "sex": "F"},
     {"first_name": "PRIYA", "last_name": "RAMANATHAN", "dob": D(2001, 7, 19)}),
    ("ui_wages", "w50", {"employer_fein": "369000001"},
     {"full_name": "RAMANATHAN PRIYA", "ssn": "456789123"}),
]  # fmt: skip
ARRIVING = [
    # joins C (k3): name and date of birth
    ("postsecondary_enrollment", "p2", {"institution_id": "149001", "student_record_id": "U2"},
     {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 11, 2), "zip": "60616"}),
    # founds a person of its own
    ("ui_claims", "c60", {"claim_id": "CL60"},
     {"first_name": "ZELDA", "last_name": "QUIMBY", "dob": D(1970, 1, 1), "ssn": "567891234"}),
    # bridges k50 (date of birth) and w50 (SSN)
    ("ui_claims", "c50", {"claim_id": "CL50"},
     {"first_name": "PRIYA", "last_name": "RAMANATHAN", "dob": D(2001, 7, 19),
      "ssn": "456789123"}),
]  # fmt: skip


def insert(con, rows) -> None:
    for extract, record_id, open_values, identities in rows:
        for table, values in ((f"staging.{extract}", open_values),
                              (f"pii.{extract}_identities", identities)):  # fmt: skip
            columns = ["record_id", *values]
            con.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [record_id, *values.values()],
            )


def keys(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())


@pytest.fixture(scope="module")
def nights():
    """Night 1 links the cohort (full: no cache yet); night 2, after the arrivals,
    incrementally. Yields (connection, sources, model, night 1, night 2, keys after each,
    the profiles night 1 scored)."""
    model = load_model()
    with duckdb.connect() as con:
        sources = load_cohort(con)
        insert(con, APART)
        first = link(con, person_entity(sources), model, "night-1")
        before = keys(con)
        first_profiles = {
            p
            for (p,) in con.execute("SELECT profile_id FROM pii.person_scored_profiles").fetchall()
        }
        insert(con, ARRIVING)
        second = link(con, person_entity(sources), model, "night-2")
        yield con, sources, model, first, second, before, keys(con), first_profiles


def test_first_night_is_full_and_keeps_the_pair_apart(nights):
    _, _, _, first, _, before, _, _ = nights
    assert not first.incremental and first.full_reason == "no cache"
    assert first.new_profiles == first.profiles and first.pairs_cached == 0
    assert before["k50"] != before["w50"]


def test_second_night_scores_only_pairs_touching_new_profiles(nights):
    _, _, _, first, second, _, _, _ = nights
    assert second.incremental and second.full_reason == ""
    # the three arrivals are new profiles, and so is any profile whose deterministic
    # cluster the bridge relabelled; most profiles are not
    assert 3 <= second.new_profiles < second.profiles / 10
    assert second.pairs_compared < first.pairs_compared
    assert second.pairs_cached > 0


def test_joins_founds_and_merges_as_expected_and_keys_persist(nights):
    _, _, _, _, second, before, after, _ = nights
    assert after["p2"] == after["k3"] == before["k3"]
    assert after["c60"] not in set(before.values())
    assert after["c50"] == after["k50"] == after["w50"]
    assert after["c50"] in (before["k50"], before["w50"])
    assert second.merges > 0
    unmoved = set(before) - {"k50", "w50"}
    assert {r: after[r] for r in unmoved} == {r: before[r] for r in unmoved}


def scored_pairs(con, touching: set[str]) -> dict[tuple[str, str], float]:
    """The cached pairs with at least one profile in ``touching``, and their probability."""
    return {
        (left, right): p
        for left, right, p in con.execute(
            "SELECT id_l, id_r, match_probability FROM pii.person_scored_pairs"
        ).fetchall()
        if left in touching or right in touching
    }


def test_incremental_equals_a_full_reclustering(nights):
    con, sources, model, _, second, _, after, first_profiles = nights
    tonight = {
        p for (p,) in con.execute("SELECT profile_id FROM pii.person_scored_profiles").fetchall()
    }
    new = tonight - first_profiles
    incremental_pairs = scored_pairs(con, tonight)
    full = link(con, person_entity(sources), model, "night-2-full", full=True)
    # every pair, kept or touching a new profile: the same pairs with the same scores (term
    # frequencies over all of tonight's profiles, as in the full run; kept scores moved to them)
    full_pairs = scored_pairs(con, tonight)
    assert scored_pairs(con, new) and incremental_pairs.keys() == full_pairs.keys()
    assert all(abs(incremental_pairs[k] - full_pairs[k]) < 1e-12 for k in full_pairs)
    assert not full.incremental and full.full_reason == "full_relink requested"
    assert partition(keys(con)) == partition(after)
    assert keys(con) == after and full.new_keys == 0
    # the full run scored every pair the incremental one scored or kept, and no more
    # (its count includes pairs below the review probability, which the cache drops)
    assert full.pairs_compared >= second.pairs_compared + second.pairs_cached
    assert full.links == second.links


def test_a_changed_model_or_a_reestimation_scores_everything(nights):
    con, sources, model, *_ = nights
    again = link(con, person_entity(sources), model, "night-3")
    assert again.incremental and again.new_profiles == 0 and again.pairs_compared == 0
    changed = replace(model, threshold_match_probability=model.threshold_match_probability - 1e-6)
    assert changed.version != model.version
    result = link(con, person_entity(sources), changed, "night-4")
    assert not result.incremental and result.full_reason == "model or declaration changed"
    assert link(con, person_entity(sources), changed, "night-5").incremental
    reestimated = link(con, person_entity(sources), model, "night-6", reestimated=True)
    assert reestimated.full_reason == "re-estimation requested"
    # a cache written before pairs kept their term frequencies is scored in full once
    link(con, person_entity(sources), model, "night-7")
    con.execute("ALTER TABLE pii.person_scored_pairs DROP COLUMN tf_used")
    older = link(con, person_entity(sources), model, "night-8")
    assert older.full_reason == "the cache keeps no term frequencies"
    assert link(con, person_entity(sources), model, "night-9").incremental
