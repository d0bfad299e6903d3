"""The disclosure audit on hand-made snapshots: each attack succeeds on a weakened gate (the
audit finds the cells, with the ranges worked out by hand in each test) and fails on the gate."""

from __future__ import annotations

import math

import duckdb
import pytest

from datalabs_pipelines.governance.disclosure import gate_table, verify_gated
from datalabs_pipelines.governance.disclosure_audit import (
    AuditReport,
    GroupAudit,
    _cell_to_hide,
    _Relation,
    audit_snapshot,
)
from datalabs_pipelines.governance.disclosure_releases import count_name
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.publishing.snapshot import gate_and_audit

T = 10


def declaration(name: str, *columns: dict, mirrors: list | None = None) -> MartDeclaration:
    return MartDeclaration.model_validate(
        {
            "name": name,
            "domain": "d",
            "description": "d",
            "grain": "g",
            "purpose": "p",
            "owners": ["team:t"],
            "columns": list(columns),
            "mirrors": mirrors or [],
        }
    )


def dim(name: str, **extra) -> dict:
    return {"name": name, "type": "VARCHAR", "role": "dimension", "description": name, **extra}


def count(name: str, **extra) -> dict:
    return {"name": name, "type": "BIGINT", "role": "count", "description": name, **extra}


@pytest.fixture
def db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE SCHEMA pub")
    con.execute("ATTACH ':memory:' AS snapshot")
    return con


def mart(con, name: str, header: str, rows: list[tuple]) -> None:
    con.execute(f"CREATE TABLE marts.{name} ({header})")
    con.executemany(f"INSERT INTO marts.{name} VALUES ({', '.join('?' * len(rows[0]))})", rows)


def audit(con, *decls: MartDeclaration) -> AuditReport:
    return audit_snapshot(con, {d.name: d for d in decls}, T, published="pub")


def recoverable(report: AuditReport) -> dict[str, int]:
    return {m.table: m.recoverable for m in report.marts}


def shown(con, table: str, column: str, where: str) -> object:
    return con.execute(f"SELECT {column} FROM {table} WHERE {where}").fetchone()[0]


# The issue's attack: SNAP's enrolled_with_medicaid (26 of 29: the 3 not on Medicaid are
# protected) is Medicaid's enrolled_with_snap.
PROGRAMS = [
    dim("program", additive=False),
    dim("county", additive=False),
    count("enrolled"),
    count("enrolled_with_snap", base="enrolled"),
    count("enrolled_with_medicaid", base="enrolled"),
]
MIRROR = [
    [
        {"column": "enrolled_with_medicaid", "where": {"program": "SNAP"}},
        {"column": "enrolled_with_snap", "where": {"program": "Medicaid"}},
    ]
]
PROGRAM_ROWS = [("SNAP", "17197", 29, None, 26), ("Medicaid", "17197", 40, 26, None)]
PROGRAM_HEADER = (
    "program VARCHAR, county VARCHAR, enrolled BIGINT, enrolled_with_snap BIGINT, "
    "enrolled_with_medicaid BIGINT"
)


def test_mirrored_quantity_gives_away_the_rest_without_mirror_handling(db):
    mart(db, "s", PROGRAM_HEADER, PROGRAM_ROWS)
    blind = declaration("s", *PROGRAMS)  # a gate that does not know the two are one
    gate_table(db, blind, "marts.s", "pub.s", T)
    assert shown(db, "pub.s", "enrolled_with_snap", "program = 'Medicaid'") == 26
    # x = SNAP's enrolled_with_medicaid = 26 exactly, so 29 - x = 3: one finding (the rest
    # beside a shown 29 is as narrow as x, and is wide once x is)
    assert recoverable(audit(db, declaration("s", *PROGRAMS, mirrors=MIRROR))) == {"s": 1}


def test_mirrored_quantity_is_hidden_in_both_places(db):
    mart(db, "s", PROGRAM_HEADER, PROGRAM_ROWS)
    decl = declaration("s", *PROGRAMS, mirrors=MIRROR)
    gate_table(db, decl, "marts.s", "pub.s", T)
    assert shown(db, "pub.s", "enrolled_with_snap_suppressed", "program = 'Medicaid'")
    # x = y, 0 <= x <= 29, 0 <= y <= 40: x and 29 - x both range over 0..29
    assert recoverable(audit(db, decl)) == {"s": 0}


COUNTIES = declaration("c", dim("county", total="ALL"), count("people"))


def test_total_row_minus_the_shown_cells(db):
    mart(db, "c", "county VARCHAR, people BIGINT", [("ALL", 40), ("A", 3), ("B", 17), ("C", 20)])
    db.execute(  # primary suppression only
        "CREATE TABLE pub.c AS SELECT county, CASE WHEN people >= 10 THEN people END people, "
        "people < 10 people_suppressed FROM marts.c"
    )
    assert recoverable(audit(db, COUNTIES)) == {"c": 1}  # A = 40 - 17 - 20 = 3
    gate_table(db, COUNTIES, "marts.c", "pub.c", T)  # A and B hidden: A + B = 20
    assert recoverable(audit(db, COUNTIES)) == {"c": 0}


PRIMARY_ONLY = (
    "CREATE TABLE pub.c AS SELECT county, CASE WHEN people >= 10 THEN people END people, "
    "people < 10 people_suppressed FROM marts.c"
)


def test_hidden_cells_that_add_up_to_less_than_the_threshold(db):
    rows = [("ALL", 40), ("A", 3), ("B", 4), ("C", 33)]
    mart(db, "c", "county VARCHAR, people BIGINT", rows)
    db.execute(PRIMARY_ONLY)  # A and B hidden: A + B = 7
    report = audit(db, COUNTIES)
    assert recoverable(report) == {"c": 2}  # each in 0..7
    assert report.hide == {"c": {(4, "people")}}  # C, the smallest shown cell of the sum
    _, report = gate_and_audit(db, {"c": COUNTIES}, T)  # the gate hides C itself
    assert recoverable(report) == {"c": 0} and report.rounds == 1  # A + B + C = 40
    assert shown(db, "snapshot.main.c", "people_suppressed", "county = 'C'")


CHURN = declaration(
    "r",
    dim("program", additive=False),
    count("exits"),
    count("returned", base="exits"),
    {
        "name": "churn_rate",
        "type": "DOUBLE",
        "role": "share",
        "description": "r",
        "base": "exits",
        "numerator": "returned",
    },
)


