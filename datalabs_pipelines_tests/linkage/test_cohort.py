"""A tiny cohort whose right clustering was worked out by hand, linked end to end.

Person A  (William Johnson, 1980-03-04, SSN 234-56-7891) on SNAP twice (once as BILL without
          SSN: the member id ties them), in two wage records (SSN) and one UI claim with a
          typo, day and month swapped and the same SSN (corroborated by the swapped date).
Person B  (Maria Garcia, 2006-05-17, no SSN): two K-12 years and a graduation (student id),
          and a postsecondary enrollment that only name and date of birth can link.
Person C  another Maria Garcia, born 2006-11-02: never B.
Person D  a wage record whose SSN is A's (a keying error) under another name: never A.
Person E  a claim with no name, date of birth or SSN: a key of its own, counted unlinkable.
Persons F and G share the placeholder SSN 123-45-6789, which must never match.
Person H  (Luis Ortega) a K-12 record carrying his SSN (where the state collects it) and a
          wage record (SSN and name, no date of birth): the SSN and the name join them.
Three hundred other students, one record each, make the population in which names are weighed:
in a cohort of eight alone MARIA would be the commonest name there is.
"""

import datetime as dt
import json
import re

import duckdb
import pytest

from datalabs_pipelines.cleaning.standardize import SQL_TYPES
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.persons import person_entity
from datalabs_pipelines.linkage.run import link
from datalabs_pipelines.linkage.sources import person_sources

D = dt.date
FILLER_FIRST = [
    "NOAH", "LIAM", "ETHAN", "MASON", "LUCAS", "OLIVER", "ELIJAH", "AIDEN", "CALEB", "HENRY",
    "OWEN", "WYATT", "JACK", "LEVI", "JULIAN", "HUDSON", "EZRA", "ASHER", "THEO", "MILES",
]  # fmt: skip
FILLER_LAST = [
    "SMITH", "NGUYEN", "PATEL", "KOWALSKI", "OBRIEN", "KIM", "ROSSI", "DIAZ", "MORENO",
    "HUGHES", "FOSTER", "BRYANT", "HAYES", "MYERS", "PRICE",
]  # fmt: skip
COHORT = {
    "snap_enrollment": [
        ("A", "s1", {"member_id": "SM1", "sex": "M"},
         {"first_name": "WILLIAM", "last_name": "JOHNSON", "dob": D(1980, 3, 4),
          "ssn": "234567891", "zip": "60601"}),
        ("A", "s2", {"member_id": "SM1", "sex": "M"},
         {"first_name": "BILL", "last_name": "JOHNSON", "dob": D(1980, 3, 4), "zip": "60601"}),
        ("F", "s3", {"member_id": "SM2", "sex": "M"},
         {"first_name": "JAMES", "last_name": "BROWN", "dob": D(1975, 1, 1),
          "ssn": "123456789"}),
    ],
    "ui_wages": [
        ("A", "w1", {"employer_fein": "361234567"},
         {"full_name": "JOHNSON WILLIAM", "ssn": "234567891"}),
        ("A", "w2", {"employer_fein": "361234567"},
         {"full_name": "JOHNSON WILLIAM", "ssn": "234567891"}),
        ("D", "w3", {"employer_fein": "369999999"},
         {"full_name": "OKAFOR CHIDI", "ssn": "234567891"}),
        ("H", "w5", {"employer_fein": "361234567"},
         {"full_name": "ORTEGA LUIS", "ssn": "345678912"}),
    ],
    "ui_claims": [
        ("A", "c1", {}, {"first_name": "WILLIAM", "last_name": "JONSON", "dob": D(1980, 4, 3),
                         "ssn": "234567891"}),
        ("E", "c2", {}, {}),
        ("G", "c3", {}, {"first_name": "ANNA", "last_name": "LEE", "dob": D(1990, 2, 2),
                         "ssn": "123456789"}),
    ],
    "k12_enrollment": [
        ("B", "k1", {"student_id": "0000000001", "sex": "F"},
         {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 5, 17)}),
        ("B", "k2", {"student_id": "0000000001", "sex": "F"},
         {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 5, 17)}),
        ("C", "k3", {"student_id": "0000000002", "sex": "F"},
         {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 11, 2)}),
        ("H", "k4", {"student_id": "0000000003", "sex": "M"},
         {"first_name": "LUIS", "last_name": "ORTEGA", "dob": D(2005, 8, 9),
          "ssn": "345678912"}),
    ],
    "k12_graduation": [("B", "g1", {"student_id": "0000000001"}, {})],
    "k12_enrollment_others": [
        (f"S{i}", f"k{1000 + i}", {"student_id": f"{1000 + i:010d}", "sex": "M"},
         {"first_name": first, "last_name": last,
          "dob": D(2004 + i % 5, 1 + i % 12, 1 + i % 28)})
        for i, (first, last) in enumerate(
            (f, last)
            for f in FILLER_FIRST
            for last in FILLER_LAST
        )
    ],
    "postsecondary_enrollment": [
        ("B", "p1", {"institution_id": "149001", "student_record_id": "U1"},
         {"first_name": "MARIA", "last_name": "GARCIA", "dob": D(2006, 5, 17),
          "zip": "60616"}),
    ],
}  # fmt: skip


def cohort_rows(extract: str) -> list[tuple]:
    return COHORT[extract] + COHORT.get(f"{extract}_others", [])


def cohort_sources() -> dict:
    """The cohort's person sources, as ``load_cohort`` returns them."""
    return person_sources([c for c in all_contracts() if c.name in COHORT])


