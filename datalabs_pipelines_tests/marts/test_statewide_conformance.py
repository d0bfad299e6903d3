"""Conformance of the yearly and statewide marts and the shared macros: each measure computed
through the real SQL on a hand-made cohort whose answers were worked out by hand (the
arithmetic is in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from datalabs_pipelines.governance.disclosure import gate_table, verify_gated
from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines_tests.outcomes.cohort import MARTS, build_mart, create_facts, insert, spell
from datalabs_pipelines_tests.outcomes.cohort import wage as wage_row

D = dt.date.fromisoformat


@pytest.fixture
def facts(con):
    create_facts(con)
    return con


# --- macros -----------------------------------------------------------------------------------
# Wilson score intervals without continuity correction, as tabulated by Newcombe (1998),
# "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17,
# Table I, method 3: 81/263 -> 0.2553-0.3662, 15/148 -> 0.0624-0.1605, 0/20 -> 0-0.1611,
# 1/29 -> 0.0061-0.1718. For 1/2: centre (0.5 + 1.96^2/4) / (1 + 1.96^2/2) = 0.5, half-width
# 1.96 / 2.9207 * sqrt(0.125 + 3.8415/16) = 0.4055 -> 0.0945-0.9055.
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (1, 2, 0.0945, 0.9055),
        (2, 2, 0.3424, 1.0),
    ],
)
def test_wilson_interval(con, x, n, low, high):
    prepare(con)
    got = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)", [x, n, x, n]).fetchone()
    assert got == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    assert 0.0 <= got[0] <= x / n <= got[1] <= 1.0


def test_wilson_interval_of_no_one_is_null(con):
    prepare(con)
    assert con.execute("SELECT wilson_low(0, 0), wilson_high(NULL, 5)").fetchone() == (None, None)


@pytest.mark.parametrize(
    ("amounts", "median"),
    [
        (["100.00", "100.01"], "100.01"),  # 100.005 rounds half up (truncation gave 100.00)
        (["1.00", "1.01"], "1.01"),  # 1.005: a binary double would round it down
        (["0.01", "0.02", "0.04"], "0.02"),  # odd count: the middle value
        (["2500.00"], "2500.00"),
    ],
)
def test_median_of_cents_rounds_half_up(con, amounts, median):
    prepare(con)
    con.execute("CREATE TABLE amounts (amount DECIMAL(18, 2))")
    con.executemany("INSERT INTO amounts VALUES (?)", [[Decimal(a)] for a in amounts])
    assert con.execute("SELECT median_cents(amount) FROM amounts").fetchone()[0] == Decimal(median)


def test_reference_tables_name_codes(con):
    prepare(con)
    assert con.execute(
        "SELECT county_name FROM ref_counties WHERE county_fips = '17031'"
    ).fetchone() == ("Cook County",)
    assert con.execute("SELECT sector_title FROM ref_naics_sectors WHERE naics2 = '23'").fetchone()
    assert con.execute("SELECT count(*) FROM ref_race_ethnicity").fetchone() == (8,)


# --- safety_net_annual ------------------------------------------------------------------------
# The data run to 2024-12-31 (P3's spell end); the first exit is 2023-01-20, so years 2023 and
# 2024 are whole.
ANNUAL_SPELLS = [
    # P1: SNAP twice in 2023 (counted once), exit 2023-01-20, back 2023-03-01 (40 days: churn)
    spell("P1", "SNAP", "2023-01-01", "2023-01-20", "17031", 1990, "F", "WH7"),
    spell("P1", "SNAP", "2023-03-01", "2024-02-10", "17031", 1990, "F", "WH7"),
    # P2: exit 2023-02-28 from 17003, back 2023-07-01 (123 days: not churn) in 17043
    spell("P2", "SNAP", "2023-02-01", "2023-02-28", "17003", 2010, "M", "BL7"),
    spell("P2", "SNAP", "2023-07-01", None, "17043", 2010, "M", "BL7"),
    # P3: Medicaid, nothing known about the person
    spell("P3", "Medicaid", "2023-01-10", "2024-12-31", "17031", None),
    spell("P4", "UI", "2023-01-05", "2023-02-05"),  # UI is not a safety-net program here
]


def test_safety_net_annual_by_hand(facts):
    insert(facts, "benefit_spells", ANNUAL_SPELLS)
    rows = build_mart(facts, "safety_net_annual")

    # SNAP 2023: P1 and P2 enrolled -> 2 (P1's two spells count once). Exits: P1 (Jan), P2
    # (Feb) -> 2; returned within 90 days: P1 -> 1; churn 1/2, Wilson 0.0945-0.9055.
    snap = rows[("SNAP", 2023, "all", "ALL")]
    assert (snap["enrolled"], snap["exits"], snap["returned_within_90_days"]) == (2, 2, 1)
    assert snap["churn_rate"] == 0.5 and snap["churn_observed"] and snap["year_complete"]
    assert snap["churn_rate_low"] == pytest.approx(0.0945, abs=1e-4)
    assert snap["churn_rate_high"] == pytest.approx(0.9055, abs=1e-4)
    assert snap["group_name"] == "All people"

    # Counties: P1 in Cook (17031); P2 enrolled in 17043 (its latest spell in 2023), its exit
    # in 17003 -> a 17003 row with 0 enrolled and 1 exit.
    cook = rows[("SNAP", 2023, "county", "17031")]
    assert (cook["enrolled"], cook["exits"], cook["group_name"]) == (1, 1, "Cook County")
    assert (rows[("SNAP", 2023, "county", "17003")]["enrolled"]) == 0
    assert rows[("SNAP", 2023, "county", "17043")]["enrolled"] == 1

    # Sex, race/ethnicity, age band (2023 - 1990 = 33; 2023 - 2010 = 13).
    female = rows[("SNAP", 2023, "sex", "F")]
    assert (female["enrolled"], female["returned_within_90_days"], female["churn_rate"]) == (
        1,
        1,
        1.0,
    )
    assert female["group_name"] == "Female"
    assert rows[("SNAP", 2023, "race_ethnicity", "BL7")]["group_name"] == (
        "Black or African American"
    )
    assert rows[("SNAP", 2023, "age_band", "25-44")]["enrolled"] == 1
    assert rows[("SNAP", 2023, "age_band", "0-17")]["enrolled"] == 1

    # SNAP 2024: P1 (to 10 February) and P2 (open) -> 2; P1's exit -> 1; churn after
    # 2024-12-31 is not observed (the data end that day).
    later = rows[("SNAP", 2024, "all", "ALL")]
    assert (later["enrolled"], later["exits"]) == (2, 1)
    assert later["returned_within_90_days"] is None and later["churn_rate_low"] is None
    assert not later["churn_observed"] and later["year_complete"]

    # Medicaid: P3 with no sex, race or birth year recorded.
    assert rows[("Medicaid", 2023, "sex", "U")]["group_name"] == "Not reported"
    assert rows[("Medicaid", 2023, "race_ethnicity", "UNK")]["enrolled"] == 1
    assert rows[("Medicaid", 2023, "age_band", "unknown")]["enrolled"] == 1
    assert not [k for k in rows if k[0] == "UI"]


def test_gate_hides_an_interval_with_its_rate(facts):
    """24 SNAP exits in 2023 in Cook, 12 of them back within 90 days; 3 exits, none back, in
    DuPage. DuPage's 3 and 0 are hidden with their churn interval; Cook's 24 and 12 go too
    (27 - 24 and 12 - 12 would give DuPage away); the state's 12 of 27 (rest 15) stays."""
    cook, dupage = ("17031", 1990, "F", "WH7"), ("17043", 1990, "F", "WH7")
    spells = [spell(f"X{i}", "SNAP", "2023-01-01", "2023-02-15", *cook) for i in range(24)]
    spells += [spell(f"X{i}", "SNAP", "2023-03-01", None, *cook) for i in range(12)]
    spells += [spell(f"Y{i}", "SNAP", "2023-01-01", "2023-02-15", *dupage) for i in range(3)]
    spells.append(spell("Z", "Medicaid", "2023-01-01", "2024-12-31", *cook))
    insert(facts, "benefit_spells", spells)
    build_mart(facts, "safety_net_annual")
    declaration = MARTS["safety_net_annual"]
    gate_table(facts, declaration, "marts.safety_net_annual", "gated", 10)
    assert verify_gated(facts, declaration, "gated", 10) == []
    got = {
        group: rest
        for group, *rest in facts.execute(
            "SELECT group_code, exits, churn_rate_low, churn_rate_high_suppressed FROM gated "
            "WHERE program = 'SNAP' AND year = 2023 AND breakdown IN ('all', 'county')"
        ).fetchall()
    }
    assert got["17043"] == [None, None, True]
    assert got["17031"] == [None, None, True]
    # 12 / 27: centre (0.4444 + 0.0711) / 1.1423 = 0.4513, half-width 1.7158 * sqrt(0.009145 +
    # 0.001317) = 0.1755 -> 0.2759-0.6268
    assert got["ALL"] == [27, pytest.approx(0.2759, abs=1e-4), False]