def test_rate_times_its_base(db):
    rows = [("SNAP", 50, 4, 0.08), ("TANF", 30, 12, 0.4)]
    mart(db, "r", "program VARCHAR, exits BIGINT, returned BIGINT, churn_rate DOUBLE", rows)
    db.execute(  # a gate that leaves rates alone
        "CREATE TABLE pub.r AS SELECT program, exits, false exits_suppressed, "
        "CASE WHEN returned >= 10 THEN returned END returned, returned < 10 returned_suppressed, "
        "churn_rate, false churn_rate_suppressed FROM marts.r"
    )
    assert recoverable(audit(db, CHURN)) == {"r": 1}  # 0.08 * 50 = 4
    gate_table(db, CHURN, "marts.r", "pub.r", T)  # the rate goes with its numerator
    assert shown(db, "pub.r", "churn_rate_suppressed", "program = 'SNAP'")
    assert recoverable(audit(db, CHURN)) == {"r": 0}  # returned in 0..50


# Exiters employed in the 2nd quarter after exit, the 4th, both, or one only: the three
# disjoint groups are at most the exiters, and the rest (employed in neither) is protected.
def employed_within(whole: str) -> list[dict]:
    """The program, and the exiters employed in each quarter (within ``whole``) and their groups."""
    return [
        dim("program", additive=False),
        count("employed_q2", base=whole, sum_of=["q2_and_q4", "q2_only"]),
        count("employed_q4", base=whole, sum_of=["q2_and_q4", "q4_only"]),
        count("q2_and_q4", base="employed_q2"),
        count("q2_only", base="employed_q2"),
        count("q4_only", base="employed_q4"),
    ]


EMPLOYED = employed_within("exiters")
EXITERS = declaration(
    "e", count("exiters", contains=["q2_and_q4", "q2_only", "q4_only"]), *EMPLOYED
)


def test_the_exiters_employed_in_neither_quarter_are_protected(db):
    header = "program VARCHAR, exiters BIGINT, employed_q2 BIGINT, employed_q4 BIGINT, "
    header += "q2_and_q4 BIGINT, q2_only BIGINT, q4_only BIGINT"
    mart(db, "e", header, [("UI", 100, 60, 60, 25, 35, 35)])
    blind = declaration("e", count("exiters"), *EMPLOYED)  # a gate that knows no `contains`
    gate_table(db, blind, "marts.e", "pub.e", T)  # every count is 10 or more from its base's
    assert recoverable(audit(db, blind)) == {"e": 0}
    # 100 - 25 - 35 - 35 = 5 exiters employed in neither quarter, exactly
    assert recoverable(audit(db, EXITERS)) == {"e": 1}
    _, report = gate_and_audit(db, {"e": EXITERS}, T)
    assert recoverable(report) == {"e": 0} and report.rounds > 1


def test_the_reachable_exiters_employed_in_neither_quarter_are_protected(db):
    # 60 exiters, 45 of them reachable in the wage records; 30 employed in each quarter after
    # exit, 20 in both, 10 in one only: every count is 10 or more from each count it lies in,
    # and 60 - 40 = 20 exiters were employed in neither quarter, but only 45 - 40 = 5 of the
    # reachable ones: shown by subtraction once the groups lie in the reachable exiters.
    header = "program VARCHAR, exiters BIGINT, reachable BIGINT, employed_q2 BIGINT, "
    header += "employed_q4 BIGINT, q2_and_q4 BIGINT, q2_only BIGINT, q4_only BIGINT"
    mart(db, "e", header, [("UI", 60, 45, 30, 30, 20, 10, 10)])
    groups = ["q2_and_q4", "q2_only", "q4_only"]
    employed = employed_within("reachable")
    exiters, reachable = count("exiters"), count("reachable", base="exiters")
    in_exiters = declaration("e", exiters | {"contains": groups}, reachable, *employed)
    gate_table(db, in_exiters, "marts.e", "pub.e", T)  # nothing below 10, nothing hidden
    assert recoverable(audit(db, in_exiters)) == {"e": 0}
    in_reachable = declaration("e", exiters, reachable | {"contains": groups}, *employed)
    assert recoverable(audit(db, in_reachable)) == {"e": 1}
    _, report = gate_and_audit(db, {"e": in_reachable}, T)
    assert recoverable(report) == {"e": 0} and report.rounds > 1


# Differencing across marts: mart a shows women per county, mart b the same by sex with a total.
WOMEN = declaration(
    "a",
    dim("county"),
    count("people"),
    count("women"),
    mirrors=[
        [{"column": "women"}, {"mart": "b", "column": "people", "where": {"sex": "F"}}],
        [{"column": "people"}, {"mart": "b", "column": "people", "where": {"sex": "ALL"}}],
    ],
)
BY_SEX = declaration("b", dim("county", additive=False), dim("sex", total="ALL"), count("people"))


def test_differencing_across_marts(db):
    mart(db, "a", "county VARCHAR, people BIGINT, women BIGINT", [("c1", 25, 21), ("c2", 40, 30)])
    rows = [("c1", "ALL", 25), ("c1", "F", 21), ("c1", "M", 4)]
    rows += [("c2", "ALL", 40), ("c2", "F", 30), ("c2", "M", 10)]
    mart(db, "b", "county VARCHAR, sex VARCHAR, people BIGINT", rows)
    for decl in (WOMEN, BY_SEX):  # each mart gated on its own
        gate_table(db, decl, f"marts.{decl.name}", f"pub.{decl.name}", T)
    assert shown(db, "pub.b", "people_suppressed", "county = 'c1' AND sex = 'F'")
    assert shown(db, "pub.a", "women", "county = 'c1'") == 21
    # b's F in c1 is a's 21, so M = 25 - 21 = 4
    assert recoverable(audit(db, WOMEN, BY_SEX)) == {"a": 0, "b": 2}
    _, report = gate_and_audit(db, {"a": WOMEN, "b": BY_SEX}, T)
    assert recoverable(report) == {"a": 0, "b": 0}
    assert shown(db, "snapshot.main.a", "women_suppressed", "county = 'c1'")


