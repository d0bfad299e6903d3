"""Integrated facts through their real SQL on hand-made staging tables: spells merge, grains
hold, and a broken grain blocks promotion."""

from __future__ import annotations

import datetime as dt

import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.person_keys import ensure_person_keys
from datalabs_pipelines.outcomes.build import build_fact
from datalabs_pipelines.outcomes.checks import (
    END_NOT_BEFORE_START,
    GRAIN_IS_UNIQUE,
    SOURCE_RECORDS_LINKED,
)
from datalabs_pipelines.outcomes.facts import all_facts

D = dt.date.fromisoformat
FACTS = {f.name: f for f in all_facts()}
CONTRACTS = all_contracts()
PROGRAM_STAGING = (
    "record_id VARCHAR, county_fips VARCHAR, dob_year INTEGER, spell_start DATE, spell_end DATE, "
    "sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
)


@pytest.fixture
def staged(con):
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE SCHEMA integrated")
    for extract in ("snap_enrollment", "tanf_enrollment", "medicaid_enrollment"):
        con.execute(f"CREATE TABLE staging.{extract} ({PROGRAM_STAGING})")
    con.execute(
        "CREATE TABLE staging.ui_claims (record_id VARCHAR, claim_id VARCHAR, county_fips VARCHAR, "
        "dob_year INTEGER, claim_filed_date DATE, benefit_end_date DATE, "
        "weekly_benefit_amount DECIMAL(18,2), last_employer_fein VARCHAR)"
    )
    ensure_person_keys(con)
    return con


def add(con, extract: str, person: str, record_id: str, *values) -> None:
    """A staged record: the table's first columns in order, the rest NULL."""
    names = [r[0] for r in con.execute(f"DESCRIBE staging.{extract}").fetchall()]
    con.execute(
        f"INSERT INTO staging.{extract} ({', '.join(names[: len(values) + 1])}) "
        f"VALUES (?, {', '.join('?' * len(values))})",
        [record_id, *values],
    )
    if person:
        con.execute(
            "INSERT INTO integrated.person_keys VALUES (?, ?, ?, true)",
            [extract, record_id, person],
        )


def test_overlapping_and_adjacent_records_are_one_spell(staged):
    snap = "snap_enrollment"
    add(staged, snap, "P1", "s:2", "17001", 1980, "2023-01-01", "2023-03-31")
    add(staged, snap, "P1", "s:3", "17001", 1980, "2023-04-01", "2023-06-30")  # adjacent
    add(staged, snap, "P1", "s:4", "17031", 1980, "2023-05-01", "2023-05-15")  # inside
    add(staged, snap, "P1", "s:5", "17043", 1980, "2023-07-02", None)  # 2-day gap: new, open
    add(staged, snap, "P2", "s:6", "17001", 1990, "2023-02-01", None)  # open ...
    add(staged, snap, "P2", "s:7", "17001", 1990, "2023-05-01", "2023-06-01")  # ... inside
    add(staged, "tanf_enrollment", "P1", "t:2", "17001", 1980, "2023-01-01", "2023-03-31")
    add(
        staged,
        "ui_claims",
        "P1",
        "u:2",
        "UIC1",
        "17001",
        1980,
        "2023-08-01",
        "2023-10-01",
        300,
        "123456789",
    )
    add(staged, snap, None, "s:8", "17001", 1970, "2023-01-01", None)  # no person_key

    outcomes = {o.name: o for o in build_fact(staged, FACTS["benefit_spells"], CONTRACTS).outcomes}
    spells = staged.execute(
        "SELECT person_key, program, start_date, end_date, county_fips, source_records "
        "FROM integrated.benefit_spells ORDER BY ALL"
    ).fetchall()
    assert spells == [
        # 01-01..03-31 + 04-01..06-30 (adjacent) + 05-01..05-15 (inside): one spell; its county
        # is the latest-starting record's (05-01, 17031)
        ("P1", "SNAP", D("2023-01-01"), D("2023-06-30"), "17031", 3),
        ("P1", "SNAP", D("2023-07-02"), None, "17043", 1),
        ("P1", "TANF", D("2023-01-01"), D("2023-03-31"), "17001", 1),
        ("P1", "UI", D("2023-08-01"), D("2023-10-01"), "17001", 1),
        ("P2", "SNAP", D("2023-02-01"), None, "17001", 2),  # open spell swallows the other
    ]
    assert outcomes[GRAIN_IS_UNIQUE].passed and outcomes[END_NOT_BEFORE_START].passed
    linked = outcomes[SOURCE_RECORDS_LINKED]
    assert not linked.passed and not linked.blocking and linked.unexpected == 1
    assert linked.samples == [{"source_extract": "snap_enrollment", "record_id": "s:8"}]