# --- workforce_outcomes_statewide -------------------------------------------------------------
# Wage records cover 2023Q1 (8092) to 2025Q4 (8103), fixed by Z.
STATEWIDE_SPELLS = [
    spell("A", "SNAP", "2022-06-01", "2023-02-15", "17031", 1990, "F", "WH7"),  # 2023Q1
    spell("A", "SNAP", "2023-06-01", "2023-11-30", "17031", 1990, "F", "WH7"),  # again 2023Q4
    spell("B", "SNAP", "2022-06-01", "2023-05-20", "17031", 2000, "M", "BL7"),  # 2023Q2
    spell("C", "SNAP", "2022-06-01", "2023-08-10", "17043", 1980, "F", "HI7"),  # 2023Q3
    spell("D", "SNAP", "2022-06-01", "2023-03-01", "17031", 1950),  # 73: not working age
    spell("E", "TANF", "2022-06-01", "2023-01-31", "17031", 1990, "F", "BL7"),  # 2023Q1
    spell("G", "SNAP", "2024-06-01", "2025-02-01", "17031", 1990, "M", "WH7"),  # 2025Q1
    spell("H", "UI", "2022-12-01", "2023-03-10", "17031", 1985),  # UI, 2023Q1
]
STATEWIDE_WAGES = [
    wage_row("A", 2023, 3, Decimal("3000.00")),  # A: 2nd quarter after 2023Q1 ...
    wage_row("A", 2024, 1, Decimal("3000.00")),  # ... and the 4th: retained
    wage_row("B", 2023, 4, Decimal("1000.01")),  # B: 2nd quarter after 2023Q2, not the 4th
    wage_row("C", 2024, 3, Decimal("500.00")),  # C: the 4th quarter after 2023Q3 only
    wage_row("E", 2023, 3, Decimal("700.00")),  # E: 2nd and 4th quarter after 2023Q1
    wage_row("E", 2024, 1, Decimal("700.00")),
    wage_row("Z", 2023, 1, 1),
    wage_row("Z", 2025, 4, 1),
]