def test_a_shown_median_says_its_base_is_not_zero(db):
    decl = declaration(
        "w",
        dim("year", additive=False),
        dim("county", total="ALL"),
        count("employed"),
        {
            "name": "median_wage",
            "type": "DOUBLE",
            "role": "median",
            "description": "m",
            "base": "employed",
        },
    )
    rows = [("2024", "ALL", 10, 100.0), ("2024", "A", 1, 50.0), ("2024", "B", 9, 120.0)]
    # a county with nobody employed in 2025: a row need not count someone
    rows += [("2025", "ALL", 30, 90.0), ("2025", "A", 15, 80.0), ("2025", "C", 0, None)]
    rows += [("2025", "B", 15, 95.0)]
    mart(db, "w", "year VARCHAR, county VARCHAR, employed BIGINT, median_wage DOUBLE", rows)
    db.execute(  # 2024's A and B hidden, but their medians shown: A + B = 10 and A, B >= 1
        "CREATE TABLE pub.w AS SELECT year, county, "
        "CASE WHEN employed >= 10 AND county <> 'A' OR county = 'ALL' THEN employed END employed,"
        " employed < 10 OR county = 'A' AND year = '2025' employed_suppressed, median_wage, "
        "false median_wage_suppressed FROM marts.w"
    )  # 2025: A + C = 15, each in 0..15
    assert recoverable(audit(db, decl)) == {"w": 2}  # 2024's A and B, each in 1..9
    gate_table(db, decl, "marts.w", "pub.w", T)  # medians hidden with their bases
    assert recoverable(audit(db, decl)) == {"w": 0}  # each in 0..10


def test_a_row_counts_someone_when_every_row_does(db):
    """A count at least 1 in every row (a county has a row because someone is in it): five
    hidden counties summing to 9 are each 1 to 5, where 0 to 9 would be what suppression says."""
    rows = [("ALL", 40), ("A", 1), ("B", 1), ("C", 2), ("D", 2), ("E", 3), ("F", 31)]
    mart(db, "c", "county VARCHAR, people BIGINT", rows)
    db.execute(PRIMARY_ONLY)  # A to E hidden: they add up to 9
    report = audit(db, COUNTIES)
    assert recoverable(report) == {"c": 5}  # each in 1..5
    assert report.hide == {"c": {(7, "people")}}  # F, the smallest shown cell of the sum
    gate_table(db, COUNTIES, "marts.c", "pub.c2", T)  # the gate hides F itself
    assert shown(db, "pub.c2", "people_suppressed", "county = 'F'")
    _, report = gate_and_audit(db, {"c": COUNTIES}, T)
    assert recoverable(report) == {"c": 0} and report.rounds == 1  # A to F: 40, each 1..35


def test_a_row_may_count_nobody_when_one_does(db):
    rows = [("ALL", 40), ("A", 0), ("B", 1), ("C", 2), ("D", 3), ("E", 3), ("F", 31)]
    mart(db, "c", "county VARCHAR, people BIGINT", rows)
    gate_table(db, COUNTIES, "marts.c", "pub.c", T)  # A to E hidden: they add up to 9
    assert recoverable(audit(db, COUNTIES)) == {"c": 0}  # each in 0..9


def test_a_count_forced_to_zero_is_a_finding_the_gate_removes(db):
    mart(db, "c", "county VARCHAR, people BIGINT", [("ALL", 20), ("A", 20), ("B", 0)])
    db.execute(
        "CREATE TABLE pub.c AS SELECT county, CASE WHEN people >= 10 THEN people END people, "
        "people < 10 people_suppressed FROM marts.c"
    )
    assert recoverable(audit(db, COUNTIES)) == {"c": 1}  # B = 20 - 20 = 0: nobody in B
    _, report = gate_and_audit(db, {"c": COUNTIES}, T)  # A hidden too: A + B = 20
    assert recoverable(report) == {"c": 0}


# SNAP's with_tanf is TANF's with_snap; county B has no TANF row, so its SNAP with_tanf is 0
# whatever is shown (SNAP ALL = A + B, TANF ALL = A, and the copies are equal).
ACROSS = declaration(
    "s",
    dim("program", additive=False),
    dim("county", total="ALL"),
    count("enrolled"),
    count("with_tanf", base="enrolled"),
    count("with_snap", base="enrolled"),
    mirrors=[
        [
            {"column": "with_tanf", "where": {"program": "SNAP"}},
            {"column": "with_snap", "where": {"program": "TANF"}},
        ]
    ],
)


def test_a_count_a_missing_row_shows_to_be_zero_is_no_finding(db):
    rows = [("SNAP", "ALL", 40, 12, None), ("SNAP", "A", 20, 12, None)]
    rows += [("SNAP", "B", 20, 0, None), ("TANF", "ALL", 15, None, 12), ("TANF", "A", 15, None, 12)]
    header = "program VARCHAR, county VARCHAR, enrolled BIGINT, with_tanf BIGINT, with_snap BIGINT"
    mart(db, "s", header, rows)
    gate_table(db, ACROSS, "marts.s", "pub.s", T)  # every with_tanf and with_snap hidden
    assert shown(db, "pub.s", "with_tanf_suppressed", "county = 'B'")
    # B's with_tanf is exactly 0 (by the missing TANF row, already public); A's copies range
    # over 0..15 and their rests (SNAP 20 - x, TANF 15 - x) over 5..20 and 0..15
    assert recoverable(audit(db, ACROSS)) == {"s": 0}


# A roll-up across marts: y's year is the sum of q's quarters (their state rows).
def roll_up(exact: bool) -> list[dict]:
    return [
        {
            "mart": "q",
            "where": {"county": "ALL"},
            "year_of": {"exit_year": "exit_quarter"},
            "columns": {"exiters": "exiters", "employed": "employed"},
            "exact": exact,
        }
    ]


def exits_by(name: str, *dims: dict, rolls_up: list | None = None) -> MartDeclaration:
    columns = [*dims, count("exiters"), count("employed", base="exiters")]
    return MartDeclaration.model_validate(
        declaration(name, *columns).model_dump() | {"rolls_up": rolls_up or []}
    )


QUARTERS = exits_by("q", dim("exit_quarter", additive=False), dim("county", total="ALL"))


