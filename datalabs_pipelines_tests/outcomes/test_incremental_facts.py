"""A fact rebuilt by slice equals the fact rebuilt whole, night after night.

Hand-made cohorts of staged wage and benefit records go through what nights bring: a new
quarter, a corrected delivery (values changed, a record moved to another quarter, lines added
and dropped), a withdrawn delivery, linkage merging and splitting persons, a night with
nothing new. After each, the incremental build must equal a whole rebuild of the same staging
and keys (the fact's SQL over all records), and must have recomputed only the touched slices.
"""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.linkage.person_keys import ensure_person_keys
from datalabs_pipelines.outcomes import incremental
from datalabs_pipelines.outcomes.build import build_candidate, build_fact
from datalabs_pipelines.outcomes.checks import END_NOT_BEFORE_START, SOURCE_RECORDS_LINKED
from datalabs_pipelines.outcomes.facts import all_facts

FACTS = {f.name: f for f in all_facts()}
CONTRACTS = all_contracts()
WAGES = (
    "record_id VARCHAR, year BIGINT, quarter BIGINT, employer_fein VARCHAR, naics VARCHAR, "
    "wages DECIMAL(18, 2), county_fips VARCHAR"
)
PROGRAM = (
    "record_id VARCHAR, county_fips VARCHAR, dob_year INTEGER, spell_start DATE, spell_end DATE, "
    "sex VARCHAR, race VARCHAR, ethnicity VARCHAR"
)
PROGRAMS = ("snap_enrollment", "tanf_enrollment", "medicaid_enrollment")
PERSONS = [f"P{i}" for i in range(12)]


@pytest.fixture
def cohort():
    with duckdb.connect() as con:
        yield con, fill_cohort(con)


def fill_cohort(con: duckdb.DuckDBPyConnection) -> random.Random:
    """Four delivered wage quarters of 12 people and two SNAP/TANF deliveries, each record
    linked; random but seeded, so every run sees the same cohort. Returns the generator, for
    the nights' deliveries."""
    rng = random.Random(20)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute(f"CREATE TABLE staging.ui_wages ({WAGES})")
    for extract in PROGRAMS:
        con.execute(f"CREATE TABLE staging.{extract} ({PROGRAM})")
    con.execute(
        "CREATE TABLE staging.ui_claims (record_id VARCHAR, claim_id VARCHAR, "
        "county_fips VARCHAR, dob_year INTEGER, claim_filed_date DATE, benefit_end_date DATE, "
        "weekly_benefit_amount DECIMAL(18,2), last_employer_fein VARCHAR)"
    )
    ensure_person_keys(con)
    for quarter in range(1, 5):
        wage_quarter(con, rng, f"w{quarter}", 2023, quarter)
    for delivery in ("s1", "s2"):
        benefit_delivery(con, rng, "snap_enrollment", delivery)
    benefit_delivery(con, rng, "tanf_enrollment", "t1")
    return rng


def link(con, extract: str, record_id: str, person: str) -> None:
    con.execute(
        "INSERT INTO integrated.person_keys VALUES (?, ?, ?, true)", [extract, record_id, person]
    )


def wage_quarter(con, rng: random.Random, delivery: str, year: int, quarter: int) -> None:
    """A delivery of one quarter: most people, one or two employers each."""
    line = 0
    for person in rng.sample(PERSONS, 9):
        for employer in rng.sample(["111", "222", "333"], rng.randint(1, 2)):
            line += 1
            record = f"{delivery}:{line}"
            wages = rng.randint(100, 9000)
            con.execute(
                "INSERT INTO staging.ui_wages VALUES (?, ?, ?, ?, ?, ?, ?)",
                [record, year, quarter, employer, "722511", wages, "17031"],
            )
            link(con, "ui_wages", record, person)


def benefit_delivery(con, rng: random.Random, extract: str, delivery: str) -> None:
    """Records of some people, some overlapping or adjacent to earlier ones."""
    for line in range(1, 9):
        record = f"{delivery}:{line}"
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        end = start + dt.timedelta(days=rng.randint(20, 120))
        con.execute(
            f"INSERT INTO staging.{extract} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [record, "17031", 1980, start, end, rng.choice("FM"), "W", "N"],
        )
        link(con, extract, record, rng.choice(PERSONS))