def test_workforce_outcomes_statewide_by_hand(facts):
    insert(facts, "benefit_spells", STATEWIDE_SPELLS)
    insert(facts, "employment_quarters", STATEWIDE_WAGES)
    rows = build_mart(facts, "workforce_outcomes_statewide")

    # SNAP 2023: exiters A (once, at 2023Q1), B, C -> 3 (D is 73). Employed in the 2nd quarter:
    # A, B -> 2 (2/3; Wilson 0.2077-0.9385). In the 4th: A, C -> 2. Retained (2nd and 4th): A
    # -> 1 of the 2 employed in the 2nd quarter = 0.5 (Wilson 0.0945-0.9055). Median earnings
    # (3000.00 + 1000.01) / 2 = 2000.005 -> 2000.01, half up.
    snap = rows[("SNAP", 2023, "all", "ALL")]
    assert (snap["exiters"], snap["employed_q2"], snap["employed_q4"], snap["retained_q4"]) == (
        3,
        2,
        2,
        1,
    )
    assert snap["employment_rate_q2"] == pytest.approx(2 / 3)
    assert snap["employment_rate_q2_low"] == pytest.approx(0.2077, abs=1e-4)
    assert snap["employment_rate_q2_high"] == pytest.approx(0.9385, abs=1e-4)
    assert snap["retention_rate_q4"] == 0.5
    # B worked in the 2nd quarter only, C in the 4th only: 2 = 1 + 1 both ways.
    assert (snap["employed_q2_not_q4"], snap["employed_q4_not_q2"]) == (1, 1)
    assert snap["retention_rate_q4_low"] == pytest.approx(0.0945, abs=1e-4)
    assert snap["median_earnings_q2"] == Decimal("2000.01")
    assert snap["year_complete"]

    # Breakdowns: A and C are F, B is M; ages 33 (25-34), 23 (18-24), 43 (35-44).
    assert rows[("SNAP", 2023, "sex", "F")]["exiters"] == 2
    assert rows[("SNAP", 2023, "sex", "M")]["retained_q4"] == 0
    assert rows[("SNAP", 2023, "age_band", "18-24")]["exiters"] == 1
    assert rows[("SNAP", 2023, "race_ethnicity", "HI7")]["group_name"] == "Hispanic/Latino"
    assert rows[("SNAP", 2023, "county", "17043")]["group_name"] == "DuPage County"

    # TANF 2023: E employed in the 2nd and 4th quarter -> Q4 job retention 1 of 1.
    tanf = rows[("TANF", 2023, "all", "ALL")]
    assert (tanf["exiters"], tanf["retained_q4"], tanf["retention_rate_q4"]) == (1, 1, 1.0)

    # SNAP 2025: G (2025Q1) has its 2nd quarter (2025Q3) but not its 4th; later exits of 2025
    # have neither, so the year is incomplete.
    late = rows[("SNAP", 2025, "all", "ALL")]
    assert late["exiters"] == 1 and not late["year_complete"]
    assert late["employed_q4"] is None and late["retention_rate_q4"] is None

    # UI claims record no sex or race: no such rows for UI.
    assert rows[("UI", 2023, "all", "ALL")]["exiters"] == 1
    assert not [k for k in rows if k[0] == "UI" and k[2] in ("sex", "race_ethnicity")]