def load_cohort(con) -> dict:
    contracts = [c for c in all_contracts() if c.name in COHORT]
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE SCHEMA pii")
    for contract in contracts:
        open_cols = [c.name for c in contract.open_columns]
        con.execute(
            f"CREATE TABLE staging.{contract.name} (record_id VARCHAR, "
            + ", ".join(f"{c} VARCHAR" for c in open_cols)
            + ")"
        )
        pii_cols = {c.name: SQL_TYPES[c.type] for c in contract.pii_columns}
        if pii_cols:
            con.execute(
                f"CREATE TABLE pii.{contract.name}_identities (record_id VARCHAR, "
                + ", ".join(f"{c} {t}" for c, t in pii_cols.items())
                + ")"
            )
        for _, record_id, open_values, pii_values in cohort_rows(contract.name):
            marks = ", ".join("?" * (1 + len(open_cols)))
            con.execute(
                f"INSERT INTO staging.{contract.name} VALUES ({marks})",
                [record_id, *(open_values.get(c) for c in open_cols)],
            )
            if pii_cols:
                con.execute(
                    f"INSERT INTO pii.{contract.name}_identities "
                    f"VALUES ({', '.join('?' * (1 + len(pii_cols)))})",
                    [record_id, *(pii_values.get(c) for c in pii_cols)],
                )
    return cohort_sources()


def partition(keys: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for record, key in keys.items():
        groups.setdefault(key, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def linked():
    """The cohort linked once: (connection, sources, model, result of run-1)."""
    model = load_model()
    with duckdb.connect() as con:
        sources = load_cohort(con)
        yield con, sources, model, link(con, person_entity(sources), model, "run-1")


def test_cohort_clusters_as_worked_out_by_hand(linked):
    con, _, _, result = linked
    keys = dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())
    expected: dict[str, set[str]] = {}
    for rows in COHORT.values():
        for person, record_id, _, _ in rows:
            expected.setdefault(person, set()).add(record_id)
    assert partition(keys) == {frozenset(v) for v in expected.values()}
    assert all(re.fullmatch(r"P[0-9a-f]{12}", k) for k in keys.values())
    records = sum(len(rows) for rows in COHORT.values())
    assert (result.records, result.entities) == (records, len(expected))
    # c2 has no identifier at all (unlinkable), g1 only its student id
    assert result.record_counts == {"records_without_identifiers": 2, "records_unlinkable": 1}
    # blocking, not all pairs: under a thousandth of the cross product
    assert result.pairs_compared < records * (records - 1) / 2 / 1000
    p = dict(
        con.execute("SELECT record_id, match_probability FROM pii.person_crosswalk").fetchall()
    )
    # s2 is tied by an agency id (1.0), c2 stands alone (NULL); p1 is linked by Splink alone,
    # so at or above the model's threshold and short of certainty (whatever the model's version)
    assert p["s2"] == 1.0 and p["c2"] is None
    assert linked[2].threshold_match_probability <= p["p1"] < 1.0


def test_records_carrying_an_ssn_are_flagged(linked):
    """A's records with his SSN, H's K-12 and wage records; not BILL (no SSN), not F's
    placeholder, not B's K-12 records."""
    con, _, _, _ = linked
    carries = dict(
        con.execute("SELECT record_id, carries_ssn FROM pii.person_crosswalk").fetchall()
    )
    assert {r for r, c in carries.items() if c} == {"s1", "w1", "w2", "w3", "c1", "w5", "k4"}


def test_cohort_keys_survive_a_rerun_and_a_new_delivery(linked):
    con, sources, model, _ = linked
    before = dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())
    again = link(con, person_entity(sources), model, "run-2")
    assert again.new_keys == 0
    con.execute(
        "INSERT INTO staging.ui_wages (record_id, employer_fein) VALUES ('w4', '361234567')"
    )
    con.execute("INSERT INTO pii.ui_wages_identities VALUES ('w4', '234567891', 'JOHNSON BILL')")
    grown = link(con, person_entity(sources), model, "run-3")
    after = dict(con.execute("SELECT record_id, person_key FROM pii.person_crosswalk").fetchall())
    assert {r: after[r] for r in before} == before
    assert after["w4"] == before["w1"] and grown.new_keys == 0
    assert con.execute("SELECT count(*) FROM pii.person_key_changes").fetchone()[0] == 0
    assert not con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%splink%'"
    ).fetchall()


def test_every_run_records_the_model_it_used(linked):
    """Every run so far (run-1, and runs 2 and 3 when the test before ran) scored with the
    committed model as it is; an opt-in re-estimated run records whether it re-estimated and
    what the guard rail refused (comparison, level, bits only)."""
    con, sources, model, _ = linked
    used = con.execute(
        "SELECT run_id, committed_version, used_version, reestimated "
        "FROM integrated.person_linkage_models ORDER BY run_id"
    ).fetchall()
    assert used[0] == ("run-1", model.version, model.version, False)
    assert all(row[1:] == (model.version, model.version, False) for row in used)
    result = link(con, person_entity(sources), model, "run-4", reestimated=True)
    reestimated, refused = con.execute(
        "SELECT reestimated, refused FROM integrated.person_linkage_models WHERE run_id = 'run-4'"
    ).fetchone()
    assert reestimated == result.model["reestimated"]
    assert all(set(d) == {"comparison", "level", "delta_log2_bf"} for d in json.loads(refused))