def contents(con, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def whole(con, name: str) -> list[tuple]:
    """The fact's SQL over every record now, without touching the live table or its ledger."""
    build_role_views(con, CONTRACTS, FACTS[name].roles)
    build_candidate(con, FACTS[name])
    rows = contents(con, f"integrated.{name}__candidate")
    con.execute(f"DROP TABLE integrated.{name}__candidate")
    return rows


def night(con, name: str):
    """Build incrementally; check the result and its ledger against a whole rebuild."""
    built = build_fact(con, FACTS[name], CONTRACTS)
    assert built.promoted
    assert built.mode == incremental.INCREMENTAL, built.reason
    assert contents(con, f"integrated.{name}") == whole(con, name)
    incremental.define_inputs(con, FACTS[name], CONTRACTS)  # the whole role views again
    assert contents(con, f"integrated.{name}_inputs") == contents(con, incremental.INPUTS)
    return built


FACT_NAMES = ["employment_quarters", "benefit_spells"]


@pytest.mark.parametrize("name", FACT_NAMES)
def test_the_first_build_is_whole_and_a_quiet_night_recomputes_nothing(cohort, name):
    con, _ = cohort
    first = build_fact(con, FACTS[name], CONTRACTS)
    assert (first.mode, first.reason) == (incremental.FULL, "no previous build")
    built = night(con, name)
    assert (built.records_changed, built.slices_recomputed) == (0, 0)


def test_a_new_quarter_recomputes_only_that_quarter(cohort):
    con, rng = cohort
    build_fact(con, FACTS["employment_quarters"], CONTRACTS)
    wage_quarter(con, rng, "w5", 2024, 1)
    built = night(con, "employment_quarters")
    new = con.execute("SELECT count(*) FROM staging.ui_wages WHERE record_id LIKE 'w5:%'")
    assert built.records_changed == new.fetchone()[0]
    assert built.slices_recomputed == 9  # nine people worked in 2024Q1


def test_a_corrected_delivery_moves_changes_and_drops_records(cohort):
    con, _ = cohort
    build_fact(con, FACTS["employment_quarters"], CONTRACTS)
    con.execute("UPDATE staging.ui_wages SET wages = wages + 1 WHERE record_id = 'w2:1'")
    con.execute("UPDATE staging.ui_wages SET quarter = 3 WHERE record_id = 'w2:2'")  # moved
    con.execute("DELETE FROM staging.ui_wages WHERE record_id = 'w2:3'")
    con.execute("INSERT INTO staging.ui_wages VALUES ('w2:99', 2023, 2, '444', NULL, 5, NULL)")
    link(con, "ui_wages", "w2:99", "P0")
    built = night(con, "employment_quarters")
    assert built.records_changed == 4


def test_a_withdrawn_delivery_leaves_no_row_of_its_own(cohort):
    con, _ = cohort
    build_fact(con, FACTS["employment_quarters"], CONTRACTS)
    build_fact(con, FACTS["benefit_spells"], CONTRACTS)
    for extract, prefix in (("ui_wages", "w3:"), ("snap_enrollment", "s2:")):
        con.execute(f"DELETE FROM staging.{extract} WHERE starts_with(record_id, ?)", [prefix])
        con.execute(
            "DELETE FROM integrated.person_keys WHERE source_extract = ? "
            "AND starts_with(record_id, ?)",
            [extract, prefix],
        )
    night(con, "employment_quarters")
    night(con, "benefit_spells")
    quarter_3 = "SELECT count(*) FROM integrated.employment_quarters WHERE quarter = 3"
    assert con.execute(quarter_3).fetchone()[0] == 0
    assert contents(con, "integrated.employment_quarters_inputs")  # the ledger follows
    assert not con.execute(
        "SELECT count(*) FROM integrated.employment_quarters_inputs WHERE record_id LIKE 'w3:%'"
    ).fetchone()[0]


@pytest.mark.parametrize("name", FACT_NAMES)
def test_linkage_merging_and_splitting_persons(cohort, name):
    con, _ = cohort
    build_fact(con, FACTS[name], CONTRACTS)
    a, b, c = (p for (p,) in con.execute(
        f"SELECT DISTINCT person_key FROM integrated.{name} ORDER BY 1 LIMIT 3"
    ).fetchall())  # fmt: skip
    con.execute("UPDATE integrated.person_keys SET person_key = ? WHERE person_key = ?", [a, b])
    con.execute(
        "UPDATE integrated.person_keys SET person_key = 'P99' WHERE person_key = ? "
        "AND record_id IN (SELECT min(record_id) FROM integrated.person_keys WHERE person_key = ?)",
        [c, c],
    )
    built = night(con, name)
    assert built.records_changed > 1
    touched = con.execute(
        f"SELECT count(*) FROM integrated.{name} WHERE person_key IN (?, ?, 'P99')", [a, c]
    ).fetchone()[0]
    # b's slices are gone (deleted), a's, c's and P99's recomputed; no one else's
    assert (
        0
        < built.slices_recomputed
        <= touched
        + (con.execute("SELECT count(*) FROM fact_slices WHERE person_key = ?", [b]).fetchone()[0])
    )


def test_new_benefit_records_join_and_bridge_spells(cohort):
    con, rng = cohort
    build_fact(con, FACTS["benefit_spells"], CONTRACTS)
    benefit_delivery(con, rng, "snap_enrollment", "s3")
    # a record spanning all of P0's year of TANF bridges whatever spells P0 had there
    con.execute(
        "INSERT INTO staging.tanf_enrollment VALUES "
        "('t2:1', '17031', 1980, DATE '2023-01-01', DATE '2023-12-31', 'F', 'W', 'N')"
    )
    link(con, "tanf_enrollment", "t2:1", "P0")
    built = night(con, "benefit_spells")
    assert 0 < built.slices_recomputed < len(PERSONS)


def test_a_night_after_nights_equals_a_whole_rebuild(cohort):
    """All of it in a row: the ledger carried from night to night stays right."""
    con, rng = cohort
    for name in FACT_NAMES:
        build_fact(con, FACTS[name], CONTRACTS)
    wage_quarter(con, rng, "w5", 2024, 1)
    benefit_delivery(con, rng, "snap_enrollment", "s3")
    for name in FACT_NAMES:
        night(con, name)
    con.execute("UPDATE integrated.person_keys SET person_key = 'P4' WHERE person_key = 'P5'")
    con.execute("DELETE FROM staging.ui_wages WHERE record_id LIKE 'w1:%'")
    for name in FACT_NAMES:
        night(con, name)
    wage_quarter(con, rng, "w6", 2024, 2)
    for name in FACT_NAMES:
        night(con, name)


def test_a_changed_declaration_or_a_run_config_rebuilds_whole(cohort):
    con, _ = cohort
    fact = FACTS["employment_quarters"]
    build_fact(con, fact, CONTRACTS)
    assert build_fact(con, fact, CONTRACTS, full_rebuild=True).mode == incremental.FULL
    con.execute("UPDATE integrated.employment_quarters_inputs SET built_with = 'older code'")
    built = build_fact(con, fact, CONTRACTS)
    assert built.mode == incremental.FULL and "changed" in built.reason
    assert build_fact(con, fact, CONTRACTS).mode == incremental.INCREMENTAL


def test_a_failing_slice_keeps_the_live_table_and_its_ledger(cohort):
    con, _ = cohort
    fact = FACTS["benefit_spells"]
    build_fact(con, fact, CONTRACTS)
    before = contents(con, "integrated.benefit_spells")
    con.execute(
        "INSERT INTO staging.snap_enrollment VALUES "
        "('s9:1', '17031', 1980, DATE '2023-05-01', DATE '2023-04-01', 'F', 'W', 'N')"
    )
    link(con, "snap_enrollment", "s9:1", "P0")
    built = build_fact(con, fact, CONTRACTS)
    assert built.mode == incremental.INCREMENTAL and not built.promoted
    assert {o.name for o in built.outcomes if not o.passed} == {END_NOT_BEFORE_START}
    assert contents(con, "integrated.benefit_spells") == before
    # the ledger did not take the record in: the next night still sees it as new
    con.execute("UPDATE staging.snap_enrollment SET spell_end = DATE '2023-06-01' "
                "WHERE record_id = 's9:1'")  # fmt: skip
    assert night(con, "benefit_spells").records_changed == 1


def test_a_night_reports_every_record_without_a_person_key(cohort):
    """The linkage check reads the ledger with the night's changes: a new record without a key
    and a kept one that lost its key are both reported, as a whole build reports them."""
    con, _ = cohort
    fact = FACTS["employment_quarters"]
    build_fact(con, fact, CONTRACTS)
    con.execute("INSERT INTO staging.ui_wages VALUES ('w9:1', 2023, 2, '444', NULL, 5, NULL)")
    con.execute("DELETE FROM integrated.person_keys WHERE record_id = 'w1:1'")
    built = night(con, "employment_quarters")
    linked = next(o for o in built.outcomes if o.name == SOURCE_RECORDS_LINKED)
    whole_build = build_fact(con, fact, CONTRACTS, full_rebuild=True)
    assert linked == next(o for o in whole_build.outcomes if o.name == SOURCE_RECORDS_LINKED)
    assert (linked.passed, linked.unexpected) == (False, 2)
    assert [s["record_id"] for s in linked.samples] == ["w1:1", "w9:1"]