# --- student_outcomes_statewide ---------------------------------------------------------------


def test_student_outcomes_statewide_by_hand(facts):
    graduates = [("S1", "2024-05-28", 2024), ("S2", "2024-05-28", 2024), ("S3", "2025-05-20", 2025)]
    insert(
        facts,
        "k12_graduates",
        [
            {
                "person_key": p,
                "district_id": "0310001",
                "graduation_date": d,
                "cohort_year": y,
                "diploma_type": "Regular",
            }
            for p, d, y in graduates
        ],
    )
    k12 = [  # S1's latest record says Hispanic; S3 has no K-12 enrollment record
        ("S1", "2020-08-20", "F", "WH7"),
        ("S1", "2023-08-20", "F", "HI7"),
        ("S2", "2023-08-20", "M", "BL7"),
    ]
    insert(
        facts,
        "k12_enrollments",
        [
            {"person_key": p, "school_id": "x", "entry_date": d, "sex": s, "race_ethnicity": r}
            for p, d, s, r in k12
        ],
    )
    insert(
        facts,
        "postsecondary_enrollments",
        [
            {
                "person_key": "S1",
                "institution_id": "1",
                "term": "2024FA",
                "enroll_date": "2024-08-26",
            },
            {
                "person_key": "S3",
                "institution_id": "1",
                "term": "2025FA",
                "enroll_date": "2025-08-25",
            },
        ],
    )
    # The latest term start is 2025-08-25, but an award on 2025-12-21 shows the postsecondary
    # data run to then: the 2024 cohort's window (2024-05-28 + 16 months = 2025-09-28) is
    # covered; the 2025 cohort's (2026-09-20) is not.
    insert(
        facts,
        "postsecondary_completions",
        [
            {
                "person_key": "S1",
                "institution_id": "1",
                "award_level": "Certificate",
                "completion_date": "2025-12-21",
            }
        ],
    )
    # 2024Q2 graduation + 4 quarters = 2025Q2; wages run to 2025Q4.
    insert(
        facts,
        "employment_quarters",
        [wage_row("S2", 2025, 2, Decimal("4000.00")), wage_row("Z", 2025, 4, 1)],
    )
    rows = build_mart(facts, "student_outcomes_statewide")

    state = rows[(2024, "all", "ALL")]
    assert (state["graduates"], state["enrolled_16m"], state["completed"]) == (2, 1, 1)
    assert state["window_complete"]
    assert state["enrollment_rate_16m_low"] == pytest.approx(0.0945, abs=1e-4)
    assert (state["not_enrolled"], state["not_enrolled_employed"]) == (1, 1)
    assert state["not_enrolled_median_earnings"] == Decimal("4000.00")
    assert not rows[(2025, "all", "ALL")]["window_complete"]

    assert rows[(2024, "race_ethnicity", "HI7")]["enrolled_16m"] == 1
    assert rows[(2024, "sex", "M")]["not_enrolled_employed"] == 1
    unknown = rows[(2025, "sex", "U")]
    assert (unknown["graduates"], unknown["group_name"]) == (1, "Not reported")