@pytest.mark.parametrize("exact", [True, False])
def test_a_year_is_the_sum_of_its_quarters_in_another_mart(db, exact):
    # q: 2023Q1 10 exiters (8 employed), 2023Q2 12 (8); y: 2023 22 (16). A weakened gate shows
    # q's exiters and y's employed, hiding the rest: 10 - 8 = 2, 12 - 8 = 4, 22 - 16 = 6.
    mart(
        db,
        "q",
        "exit_quarter VARCHAR, county VARCHAR, exiters BIGINT, employed BIGINT",
        [("2023Q1", "ALL", 10, 8), ("2023Q2", "ALL", 12, 8)],
    )
    mart(db, "y", "exit_year VARCHAR, exiters BIGINT, employed BIGINT", [("2023", 22, 16)])
    db.execute(
        "CREATE TABLE pub.q AS SELECT exit_quarter, county, exiters, false exiters_suppressed, "
        "NULL::BIGINT employed, true employed_suppressed FROM marts.q"
    )
    db.execute(
        "CREATE TABLE pub.y AS SELECT exit_year, NULL::BIGINT exiters, true exiters_suppressed, "
        "employed, false employed_suppressed FROM marts.y"
    )
    years = exits_by("y", dim("exit_year", additive=False), rolls_up=roll_up(exact))
    blind = exits_by("y", dim("exit_year", additive=False))
    assert recoverable(audit(db, QUARTERS, blind)) == {"q": 0, "y": 0}  # nothing links them
    # With the roll-up (an inexact one holds with equality here: nobody exits twice):
    # y's exiters = 10 + 12 = 22 exactly (1 in y; its rest 22 - 16 = 6 beside the shown
    # employed is as narrow, and wide once the exiters are); q's employed e1 + e2 = 16 with
    # e1 <= 10, e2 <= 12: e1 in 4..10, e2 in 6..12 (2 in q; their rests likewise).
    assert recoverable(audit(db, QUARTERS, years)) == {"q": 2, "y": 1}
    _, report = gate_and_audit(db, {"q": QUARTERS, "y": years}, T)
    assert recoverable(report) == {"q": 0, "y": 0}
    assert not report.findings


def test_an_inexact_roll_up_bounds_the_year_from_above(db):
    # one person exits in both quarters: the year counts 21 people, the quarters 10 + 12 = 22.
    # y's exiters are then only at most 22 (at least 16, its employed): 16..22 is 7 values
    # and its rest 0..6 (1 in y: the rest beside the shown employed is as narrow as the
    # exiters); q's employed e1 + e2 >= 16 leaves e1 in 4..10, e2 in 6..12, and their rests
    # in 0..6 (2 in q): a true inequality still narrows.
    mart(
        db,
        "q",
        "exit_quarter VARCHAR, county VARCHAR, exiters BIGINT, employed BIGINT",
        [("2023Q1", "ALL", 10, 8), ("2023Q2", "ALL", 12, 8)],
    )
    mart(db, "y", "exit_year VARCHAR, exiters BIGINT, employed BIGINT", [("2023", 21, 16)])
    db.execute(
        "CREATE TABLE pub.q AS SELECT exit_quarter, county, exiters, false exiters_suppressed, "
        "NULL::BIGINT employed, true employed_suppressed FROM marts.q"
    )
    db.execute(
        "CREATE TABLE pub.y AS SELECT exit_year, NULL::BIGINT exiters, true exiters_suppressed, "
        "employed, false employed_suppressed FROM marts.y"
    )
    years = exits_by("y", dim("exit_year", additive=False), rolls_up=roll_up(False))
    assert recoverable(audit(db, QUARTERS, years)) == {"q": 2, "y": 1}


# A county's year of exits in y is the sum of its months in m (safety_net_annual's county rows
# against safety_net_enrollment's).
MONTHS = declaration("m", dim("month", additive=False), dim("county", total="ALL"), count("exits"))
YEARS = MartDeclaration.model_validate(
    declaration("y", dim("year", additive=False), dim("county"), count("exits")).model_dump()
    | {
        "rolls_up": [
            {
                "mart": "m",
                "match": {"county": "county"},
                "year_of": {"year": "month"},
                "columns": {"exits": "exits"},
            }
        ]
    }
)


def test_the_gate_suppresses_across_a_roll_up(db):
    rows = [("2023-01", "ALL", 33), ("2023-01", "A", 3), ("2023-01", "B", 30)]
    rows += [("2023-02", "ALL", 52), ("2023-02", "A", 22), ("2023-02", "B", 30)]
    mart(db, "m", "month VARCHAR, county VARCHAR, exits BIGINT", rows)
    mart(
        db,
        "y",
        "year VARCHAR, county VARCHAR, exits BIGINT",
        [("2023", "A", 25), ("2023", "B", 60)],
    )
    for decl in (MONTHS, YEARS):  # each mart gated on its own: January's A and B hidden
        gate_table(db, decl, f"marts.{decl.name}", f"pub.{decl.name}", T)
    # A's year 25 less its February 22 is January's 3, and January's B is then 33 - 3 = 30
    assert recoverable(audit(db, MONTHS, YEARS)) == {"m": 2, "y": 0}
    # the gate across marts hides February's A (the smallest shown cell of A's year), and the
    # gate of m then February's B: A's January a leaves February's 25 - a, January's B 33 - a
    # and February's B 27 + a, all wide over a in 0..25
    _, report = gate_and_audit(db, {"m": MONTHS, "y": YEARS}, T)
    assert recoverable(report) == {"m": 0, "y": 0}
    assert report.rounds == 1  # no audit round was needed
    assert shown(db, "snapshot.main.m", "exits_suppressed", "month = '2023-02' AND county = 'A'")
    assert not shown(db, "snapshot.main.y", "exits_suppressed", "county = 'A'")


# Each breakdown's groups add up to the state row, which holds another breakdown value.
BREAKDOWNS = [dim("breakdown", additive=False), dim("group_code", total="ALL")]
STATEWIDE = declaration(
    "w", BREAKDOWNS[0], {**BREAKDOWNS[1], "total_in": {"breakdown": "all"}}, count("people")
)


def test_breakdown_groups_add_up_to_the_state_row(db):
    rows = [("all", "ALL", 40), ("sex", "F", 37), ("sex", "M", 3)]
    mart(db, "w", "breakdown VARCHAR, group_code VARCHAR, people BIGINT", rows)
    db.execute(  # primary suppression only
        "CREATE TABLE pub.w AS SELECT breakdown, group_code, CASE WHEN people >= 10 THEN people "
        "END people, people < 10 people_suppressed FROM marts.w"
    )
    blind = declaration("w", *BREAKDOWNS, count("people"))  # no total_in: no relation
    assert recoverable(audit(db, blind)) == {"w": 0}
    assert recoverable(audit(db, STATEWIDE)) == {"w": 1}  # M = 40 - 37 = 3
    gate_table(db, STATEWIDE, "marts.w", "pub.w", T)  # F hidden too: F + M = 40
    assert recoverable(audit(db, STATEWIDE)) == {"w": 0}


