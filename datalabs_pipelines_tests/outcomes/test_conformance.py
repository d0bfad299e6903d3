"""Conformance: each outcome metric computed through the real mart SQL on a hand-made cohort
whose answers were worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from datalabs_pipelines.governance.disclosure import gate_table, verify_gated
from datalabs_pipelines_tests.outcomes.cohort import (
    MARTS,
    build_mart,
    create_facts,
    insert,
    spell,
    wage,
)

D = dt.date.fromisoformat


@pytest.fixture
def facts(con):
    create_facts(con)
    return con


# --- workforce_outcomes -----------------------------------------------------------------------
# Wage records cover 2023Q1..2024Q4 (quarter_index 8092..8099; Z's records fix the range), so
# exit quarters with a 2nd quarter after exit inside it run to 2024Q2; 4th-quarter outcomes are
# known for exits up to 2023Q4.
WORKFORCE_SPELLS = [
    spell("A", "SNAP", "2022-06-01", "2023-02-15"),  # exit 2023Q1
    spell("B", "SNAP", "2022-06-01", "2023-03-31"),  # exit 2023Q1, wages only in the 3rd qtr
    spell("C", "SNAP", "2022-06-01", "2023-02-01"),  # exit 2023Q1, no wage records at all
    spell("D", "SNAP", "2022-06-01", "2023-05-20"),  # exit 2023Q2
    spell("E", "SNAP", "2022-06-01", "2023-01-20"),  # returns after 40 days: churn, no exit
    spell("E", "SNAP", "2023-03-01", "2023-06-30"),  # ... so E exits in 2023Q2
    spell("F", "SNAP", "2022-06-01", "2023-02-10", birth_year=2015),  # a child: not counted
    spell("G", "TANF", "2022-06-01", "2023-02-10", county="17003"),  # TANF exit 2023Q1
    spell("H", "UI", "2024-03-01", "2024-09-30"),  # exit 2024Q3: 2nd quarter not observed
    spell("I", "SNAP", "2023-06-01", "2024-02-15"),  # exit 2024Q1: 4th quarter not observed
    spell("J", "SNAP", "2022-06-01", None),  # still enrolled: no exit
]
WORKFORCE_WAGES = [
    wage("A", 2023, 3, 3000, employer="111111111"),  # A, 2nd qtr after 2023Q1: 3000 + 2000
    wage("A", 2023, 3, 2000, employer="222222222"),
    wage("A", 2024, 1, 4000),  # A, 4th qtr after 2023Q1
    wage("B", 2023, 4, 7000),  # B: 3rd quarter after exit only
    wage("D", 2023, 4, 9000),  # D, 2nd qtr after 2023Q2
    wage("D", 2024, 2, 0),  # D, 4th qtr: a record with zero wages is not employment
    wage("E", 2023, 4, 1000),  # E, 2nd qtr after 2023Q2
    wage("E", 2024, 2, 1500),  # E, 4th qtr
    wage("G", 2023, 3, 2500),  # G, 2nd qtr after 2023Q1
    wage("I", 2024, 3, 6000),  # I, 2nd qtr after 2024Q1
    wage("Z", 2023, 1, 100),  # Z: not an exiter; fixes the wage data's first and last quarter
    wage("Z", 2024, 4, 100),
]


def test_workforce_outcomes_by_hand(facts):
    insert(facts, "benefit_spells", WORKFORCE_SPELLS)
    insert(facts, "employment_quarters", WORKFORCE_WAGES)
    rows = build_mart(facts, "workforce_outcomes")

    # SNAP 2023Q1, county 17001: exiters A, B, C = 3 (E's first end is churn, F is a child).
    # Employed in 2023Q3: A only (5000) -> 1, rate 1/3, median 5000. In 2024Q1: A -> 1/3.
    q1 = rows[("SNAP", "2023Q1", "17001")]
    assert (q1["exiters"], q1["employed_q2"], q1["employed_q4"]) == (3, 1, 1)
    assert q1["employment_rate_q2"] == pytest.approx(1 / 3)
    assert q1["employment_rate_q4"] == pytest.approx(1 / 3)
    assert q1["median_earnings_q2"] == Decimal("5000.00")
    # Wilson 1/3: centre (0.3333 + 3.8415/6) / (1 + 3.8415/3) = 0.4269, half-width
    # 1.96 / 2.2805 * sqrt(0.07407 + 0.10671) = 0.3654 -> 0.0615-0.7923
    assert q1["employment_rate_q2_low"] == pytest.approx(0.0615, abs=1e-4)
    assert q1["employment_rate_q2_high"] == pytest.approx(0.7923, abs=1e-4)
    assert q1["county_name"] == "17001"  # Adams County is not among the sample's counties

    # SNAP 2023Q2: exiters D, E = 2. 2023Q4: D 9000, E 1000 -> 2, rate 1, median
    # (1000 + 9000) / 2 = 5000. 2024Q2: E 1500 (D's record is 0) -> 1, rate 1/2.
    q2 = rows[("SNAP", "2023Q2", "17001")]
    assert (q2["exiters"], q2["employed_q2"], q2["employed_q4"]) == (2, 2, 1)
    assert q2["employment_rate_q2"] == 1.0 and q2["employment_rate_q4"] == 0.5
    assert q2["median_earnings_q2"] == Decimal("5000.00")

    # SNAP 2024Q1: I, employed in 2024Q3 (6000); 2025Q1 is not in the data -> NULL.
    q5 = rows[("SNAP", "2024Q1", "17001")]
    assert (q5["exiters"], q5["employed_q2"], q5["median_earnings_q2"]) == (1, 1, 6000)
    assert q5["employed_q4"] is None and q5["employment_rate_q4"] is None
    assert q5["employment_rate_q4_low"] is None and q5["employment_rate_q4_high"] is None

    # TANF 2023Q1, county 17003: G employed in 2023Q3 (2500), not in 2024Q1.
    tanf = rows[("TANF", "2023Q1", "17003")]
    assert (tanf["exiters"], tanf["employed_q2"], tanf["employed_q4"]) == (1, 1, 0)
    assert tanf["median_earnings_q2"] == Decimal("2500.00")

    # The state rows add up the counties; medians are over all the state's employed exiters.
    assert rows[("SNAP", "2023Q1", "ALL")]["exiters"] == 3
    assert rows[("TANF", "2023Q1", "ALL")]["exiters"] == 1
    # H (UI, exit 2024Q3) has no 2nd quarter in the data; J never exited.
    assert not [k for k in rows if k[0] == "UI"]
    assert {k[1] for k in rows} == {"2023Q1", "2023Q2", "2024Q1"}


# --- safety_net_enrollment --------------------------------------------------------------------
# The data run to 2023-12-31 (the latest date recorded); the first exit is 2023-01-31, so
# months run January to December 2023.
SAFETY_NET_SPELLS = [
    spell("P1", "SNAP", "2023-01-01", "2023-03-15", county="17001"),
    spell("P1", "Medicaid", "2023-02-10", None, county="17001"),
    spell("P2", "SNAP", "2023-01-15", "2023-01-31", county="17003"),  # exits in January ...
    spell("P2", "SNAP", "2023-04-15", "2023-06-30", county="17003"),  # ... back 74 days later
    spell("P3", "SNAP", "2023-02-01", "2023-02-28", county="17005"),  # exits in February ...
    spell("P3", "SNAP", "2023-06-01", "2023-12-31", county="17005"),  # ... back 93 days later
    spell("P4", "UI", "2023-01-05", "2023-02-05"),  # UI is not a safety-net program here
]


def test_safety_net_enrollment_by_hand(facts):
    insert(facts, "benefit_spells", SAFETY_NET_SPELLS)
    rows = build_mart(facts, "safety_net_enrollment")
    jan, feb, mar = D("2023-01-01"), D("2023-02-01"), D("2023-03-01")

    # January SNAP: P1 (17001) and P2 (17003) -> 2 in the state; nobody on Medicaid yet.
    assert rows[("SNAP", jan, "ALL")]["enrolled"] == 2
    assert rows[("SNAP", jan, "17003")]["enrolled"] == 1
    assert rows[("SNAP", jan, "ALL")]["enrolled_with_medicaid"] == 0
    # P2 exits 2023-01-31 and returns 2023-04-15: 74 days <= 90 -> churn; 1 / 1.
    jan_exit = rows[("SNAP", jan, "17003")]
    assert (jan_exit["exits"], jan_exit["returned_within_90_days"]) == (1, 1)
    assert jan_exit["churn_rate"] == 1.0 and jan_exit["churn_observed"]
    # Wilson 1/1: centre (1 + 1.9207) / 4.8415 = 0.6033, half-width 0.3967 -> 0.2065-1
    assert jan_exit["churn_rate_low"] == pytest.approx(0.2065, abs=1e-4)
    assert jan_exit["churn_rate_high"] == 1.0
    assert rows[("SNAP", jan, "ALL")]["county_name"] == "State"

    # February SNAP: P1 and P3 -> 2; P1 also on Medicaid (from 10 February) -> 1.
    assert rows[("SNAP", feb, "ALL")]["enrolled"] == 2
    assert rows[("SNAP", feb, "ALL")]["enrolled_with_medicaid"] == 1
    assert rows[("SNAP", feb, "ALL")]["enrolled_with_snap"] is None  # own program
    # P3 exits 2023-02-28, back 2023-06-01: 93 days > 90 -> an exit, not churn.
    assert rows[("SNAP", feb, "17005")]["returned_within_90_days"] == 0
    assert rows[("SNAP", feb, "17005")]["churn_rate"] == 0.0

    # March: P1 only (to 15 March), on Medicaid too; Medicaid in March: P1, also on SNAP.
    assert rows[("SNAP", mar, "ALL")]["enrolled"] == 1
    assert rows[("Medicaid", mar, "ALL")]["enrolled_with_snap"] == 1
    assert rows[("Medicaid", D("2023-12-01"), "ALL")]["enrolled_with_snap"] == 0

    # September 30 + 90 days = 29 December <= 31 December: churn known; October's is not.
    assert rows[("SNAP", D("2023-09-01"), "ALL")]["churn_observed"]
    december = rows[("SNAP", D("2023-12-01"), "ALL")]
    assert december["exits"] == 1 and december["returned_within_90_days"] is None
    assert not december["churn_observed"]
    assert {k[1] for k in rows} == {D(f"2023-{m:02d}-01") for m in range(1, 13)}
    assert not [k for k in rows if k[0] == "UI"]


def test_safety_net_enrollment_counts_a_mover_once_a_month_in_the_latest_county(facts):
    """A person who moves mid-month counts once that month, in the county of the program's
    latest spell; the spell left behind is an exit of its own county."""
    insert(
        facts,
        "benefit_spells",
        SAFETY_NET_SPELLS
        + [
            spell("P5", "SNAP", "2023-04-01", "2023-05-10", county="17001"),
            spell("P5", "SNAP", "2023-05-20", "2023-07-31", county="17003"),  # 10 days later
            spell("P5", "TANF", "2023-05-01", "2023-05-31", county="17001"),
        ],
    )
    rows = build_mart(facts, "safety_net_enrollment")
    may = D("2023-05-01")
    # May SNAP: P2 (17003) and P5 (17003, its latest spell) -> 2; 17001 keeps only P5's exit.
    assert rows[("SNAP", may, "ALL")]["enrolled"] == 2
    assert rows[("SNAP", may, "17003")]["enrolled"] == 2
    left = rows[("SNAP", may, "17001")]
    assert (left["enrolled"], left["exits"], left["returned_within_90_days"]) == (0, 1, 1)
    # P5 is on TANF in 17001 in May and on SNAP that month: once each way.
    assert rows[("SNAP", may, "ALL")]["enrolled_with_tanf"] == 1
    assert rows[("TANF", may, "17001")]["enrolled"] == 1
    assert rows[("TANF", may, "17001")]["enrolled_with_snap"] == 1
    assert rows[("TANF", may, "17001")]["enrolled_with_medicaid"] == 0


# --- student_outcomes -------------------------------------------------------------------------
# Cohort 2023 graduates on 2023-06-01 (2023Q2, quarter_index 8093): the 16-month window ends
# 2024-10-01; employment is read in 2024Q2 (8093 + 4 = 8097).
GRADUATES = [
    ("S1", "0010001", "Regular"),  # enrolls 2024-08-15: month 15 -> enrolled
    ("S2", "0010001", "Regular"),  # enrolls 2024-10-15: month 17 -> not; wages 4000
    ("S3", "0010001", "Honors"),  # never enrolls, no wages
    ("S4", "0010001", "Regular"),  # enrolls 2023-08-20, certificate 2024-05-10
    ("S5", "0010001", "Alternative"),  # not a regular diploma: not in the cohort
    ("S6", "0010001", "Regular"),  # dual enrollment before graduation only; wages 6000
    ("S7", "0020002", "Regular"),  # the other district; enrolls 2023-08-20
]


def test_student_outcomes_by_hand(facts):
    insert(
        facts,
        "k12_graduates",
        [
            {
                "person_key": p,
                "district_id": d,
                "graduation_date": "2023-06-01",
                "cohort_year": 2023,
                "diploma_type": t,
            }
            for p, d, t in GRADUATES
        ],
    )
    enroll = [
        ("S1", "2024-08-15"),
        ("S2", "2024-10-15"),
        ("S4", "2023-08-20"),
        ("S5", "2023-08-20"),
        ("S6", "2023-01-17"),
        ("S7", "2023-08-20"),
    ]
    insert(
        facts,
        "postsecondary_enrollments",
        [
            {"person_key": p, "institution_id": "149003", "term": d[:4] + "FA", "enroll_date": d}
            for p, d in enroll
        ],
    )
    insert(
        facts,
        "postsecondary_completions",
        [
            {
                "person_key": "S4",
                "institution_id": "149003",
                "award_level": "Certificate",
                "completion_date": "2024-05-10",
                "cip_code": "51.0801",
            }
        ],
    )
    insert(
        facts,
        "employment_quarters",
        [
            wage("S2", 2024, 2, 4000),
            wage("S6", 2024, 2, 6000),
            wage("S7", 2023, 1, 100),
            wage("S7", 2024, 4, 100),
        ],  # S7 enrolled: fixes the range
    )
    rows = build_mart(facts, "student_outcomes")

    # District 0010001: graduates S1 S2 S3 S4 S6 = 5 (S5 Alternative). Enrolled within 16
    # months: S1 (month 15), S4 -> 2, rate 2/5 = 0.4 (S2 month 17, S6 before graduation).
    # Completed: S4 -> 1, 1/5 = 0.2. Not enrolled: S2 S3 S6 = 3 = 5 - 2; employed in 2024Q2:
    # S2 4000, S6 6000 -> 2, rate 2/3, median (4000 + 6000) / 2 = 5000.
    d1 = rows[("0010001", 2023)]
    assert (d1["graduates"], d1["enrolled_16m"], d1["completed"], d1["not_enrolled"]) == (
        5,
        2,
        1,
        3,
    )
    assert d1["enrollment_rate_16m"] == pytest.approx(0.4)
    # Wilson 2/5: centre (0.4 + 0.3841) / 1.7683 = 0.4434, half-width 0.3258 -> 0.1176-0.7693
    assert d1["enrollment_rate_16m_low"] == pytest.approx(0.1176, abs=1e-4)
    assert d1["enrollment_rate_16m_high"] == pytest.approx(0.7693, abs=1e-4)
    assert d1["completion_rate"] == pytest.approx(0.2)
    assert d1["not_enrolled_employed"] == 2
    assert d1["not_enrolled_employment_rate"] == pytest.approx(2 / 3)
    assert d1["not_enrolled_median_earnings"] == Decimal("5000.00")
    # Latest enrollment in the data is 2024-10-15 >= 2024-10-01: the window is complete.
    assert d1["window_complete"]

    # District 0020002: S7 enrolled -> 1 of 1; nobody left to be employed: rate NULL.
    d2 = rows[("0020002", 2023)]
    assert (d2["graduates"], d2["enrolled_16m"], d2["not_enrolled"]) == (1, 1, 0)
    assert d2["not_enrolled_employment_rate"] is None

    # State: 6 graduates, 3 enrolled (0.5), 1 completed, 3 not enrolled, 2 employed, 5000.
    state = rows[("ALL", 2023)]
    assert (state["graduates"], state["enrolled_16m"], state["not_enrolled_employed"]) == (6, 3, 2)
    assert state["enrollment_rate_16m"] == 0.5
    assert state["not_enrolled_median_earnings"] == Decimal("5000.00")


# --- the gate on a mart -------------------------------------------------------------------------


def test_gate_on_workforce_outcomes_just_below_and_above_the_threshold(facts):
    """County 17001 has 10 SNAP exiters in 2023Q1 (at the threshold, shown), 17003 has 9 (just
    below, hidden); the state row is 19, so 17001 has to go too or 19 - 10 gives 17003 away."""
    spells = [spell(f"X{i}", "SNAP", "2022-06-01", "2023-02-15", county="17001") for i in range(10)]
    spells += [spell(f"Y{i}", "SNAP", "2022-06-01", "2023-02-15", county="17003") for i in range(9)]
    spells += [
        spell(f"W{i}", "SNAP", "2022-06-01", "2023-02-15", county="17005") for i in range(30)
    ]
    wages = [wage(f"X{i}", 2023, 3, 1000 * (i + 1)) for i in range(10)]  # all 10 employed
    wages += [wage(f"W{i}", 2023, 3, 500) for i in range(15)] + [wage("Z", 2024, 4, 1)]
    insert(facts, "benefit_spells", spells)
    insert(facts, "employment_quarters", wages)
    build_mart(facts, "workforce_outcomes")
    declaration = MARTS["workforce_outcomes"]
    gate_table(facts, declaration, "marts.workforce_outcomes", "gated", 10)
    assert verify_gated(facts, declaration, "gated", 10) == []
    got = {
        county: (exiters, hidden, employed, employed_hidden, rate_hidden)
        for county, exiters, hidden, employed, employed_hidden, rate_hidden in facts.execute(
            "SELECT county_fips, exiters, exiters_suppressed, employed_q2, "
            "employed_q2_suppressed, employment_rate_q2_suppressed FROM gated"
        ).fetchall()
    }
    # 17003: 9 < 10 -> hidden; 17001: 10 would be shown, but ALL 49 - 30 - 10 = 9 -> hidden as
    # the next smallest. 17001's 10 employed of 10 exiters: the rest, 0, is below 10 -> hidden.
    assert got["17003"][:2] == (None, True)
    assert got["17001"] == (None, True, None, True, True)
    # 17005: 30 exiters, 15 employed (rest 15 >= 10): shown. The state: 49, employed 25 shown,
    # since two county cells of employed_q2 (10 and 0) are hidden.
    assert got["17005"] == (30, False, 15, False, False)
    assert got["ALL"][:4] == (49, False, 25, False)