# --- procurement_program_utilization ----------------------------------------------------------


def procurement_tables(con) -> None:
    """The integrated procurement tables the mart reads, by hand: FY2024 runs July 2023 to
    June 2024; V1 holds MBE (to 2024) and WBE (to June 2023), V2 holds VBE from 2024."""
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        "CREATE TABLE integrated.procurement_programs AS SELECT * FROM (VALUES "
        "('BEP', 30.0, 'Business Enterprise Program'), ('VBP', 3.0, 'Veterans')) "
        "t(program, goal_pct, description)"
    )
    con.execute(
        "CREATE TABLE integrated.value_maps AS SELECT 'registry' AS source_extract, "
        "'certification_type' AS column_name, code, field, value FROM (VALUES "
        "('MBE', 'ownership', 'minority'), ('MBE', 'program', 'BEP'), "
        "('WBE', 'ownership', 'women'), ('WBE', 'program', 'BEP'), "
        "('VBE', 'ownership', 'veteran'), ('VBE', 'program', 'VBP')) t(code, field, value)"
    )
    con.execute(
        "CREATE TABLE integrated.certifications AS SELECT vendor_key, program, ownership, "
        "valid_from::DATE AS valid_from, valid_to::DATE AS valid_to, NULL::VARCHAR AS flag "
        "FROM (VALUES ('V1', 'BEP', 'minority', '2023-01-01', '2024-12-31'), "
        "('V1', 'BEP', 'women', '2023-01-01', '2023-06-30'), "
        "('V2', 'VBP', 'veteran', '2024-01-01', '2025-12-31')) "
        "t(vendor_key, program, ownership, valid_from, valid_to)"
    )
    con.execute(
        "CREATE TABLE integrated.procurement_fiscal_years AS SELECT 2024::BIGINT AS fiscal_year, "
        "DATE '2023-07-01' AS starts_on, DATE '2024-06-30' AS ends_on"
    )
    con.execute(
        "CREATE TABLE integrated.procurement_awards AS SELECT record_id, agency_code, "
        "2024::BIGINT AS fiscal_year, vendor_key, award_date::DATE AS award_date, "
        "award_amount::DECIMAL(18, 2) AS award_amount FROM (VALUES "
        "('a1', 'DOT', 'V1', '2023-08-01', 100), ('a2', 'DOT', 'V2', '2023-09-01', 300), "
        "('a3', 'DOT', 'V3', '2023-10-01', 600)) "
        "t(record_id, agency_code, vendor_key, award_date, award_amount)"
    )
    con.execute(
        "CREATE TABLE integrated.procurement_payments AS SELECT record_id, agency_code, "
        "2024::BIGINT AS fiscal_year, vendor_key, effective_date::DATE AS effective_date, "
        "amount::DECIMAL(18, 2) AS amount FROM (VALUES "
        "('p0', 'DOT', 'V3', '2023-07-05', 0), ('p1', 'DOT', 'V1', '2024-03-01', 50), "
        "('p2', 'DOT', 'V2', '2024-03-01', 150), ('p3', 'DOT', 'V3', '2024-03-01', 800), "
        "('p4', 'HFS', 'V1', '2024-06-20', 100)) "
        "t(record_id, agency_code, vendor_key, effective_date, amount)"
    )