def test_a_hidden_state_row_takes_a_group_with_it(db):
    rows = [("all", "ALL", 25), ("sex", "F", 15), ("sex", "M", 10)]
    mart(db, "w", "breakdown VARCHAR, group_code VARCHAR, people BIGINT", rows)
    # the state row hidden (as the audit may ask): F + M = 25 gives it back unless M goes too
    gate_table(db, STATEWIDE, "marts.w", "pub.w", T, forced=[(1, "people")])
    assert shown(db, "pub.w", "people_suppressed", "group_code = 'M'")
    assert recoverable(audit(db, STATEWIDE)) == {"w": 0}  # ALL = F + M, M in 0..25


def test_a_declared_relation_the_data_break_is_left_out(db):
    # People whose SNAP and TANF counties differ: A's copies are 12 and 11, B's 3 and 4, C's 9
    # and 9, the state's 24 and 24. Primary suppression hides B and C on both rows.
    rows = [("SNAP", "ALL", 90, 24, None), ("SNAP", "A", 30, 12, None)]
    rows += [("SNAP", "B", 30, 3, None), ("SNAP", "C", 30, 9, None)]
    rows += [("TANF", "ALL", 90, None, 24), ("TANF", "A", 30, None, 11)]
    rows += [("TANF", "B", 30, None, 4), ("TANF", "C", 30, None, 9)]
    header = "program VARCHAR, county VARCHAR, enrolled BIGINT, with_tanf BIGINT, with_snap BIGINT"
    mart(db, "s", header, rows)
    db.execute(
        "CREATE TABLE pub.s AS SELECT program, county, enrolled, false enrolled_suppressed, "
        "CASE WHEN with_tanf >= 10 THEN with_tanf END with_tanf, with_tanf < 10 "
        "with_tanf_suppressed, CASE WHEN with_snap >= 10 THEN with_snap END with_snap, "
        "with_snap < 10 with_snap_suppressed FROM marts.s"
    )
    # Kept, B's copies being equal would make the system infeasible (12 - c = 13 - c) and
    # every range in it look narrow. Left out (A's and B's): SNAP's B is 12 - c and TANF's
    # 13 - c, with c (C's copies) in 0..12: all wide.
    report = audit(db, ACROSS)
    assert report.untrue == 2
    assert recoverable(report) == {"s": 0}


# The generated sample's pattern: in one month TANF has a row in county A only, where SNAP has
# none, and SNAP in county B only, where TANF has none. Each county's overlap is 0 by its
# missing row, so each state row's overlap is 0 too (TANF ALL = A's, SNAP ALL = B's), and
# whatever is suppressed.
MISSING_PARTNERS = [("SNAP", "ALL", 20, 0, None), ("SNAP", "B", 20, 0, None)]
MISSING_PARTNERS += [("TANF", "ALL", 2, None, 0), ("TANF", "A", 2, None, 0)]
ACROSS_HEADER = (
    "program VARCHAR, county VARCHAR, enrolled BIGINT, with_tanf BIGINT, with_snap BIGINT"
)


def test_a_state_row_the_missing_rows_force_to_zero_is_published(db):
    mart(db, "s", ACROSS_HEADER, MISSING_PARTNERS)
    _, report = gate_and_audit(db, {"s": ACROSS}, T)
    assert report.withheld == {}
    assert report.findings == []
    assert shown(
        db, "snapshot.main.s", "with_snap_suppressed", "program = 'TANF' AND county = 'ALL'"
    )


def test_a_state_row_a_shown_zero_forces_is_a_finding(db):
    # As above, but SNAP has a row in A too: nothing is public, and a weakened gate that shows
    # TANF A's overlap (0) gives away the state's (TANF ALL = A = 0), SNAP A's copy (= TANF A)
    # and SNAP's state row (A + B, B being 0 by its missing TANF row).
    rows = [("SNAP", "ALL", 35, 0, None), ("SNAP", "A", 15, 0, None), *MISSING_PARTNERS[1:]]
    mart(db, "s", ACROSS_HEADER, rows)
    db.execute(
        "CREATE TABLE pub.s AS SELECT program, county, CASE WHEN enrolled >= 10 THEN enrolled "
        "END enrolled, enrolled < 10 enrolled_suppressed, CASE WHEN with_tanf >= 10 THEN "
        "with_tanf END with_tanf, with_tanf < 10 with_tanf_suppressed, CASE WHEN with_snap >= 10 "
        "OR (program, county) = ('TANF', 'A') THEN with_snap END with_snap, with_snap < 10 AND "
        "(program, county) <> ('TANF', 'A') with_snap_suppressed FROM marts.s"
    )
    assert recoverable(audit(db, ACROSS)) == {"s": 3}
    _, report = gate_and_audit(db, {"s": ACROSS}, T)  # TANF A's 0 is hidden as small
    assert report.withheld == {}
    assert recoverable(report) == {"s": 0}


# An unduplicated count: a county's people enrolled in a year (y) are at least its people of
# each month (m) and at most their sum.
ENROLLED_MONTHS = declaration(
    "m", dim("month", additive=False), dim("county", total="ALL"), count("enrolled")
)
ENROLLED_YEARS = MartDeclaration.model_validate(
    declaration(
        "y", dim("year", additive=False), dim("county", total="ALL"), count("enrolled")
    ).model_dump()
    | {
        "rolls_up": [
            {
                "mart": "m",
                "match": {"county": "county"},
                "year_of": {"year": "month"},
                "columns": {"enrolled": "enrolled"},
                "exact": False,
            }
        ]
    }
)


def enrolled(db, year: list[tuple], months: list[tuple]) -> None:
    mart(db, "y", "year VARCHAR, county VARCHAR, enrolled BIGINT", year)
    mart(db, "m", "month VARCHAR, county VARCHAR, enrolled BIGINT", months)


def test_a_year_is_at_least_each_of_its_months(db):
    # y: 40 = A 21 + B 19; m's January A 20, B 18 (February 15 and 15) are shown. A weakened
    # gate hides y's A and B only: A >= 20 and B >= 18 with A + B = 40 leave A in 20..22 and
    # B in 18..20.
    enrolled(
        db,
        [("2023", "ALL", 40), ("2023", "A", 21), ("2023", "B", 19)],
        [("2023-01", "ALL", 38), ("2023-01", "A", 20), ("2023-01", "B", 18)]
        + [("2023-02", "ALL", 30), ("2023-02", "A", 15), ("2023-02", "B", 15)],
    )
    db.execute(
        "CREATE TABLE pub.y AS SELECT year, county, CASE WHEN county = 'ALL' THEN enrolled END "
        "enrolled, county <> 'ALL' enrolled_suppressed FROM marts.y"
    )
    db.execute("CREATE TABLE pub.m AS SELECT *, false enrolled_suppressed FROM marts.m")
    blind = declaration("y", dim("year", additive=False), dim("county", total="ALL"))
    blind = declaration("y", *blind.model_dump()["columns"], count("enrolled"))
    assert recoverable(audit(db, ENROLLED_MONTHS, blind)) == {"m": 0, "y": 0}  # 0..40 each
    assert recoverable(audit(db, ENROLLED_MONTHS, ENROLLED_YEARS)) == {"m": 0, "y": 2}


