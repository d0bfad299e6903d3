"""Outcome rates carry their link coverage: hand-made cohorts whose coverage, lower-bound flag
and withholding were worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest

from datalabs_pipelines.marts.coverage import withhold_below_coverage
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines_tests.outcomes.cohort import (
    MARTS,
    build_mart,
    carry_ssn,
    create_facts,
    insert,
    wage,
)
from datalabs_pipelines_tests.outcomes.test_conformance import (
    WORKFORCE_SPELLS,
    WORKFORCE_WAGES,
)


@pytest.fixture
def facts(con):
    create_facts(con)
    return con


def _rows(con, name: str) -> dict[tuple, dict]:
    dims = [c.name for c in MARTS[name].columns_with("dimension")]
    cursor = con.execute(f"SELECT * FROM marts.{name}")
    header = [d[0] for d in cursor.description]
    rows = [dict(zip(header, r, strict=True)) for r in cursor.fetchall()]
    return {tuple(r[d] for d in dims): r for r in rows}


def test_workforce_rates_carry_coverage_and_are_withheld_below_the_minimum(facts):
    insert(facts, "benefit_spells", WORKFORCE_SPELLS)
    insert(facts, "employment_quarters", WORKFORCE_WAGES)
    carry_ssn(facts, "A", "C", "D", "E", "G")  # B and I have no record with an SSN
    rows = build_mart(facts, "workforce_outcomes")

    # SNAP 2023Q1: exiters A, B, C; reachable A, C -> 2 of 3; some cannot be found: lower bound.
    q1 = rows[("SNAP", "2023Q1", "17001")]
    assert (q1["exiters"], q1["exiters_reachable"]) == (3, 2)
    assert q1["link_coverage"] == pytest.approx(2 / 3) and q1["rate_is_lower_bound"]
    # SNAP 2023Q2: D and E both reachable -> 1.0, not a lower bound on that account.
    q2 = rows[("SNAP", "2023Q2", "17001")]
    assert (q2["exiters_reachable"], q2["link_coverage"], q2["rate_is_lower_bound"]) == (
        2,
        1.0,
        False,
    )
    # SNAP 2024Q1: I alone, unreachable -> 0.
    assert rows[("SNAP", "2024Q1", "ALL")]["link_coverage"] == 0.0

    # min_link_coverage 0.8: SNAP 2023Q1 (2/3) and 2024Q1 (0), county and state rows -> 4 of
    # the 8 rows withheld; SNAP 2023Q2 and TANF 2023Q1 (G reachable, 1.0) publish.
    assert MARTS["workforce_outcomes"].link_coverage.min_link_coverage == 0.8
    assert withhold_below_coverage(facts, MARTS["workforce_outcomes"]) == 4
    after = _rows(facts, "workforce_outcomes")
    assert len(after) == 8
    q1 = after[("SNAP", "2023Q1", "ALL")]
    withheld = MARTS["workforce_outcomes"].link_coverage.withheld
    assert {"employed_q2", "employment_rate_q2", "median_earnings_q2"} <= set(withheld)
    assert all(q1[c] is None for c in withheld)
    assert (q1["exiters"], q1["exiters_reachable"]) == (3, 2)  # the cohort and coverage stay
    q2 = after[("SNAP", "2023Q2", "ALL")]
    assert (q2["employed_q2"], q2["employment_rate_q2"]) == (2, 1.0)
    assert after[("TANF", "2023Q1", "17003")]["employed_q2"] == 1


def test_student_employment_coverage_counts_not_enrolled_graduates(facts):
    # Cohort 2023, district 0010001: S1 enrolls (not in the employment cohort); S2, S3, S6 do
    # not. S2 and S6 carry an SSN -> 2 of 3 reachable; S1's SSN does not count (enrolled).
    graduates = [("S1", "2023-08-20"), ("S2", None), ("S3", None), ("S6", None)]
    insert(
        facts,
        "k12_graduates",
        [
            {
                "person_key": p,
                "district_id": "0010001",
                "graduation_date": "2023-06-01",
                "cohort_year": 2023,
                "diploma_type": "Regular",
            }
            for p, _ in graduates
        ],
    )
    insert(
        facts,
        "postsecondary_enrollments",
        [
            {
                "person_key": "S1",
                "institution_id": "1",
                "term": "2023FA",
                "enroll_date": "2023-08-20",
            }
        ],
    )
    insert(
        facts,
        "employment_quarters",
        [wage("S2", 2024, 2, 4000), wage("Z", 2023, 1, 1), wage("Z", 2024, 4, 1)],
    )
    carry_ssn(facts, "S1", "S2", "S6")
    for name, key in (
        ("student_outcomes", ("ALL", 2023)),
        ("student_outcomes_statewide", (2023, "all", "ALL")),
    ):
        row = build_mart(facts, name)[key]
        assert (row["not_enrolled"], row["not_enrolled_reachable"]) == (3, 2)
        assert row["link_coverage"] == pytest.approx(2 / 3) and row["rate_is_lower_bound"]
        assert row["not_enrolled_employed"] == 1  # S2, before withholding
        assert withhold_below_coverage(facts, MARTS[name]) == len(_rows(facts, name))
        row = _rows(facts, name)[key]
        assert row["not_enrolled_employment_rate"] is None and row["not_enrolled_employed"] is None
        assert row["link_coverage"] == pytest.approx(2 / 3)


def test_full_coverage_publishes_the_rate_as_it_is(facts):
    # One not-enrolled graduate with an SSN: coverage 1, nothing withheld, no lower bound flag.
    insert(
        facts,
        "k12_graduates",
        [
            {
                "person_key": "S2",
                "district_id": "0010001",
                "graduation_date": "2023-06-01",
                "cohort_year": 2023,
                "diploma_type": "Regular",
            }
        ],
    )
    insert(facts, "employment_quarters", [wage("S2", 2024, 2, 4000), wage("Z", 2023, 1, 1)])
    carry_ssn(facts, "S2")
    build_mart(facts, "student_outcomes")
    assert withhold_below_coverage(facts, MARTS["student_outcomes"]) == 0
    row = _rows(facts, "student_outcomes")[("ALL", 2023)]
    assert (row["link_coverage"], row["rate_is_lower_bound"]) == (1.0, False)
    assert row["not_enrolled_employment_rate"] == 1.0


def test_every_outcome_rate_through_wages_declares_its_link_coverage():
    for name in (
        "student_outcomes",
        "student_outcomes_statewide",
        "workforce_outcomes",
        "workforce_outcomes_statewide",
    ):
        declaration = MARTS[name]
        coverage = declaration.link_coverage
        assert coverage is not None and 0 < coverage.min_link_coverage <= 1
        share = next(c for c in declaration.columns if c.name == coverage.share)
        # a share of the rates' cohort with its numerator, so the gate hides it with them
        assert share.role == "share" and share.base and share.numerator
        rates = [c for c in declaration.columns_with("share") if c.name != coverage.share]
        assert all(c.name in coverage.withheld for c in rates if c.base == share.base)


def test_a_link_coverage_naming_a_wrong_column_is_refused():
    raw = MARTS["workforce_outcomes"].model_dump()
    raw["link_coverage"]["flag"] = "exiters"
    with pytest.raises(ValueError, match="link_coverage"):
        MartDeclaration.model_validate(raw)