def test_procurement_program_utilization_by_hand(con):
    procurement_tables(con)
    rows = build_mart(con, "procurement_program_utilization")

    # DOT awards: 1000 in all; V1's 100 is MBE on 2023-08-01 (its WBE ended in June); V2's 300
    # came before its VBE began. BEP 100 / 1000 = 10 %, goal 30 -> 20 points short.
    bep = rows[(2024, "DOT", "awards", "BEP", "all")]
    assert (bep["total_amount"], bep["certified_amount"]) == (Decimal(1000), Decimal(100))
    assert (bep["utilization_pct"], bep["goal_pct"], bep["gap_to_goal_pp"]) == (10.0, 30.0, 20.0)
    assert bep["agency_name"] == "Department of Transportation"
    assert rows[(2024, "DOT", "awards", "BEP", "minority")]["certified_amount"] == 100
    assert rows[(2024, "DOT", "awards", "BEP", "women")]["certified_amount"] == 0
    assert rows[(2024, "DOT", "awards", "BEP", "minority")]["goal_pct"] is None
    assert rows[(2024, "DOT", "awards", "VBP", "all")]["certified_amount"] == 0

    # DOT payments: 1000; BEP 50 (5 %, 25 points short), VBP 150 (15 %, 12 points above).
    assert rows[(2024, "DOT", "payments", "BEP", "all")]["gap_to_goal_pp"] == 25.0
    vbp = rows[(2024, "DOT", "payments", "VBP", "veteran")]
    assert (vbp["certified_amount"], vbp["utilization_pct"]) == (Decimal(150), 15.0)
    assert rows[(2024, "DOT", "payments", "VBP", "all")]["gap_to_goal_pp"] == -12.0

    # The state: payments 1100, BEP 50 + 100 (HFS) = 150 -> 13.64 %.
    state = rows[(2024, "ALL", "payments", "BEP", "all")]
    assert (state["total_amount"], state["certified_amount"]) == (Decimal(1100), Decimal(150))
    assert state["utilization_pct"] == 13.64 and state["agency_name"] == "All agencies"
    # Lines run 2023-07-05 to 2024-06-20: July 2023 to June 2024, the whole fiscal year.
    assert state["fiscal_year_complete"]


@pytest.mark.parametrize(
    "name", ["safety_net_annual", "workforce_outcomes_statewide", "student_outcomes_statewide"]
)
def test_statewide_marts_build_the_declared_columns(facts, name):
    build_mart(facts, name)
    built = [r[0] for r in facts.execute(f"DESCRIBE marts.{name}").fetchall()]
    assert built == [c.name for c in MARTS[name].columns]