def test_a_year_is_at_most_the_sum_of_its_months(db):
    # y: 50 = A 42 + B 8; m's B 6 and 3, A 22 and 22. A weakened gate shows m and hides y's A
    # and B: B <= 6 + 3 and B >= 6 leave B in 6..9 and A = 50 - B in 41..44 (A >= 22 alone
    # would leave B in 6..28).
    enrolled(
        db,
        [("2023", "ALL", 50), ("2023", "A", 42), ("2023", "B", 8)],
        [("2023-01", "ALL", 28), ("2023-01", "A", 22), ("2023-01", "B", 6)]
        + [("2023-02", "ALL", 25), ("2023-02", "A", 22), ("2023-02", "B", 3)],
    )
    db.execute(
        "CREATE TABLE pub.y AS SELECT year, county, CASE WHEN county = 'ALL' THEN enrolled END "
        "enrolled, county <> 'ALL' enrolled_suppressed FROM marts.y"
    )
    db.execute("CREATE TABLE pub.m AS SELECT *, false enrolled_suppressed FROM marts.m")
    assert recoverable(audit(db, ENROLLED_MONTHS, ENROLLED_YEARS)) == {"m": 0, "y": 2}
    _, report = gate_and_audit(db, {"m": ENROLLED_MONTHS, "y": ENROLLED_YEARS}, T)
    assert report.withheld == {}
    assert recoverable(report) == {"m": 0, "y": 0}


def test_an_overlap_is_at_most_its_row_enrolled(db):
    # a weakened gate shows SNAP's enrolled 6 and hides its with_tanf 2: it ranges over 0..6
    # (7 values), and its rest (6 - 2) with it, one finding
    mart(db, "s", ACROSS_HEADER, [("SNAP", "A", 6, 2, None)])
    db.execute(
        "CREATE TABLE pub.s AS SELECT program, county, enrolled, false enrolled_suppressed, "
        "NULL::BIGINT with_tanf, true with_tanf_suppressed, with_snap, false "
        "with_snap_suppressed FROM marts.s"
    )
    columns = ACROSS.model_dump(exclude_defaults=True)["columns"]
    no_base = declaration("s", *[{k: v for k, v in c.items() if k != "base"} for c in columns])
    assert recoverable(audit(db, no_base)) == {"s": 0}  # 0 and up
    assert recoverable(audit(db, ACROSS)) == {"s": 1}


def test_a_rest_within_a_count_within_the_base_is_protected(db):
    # exiters 40 hidden, 30 of them reachable and 24 employed shown: the 6 reachable exiters
    # not employed are shown by subtraction when employed lies within the reachable (1 finding);
    # with only the exiters as its base the reader knows nothing narrower than 24 and up
    header = "county VARCHAR, exiters BIGINT, reachable BIGINT, employed BIGINT"
    mart(db, "w", header, [("A", 40, 30, 24)])
    db.execute(
        "CREATE TABLE pub.w AS SELECT county, NULL::BIGINT exiters, true exiters_suppressed, "
        "reachable, false reachable_suppressed, employed, false employed_suppressed FROM marts.w"
    )
    columns = [dim("county", additive=False), count("exiters")]
    columns.append(count("reachable", base="exiters"))
    flat = declaration("w", *columns, count("employed", base="exiters"))
    assert recoverable(audit(db, flat)) == {"w": 0}
    nested = declaration("w", *columns, count("employed", base="reachable"))
    assert recoverable(audit(db, nested)) == {"w": 1}


def test_the_hidden_counties_few_unreachable_exiters_are_protected(db):
    # 120 exiters, 94 reachable (26 not). D (8 and 7) and E (7 and 6) are small: with their
    # counts alone hidden, their unreachable exiters add up to 26 - 12 - 12 = 2, so each is 0 to
    # 2. The gate then hides the exiters of the smallest shown county with any unreachable
    # (B: 45), and the hidden counties' rests add up to 14.
    header = "county VARCHAR, exiters BIGINT, reachable BIGINT"
    rows = [("A", 60, 48), ("ALL", 120, 94), ("B", 45, 33), ("D", 8, 7), ("E", 7, 6)]
    mart(db, "w", header, rows)
    exiters, reachable = count("exiters"), count("reachable", base="exiters")
    decl = declaration("w", dim("county", total="ALL"), exiters, reachable)
    db.execute(
        "CREATE TABLE pub.w AS SELECT county, CASE WHEN exiters >= 10 THEN exiters END exiters, "
        "exiters < 10 exiters_suppressed, CASE WHEN reachable >= 10 THEN reachable END reachable, "
        "reachable < 10 reachable_suppressed FROM marts.w"
    )
    assert recoverable(audit(db, decl)) == {"w": 2}  # D's and E's unreachable, 0 to 2 each
    db.execute("DROP TABLE pub.w")
    gate_table(db, decl, "marts.w", "pub.w", T)
    hidden = db.execute("SELECT county FROM pub.w WHERE exiters_suppressed ORDER BY 1").fetchall()
    assert hidden == [("B",), ("D",), ("E",)]
    assert recoverable(audit(db, decl)) == {"w": 0}


COVERED = MartDeclaration.model_validate(
    {
        "name": "w",
        "domain": "d",
        "description": "d",
        "grain": "g",
        "purpose": "p",
        "owners": ["team:t"],
        "columns": [
            dim("county", additive=False),
            count("exiters"),
            count("reachable", base="exiters"),
            count("employed", base="reachable"),
            {"name": "coverage", "type": "DOUBLE", "role": "share", "description": "c"}
            | {"base": "exiters", "numerator": "reachable"},
            {"name": "lower_bound", "type": "BOOLEAN", "role": "flag", "description": "f"},
        ],
        "link_coverage": {
            "share": "coverage",
            "flag": "lower_bound",
            "min_link_coverage": 0.8,
            "withheld": ["employed"],
            "path": "exiters -> wage records",
        },
    }
)
COVERED_HEADER = (
    "county VARCHAR, exiters BIGINT, reachable BIGINT, employed BIGINT, coverage DOUBLE, "
    "lower_bound BOOLEAN"
)