def test_spells_carry_sex_and_edfacts_race_ethnicity(staged):
    snap, tanf = "snap_enrollment", "tanf_enrollment"
    # P1: two SNAP records, Hispanic Black on one, Black not Hispanic on the other: Hispanic
    # of any race comes first in EDFacts' categories, and the spell's value is the most
    # frequent one (ties go to the smallest value: see the next test)
    add(staged, snap, "P1", "s:1", "17001", 1980, "2023-01-01", "2023-03-31", "F", "B", "H")
    add(staged, snap, "P1", "s:2", "17001", 1980, "2023-02-01", "2023-04-30", "F", "B", "H")
    add(staged, snap, "P1", "s:3", "17001", 1980, "2023-03-01", "2023-05-31", "F", "B", "N")
    # P2: sex unknown (U) is no value; two or more races (M), not Hispanic -> MU7
    add(staged, tanf, "P2", "t:1", "17001", 1990, "2023-01-01", "2023-02-28", "U", "M", "N")
    # P3: race unknown, ethnicity unknown -> no category
    add(staged, tanf, "P3", "t:2", "17001", 1990, "2023-01-01", "2023-02-28", "M", "U", "U")
    build_fact(staged, FACTS["benefit_spells"], CONTRACTS)
    rows = staged.execute(
        "SELECT person_key, sex, race_ethnicity FROM integrated.benefit_spells ORDER BY ALL"
    ).fetchall()
    assert rows == [("P1", "F", "HI7"), ("P2", None, "MU7"), ("P3", "M", None)]


def test_end_before_start_blocks_promotion_and_keeps_the_last_good_table(staged):
    add(staged, "snap_enrollment", "P1", "s:2", "17001", 1980, "2023-01-01", "2023-03-31")
    build_fact(staged, FACTS["benefit_spells"], CONTRACTS)
    add(staged, "snap_enrollment", "P2", "s:3", "17001", 1980, "2023-05-01", "2023-04-01")
    outcomes = {o.name: o for o in build_fact(staged, FACTS["benefit_spells"], CONTRACTS).outcomes}
    failed = outcomes[END_NOT_BEFORE_START]
    assert failed.blocking and not failed.passed and failed.unexpected == 1
    assert failed.samples[0]["person_key"] == "P2"
    assert staged.execute("SELECT count(*) FROM integrated.benefit_spells").fetchone()[0] == 1
    assert not staged.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%candidate'"
    ).fetchone()[0]


def test_duplicate_claim_blocks_promotion(staged):
    for rid in ("u:2", "u:3"):  # one claim id delivered twice with different amounts
        add(
            staged,
            "ui_claims",
            "P1",
            rid,
            "UIC1",
            "17001",
            1980,
            "2023-08-01",
            None,
            300 if rid == "u:2" else 310,
            "123456789",
        )
    outcomes = {o.name: o for o in build_fact(staged, FACTS["ui_claims"], CONTRACTS).outcomes}
    assert not outcomes[GRAIN_IS_UNIQUE].passed and outcomes[GRAIN_IS_UNIQUE].blocking
    assert outcomes[GRAIN_IS_UNIQUE].samples == [{"claim_id": "UIC1", "rows": "2"}]


def test_no_fact_reads_the_pii_schema_or_truth():
    for fact in FACTS.values():
        sql = fact.sql_path.read_text().lower()
        assert "pii." not in sql and "truth" not in sql, fact.name
        assert "integrated.person_keys" in sql, fact.name


def test_a_tie_between_a_spells_records_goes_to_the_smallest_value(staged):
    """Two records of one spell disagree on birth year, sex and race, once each: the smallest
    value wins whatever the records' order (a rerun publishes the same marts)."""
    snap = "snap_enrollment"
    add(staged, snap, "P1", "s:1", "17001", 1981, "2023-01-01", "2023-03-31", "M", "W", "N")
    add(staged, snap, "P1", "s:2", "17001", 1980, "2023-02-01", "2023-04-30", "F", "B", "N")
    build_fact(staged, FACTS["benefit_spells"], CONTRACTS)
    row = staged.execute(
        "SELECT birth_year, sex, race_ethnicity FROM integrated.benefit_spells"
    ).fetchall()
    assert row == [(1980, "F", "BL7")]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_a_tie_for_a_spells_county_goes_to_the_largest_county(staged, order):
    """Two records of one spell with the same dates and different counties: the county does not
    depend on which record the scan meets first."""
    snap = "snap_enrollment"
    records = [("s:1", "17001"), ("s:2", "17031")]
    for i in order:
        record_id, county = records[i]
        add(staged, snap, "P1", record_id, county, 1980, "2023-01-01", "2023-03-31", "F")
    build_fact(staged, FACTS["benefit_spells"], CONTRACTS)
    assert staged.execute("SELECT county_fips FROM integrated.benefit_spells").fetchall() == [
        ("17031",)
    ]