def test_the_coverage_flag_and_the_shown_employment_bound_a_hidden_reachable_count(db):
    # 43 exiters shown, 42 reachable hidden, 30 employed shown: the flag (someone unreachable)
    # and the shown employment (coverage at least 0.8: 35 reachable or more) leave 35 to 42
    # reachable and 1 to 8 unreachable (helper-found on the committed sample)
    mart(db, "w", COVERED_HEADER, [("A", 43, 42, 30, 42 / 43, True)])
    db.execute(
        "CREATE TABLE pub.w AS SELECT county, exiters, false exiters_suppressed, "
        "NULL::BIGINT reachable, true reachable_suppressed, employed, false employed_suppressed, "
        "NULL::DOUBLE coverage, true coverage_suppressed, lower_bound FROM marts.w"
    )
    assert recoverable(audit(db, COVERED)) == {"w": 1}  # reachable (its rest is as wide)
    db.execute("DROP TABLE pub.w")
    gates, report = gate_and_audit(db, {"w": COVERED}, T)
    assert recoverable(report) == {"w": 0}
    row = db.execute("SELECT reachable_suppressed, lower_bound FROM snapshot.main.w").fetchone()
    assert row == (True, None)  # the flag hidden with the share


def test_where_the_share_is_hidden_a_withheld_cell_reads_suppressed(db):
    # A: all 40 exiters reachable, B: 8 of 12 (below 0.8: employment withheld). Both reachable
    # counts are hidden (0 and 4 from the exiters), so neither the flag nor the withholding
    # may say the coverage: B's withheld employment reads suppressed, as A's could be
    rows = [("A", 40, 40, 30, 1.0, False), ("B", 12, 8, None, 8 / 12, True)]
    mart(db, "w", COVERED_HEADER, rows)
    gate_table(db, COVERED, "marts.w", "pub.w", T)
    published = db.execute(
        "SELECT county, reachable, employed, employed_suppressed, lower_bound FROM pub.w "
        "ORDER BY county"
    ).fetchall()
    assert published == [("A", None, 30, False, None), ("B", None, None, True, None)]


def test_a_withheld_cell_read_suppressed_takes_a_complement_along_its_quarters(db):
    # seed 6464 at scale 100 (the gate's own verification refused the snapshot): Q3's
    # reachable count is hidden (7 from its exiters), so its employment, empty (not yet
    # measured, or withheld), reads suppressed; alone among the quarters' employment (whose sum
    # a reader may know), it takes the smallest other, Q2's 50, with it
    decl = MartDeclaration.model_validate(
        COVERED.model_dump() | {"columns": [dim("quarter"), *COVERED.model_dump()["columns"]]}
    )
    rows = [
        ("Q1", "A", 100, 85, 60, 0.85, True),
        ("Q2", "A", 90, 80, 50, 80 / 90, True),
        ("Q3", "A", 50, 43, None, 43 / 50, True),
    ]
    mart(db, "w", "quarter VARCHAR, " + COVERED_HEADER, rows)
    gate_table(db, decl, "marts.w", "pub.w", T)
    published = db.execute(
        "SELECT quarter, employed, employed_suppressed FROM pub.w ORDER BY quarter"
    ).fetchall()
    assert published == [("Q1", 60, False), ("Q2", None, True), ("Q3", None, True)]
    assert verify_gated(db, decl, "pub.w", T) == []


ANNUAL = declaration(
    "a", dim("key", additive=False), count("exits"), count("returned", base="exits")
)
EXITERS_BY_KEY = declaration("w", dim("key", additive=False), count("exiters"))
AT_MOST_THE_REST = {
    "mart": "a",
    "match": {"key": "key"},
    "exact": False,
    "columns": {"exiters": "exits - returned"},
}


def exits_and_exiters(db, annual: list[tuple], exiters: list[tuple]) -> None:
    """a's exits and returns (shown) and w's exiters (hidden), by ``key``."""
    mart(db, "a", "key VARCHAR, exits BIGINT, returned BIGINT", annual)
    mart(db, "w", "key VARCHAR, exiters BIGINT", exiters)
    db.execute(
        "CREATE TABLE pub.a AS SELECT key, exits, false exits_suppressed, returned, "
        "false returned_suppressed FROM marts.a"
    )
    db.execute(
        "CREATE TABLE pub.w AS SELECT key, NULL::BIGINT exiters, true exiters_suppressed "
        "FROM marts.w"
    )


def rolled(*rolls: dict) -> MartDeclaration:
    return MartDeclaration.model_validate(EXITERS_BY_KEY.model_dump() | {"rolls_up": list(rolls)})


def test_a_count_at_most_a_rest_of_another_mart(db):
    # a: 2023: 30 exits, 22 of them returned within 90 days, both shown (a finding of a's own:
    # the 8 who stayed out). w: 5 exiters who stayed out, hidden. With the relation the reader
    # knows w's exiters are at most a's exits less returns: 0 to 8.
    exits_and_exiters(db, [("2023", 30, 22)], [("2023", 5)])
    assert recoverable(audit(db, ANNUAL, EXITERS_BY_KEY)) == {"a": 1, "w": 0}  # w: 0 and up
    within = rolled(AT_MOST_THE_REST)
    assert recoverable(audit(db, ANNUAL, within)) == {"a": 1, "w": 1}  # w: 0 to 8
    # returns not published (NULL, not suppressed): the exiters are still at most the 30 exits
    db.execute("UPDATE marts.a SET returned = NULL")
    db.execute("UPDATE pub.a SET returned = NULL")
    db.execute("UPDATE marts.w SET exiters = 25")
    assert recoverable(audit(db, ANNUAL, EXITERS_BY_KEY)) == {"a": 0, "w": 0}  # w: 0 and up
    assert recoverable(audit(db, ANNUAL, within)) == {"a": 0, "w": 0}  # w: 0 to 30
    db.execute("UPDATE marts.a SET exits = 8")
    db.execute("UPDATE pub.a SET exits = 8")
    db.execute("UPDATE marts.w SET exiters = 5")
    assert recoverable(audit(db, ANNUAL, within)) == {"a": 0, "w": 1}  # w: 0 to 8
    with pytest.raises(ValueError, match="a rest of two counts, and only with exact: false"):
        rolled(AT_MOST_THE_REST | {"exact": True})


def test_finer_groups_read_as_one_group_of_another_mart_are_summed(db):
    # w: 3 and 4 exiters aged 25-34 and 35-44, hidden; a: 25-44, 20 exits, 12 returned, shown
    # (its 8 who stayed out are a finding of its own). Read as 25-44, the two add up to at
    # most 8: each 0 to 8. Without the reading, nothing ties them to a.
    exits_and_exiters(db, [("25-44", 20, 12)], [("25-34", 3), ("35-44", 4)])
    assert recoverable(audit(db, ANNUAL, rolled(AT_MOST_THE_REST))) == {"a": 1, "w": 0}
    read = AT_MOST_THE_REST | {"values": {"key": {"25-34": "25-44", "35-44": "25-44"}}}
    assert recoverable(audit(db, ANNUAL, rolled(read))) == {"a": 1, "w": 2}
    with pytest.raises(ValueError, match="values of \\['age'\\], not match dimensions"):
        rolled(AT_MOST_THE_REST | {"values": {"age": {"1": "2"}}})


def test_a_range_narrowed_through_hidden_cells_only_names_the_nearest_shown_cell(db):
    # a: exits and returns by group; w: exiters by group, at most a's exits less returns (equal
    # here: nobody exits twice; the children are no exiters). A weakened gate shows the 40
    # children's exits, the 70 exits of all and w's 29 exiters of all, and hides the rest. A,
    # B and C's returns then add up to 70 - 40 - 29 = 1: each 0 to 1, narrowed through hidden
    # cells only (no constraint on a return holds a shown cell: its exits, the returns' total,
    # its group's exiters). The nearest shown cells are one constraint further out; the
    # smallest, w's 29, is named (none was, and the gate withheld both marts: scale 1 seed 6150
    # through 2026-11-15, TANF's returns by age band).
    groups = dim("key", total="ALL")
    annual = declaration("a", groups, count("exits"), count("returned", base="exits"))
    exiters = MartDeclaration.model_validate(
        declaration("w", groups, count("exiters")).model_dump()
        | {"rolls_up": [AT_MOST_THE_REST | {"match": {"key": "key"}}]}
    )
    rows = [("KID", 40, 2), ("A", 3, 0), ("B", 16, 0), ("C", 11, 1), ("ALL", 70, 3)]
    mart(db, "a", "key VARCHAR, exits BIGINT, returned BIGINT", rows)
    mart(db, "w", "key VARCHAR, exiters BIGINT", [("A", 3), ("B", 16), ("C", 10), ("ALL", 29)])
    db.execute(
        "CREATE TABLE pub.a AS SELECT key, CASE WHEN key IN ('KID', 'ALL') THEN exits END exits, "
        "key NOT IN ('KID', 'ALL') exits_suppressed, NULL::BIGINT returned, "
        "true returned_suppressed FROM marts.a"
    )
    db.execute(
        "CREATE TABLE pub.w AS SELECT key, CASE WHEN key = 'ALL' THEN exiters END exiters, "
        "key <> 'ALL' exiters_suppressed FROM marts.w"
    )
    report = audit(db, annual, exiters)
    assert recoverable(report) == {"a": 3, "w": 0}
    assert report.hide == {"w": {(2, "exiters")}}  # in dimension order: A, ALL, B, C
    db.execute("UPDATE pub.w SET exiters = NULL, exiters_suppressed = true")
    assert recoverable(audit(db, annual, exiters)) == {"a": 0, "w": 0}


def test_an_empty_count_a_later_round_hides_is_audited_as_a_hidden_count(db):
    # scale 100, seed 7777 (the publish failed on a KeyError): the counts were named in the
    # first round, when Q3's employment (not yet measured) was empty and shown empty; a later
    # round hid Q3's reachable count, so the empty employment read suppressed: a cell then
    decl = MartDeclaration.model_validate(
        COVERED.model_dump() | {"columns": [dim("quarter"), *COVERED.model_dump()["columns"]]}
    )
    rows = [("Q1", "A", 100, 85, 60, 0.85, True), ("Q3", "A", 50, 43, None, 43 / 50, True)]
    mart(db, "w", "quarter VARCHAR, " + COVERED_HEADER, rows)

    def publish(q3_hidden: bool) -> None:
        db.execute(
            "CREATE OR REPLACE TABLE pub.w AS SELECT quarter, county, exiters, "
            "false exiters_suppressed, CASE WHEN quarter = 'Q3' AND $h THEN NULL "
            "ELSE reachable END reachable, quarter = 'Q3' AND $h reachable_suppressed, "
            "employed, quarter = 'Q3' AND $h employed_suppressed, NULL::DOUBLE coverage, "
            "true coverage_suppressed, NULL::BOOLEAN lower_bound FROM marts.w",
            {"h": q3_hidden},
        )

    publish(q3_hidden=False)
    auditor = GroupAudit(db, {"w": decl}, T, published="pub")
    assert auditor.hidden_before(auditor.read()) == {}  # names every count
    publish(q3_hidden=True)
    report = auditor.audit(auditor.read())
    employed = count_name(b"", "w", ("Q3", "A"), "employed", None)
    assert employed in report.told.current and employed not in report.told.shown


def test_a_range_still_narrow_after_its_pick_takes_a_cell_of_another_constraint():
    # January hidden; the year's count (15) bounds it from above, the months' sum (each month
    # at most the year's) is no bound: hiding February (10, the smallest) first leaves January
    # as narrow, so the next round takes the year's count, not March
    year, january, february, march = (("m", r, "enrolled") for r in range(4))
    relations = [
        _Relation({year: 1.0, january: -1.0, february: -1.0, march: -1.0}, -math.inf, 0.0),
        _Relation({year: 1.0, january: -1.0}, 0.0, math.inf),
    ]
    touching = {
        cell: [i for i, r in enumerate(relations) if cell in r.terms]
        for cell in (year, january, february, march)
    }
    objective = _Relation({january: 1.0}, 0.0, 0.0)
    tried: set = set()
    shown = {year: 15.0, february: 10.0, march: 11.0}
    assert _cell_to_hide(objective, relations, touching, shown, tried) == february
    assert tried == {frozenset(relations[0].terms)}
    del shown[february]
    assert _cell_to_hide(objective, relations, touching, shown, tried) == year
    # with every constraint tried, the smallest shown cell of any again
    del shown[year]
    assert _cell_to_hide(objective, relations, touching, shown, tried) == march
