"""The disclosure gate on hand-made tables: threshold edge, complementary suppression, derived
metrics, the published layout, and an attacker who subtracts published cells from totals."""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines.governance.disclosure import (
    disclosure_threshold,
    gate_table,
    published_columns,
    verify_gated,
)
from datalabs_pipelines.marts.declaration import MartDeclaration

T = 10


def declaration(*columns: dict, name: str = "m") -> MartDeclaration:
    return MartDeclaration.model_validate(
        {
            "name": name,
            "domain": "d",
            "description": "d",
            "grain": "g",
            "purpose": "p",
            "owners": ["team:t"],
            "columns": list(columns),
        }
    )


def dim(name: str, **extra) -> dict:
    return {"name": name, "type": "VARCHAR", "role": "dimension", "description": name, **extra}


def count(name: str, **extra) -> dict:
    return {"name": name, "type": "BIGINT", "role": "count", "description": name, **extra}


def share(name: str, base: str, numerator: str) -> dict:
    return {
        "name": name,
        "type": "DOUBLE",
        "role": "share",
        "description": name,
        "base": base,
        "numerator": numerator,
    }


def table(con: duckdb.DuckDBPyConnection, header: str, rows: list[tuple]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE m ({header})")
    con.executemany(f"INSERT INTO m VALUES ({', '.join('?' * len(rows[0]))})", rows)


def gated(con, decl, threshold: int = T) -> list[dict]:
    gate_table(con, decl, "m", "g", threshold)
    cursor = con.execute("SELECT * FROM g")
    header = [d[0] for d in cursor.description]
    return [dict(zip(header, row, strict=True)) for row in cursor.fetchall()]


COUNTY_TABLE = declaration(dim("county", total="ALL"), count("people"))


def test_threshold_edge_nine_is_suppressed_ten_is_shown(con):
    decl = declaration(dim("month", additive=False), count("people"))
    table(con, "month VARCHAR, people BIGINT", [("2024-01", 9), ("2024-02", 10), ("2024-03", 0)])
    rows = {r["month"]: r for r in gated(con, decl)}
    assert rows["2024-01"]["people"] is None and rows["2024-01"]["people_suppressed"]
    assert rows["2024-02"]["people"] == 10 and not rows["2024-02"]["people_suppressed"]
    assert rows["2024-03"]["people"] is None and rows["2024-03"]["people_suppressed"]  # zero too


def test_threshold_comes_from_the_environment(monkeypatch):
    assert disclosure_threshold() == 10
    monkeypatch.setenv("DATALABS_DISCLOSURE_THRESHOLD", "5")
    assert disclosure_threshold() == 5
    monkeypatch.setenv("DATALABS_DISCLOSURE_THRESHOLD", "0")
    with pytest.raises(ValueError):
        disclosure_threshold()


def test_one_small_cell_takes_the_next_smallest_with_it(con):
    # A=4 is below 10; the state total 4+30+12+50 = 96 is published, so A = 96-30-12-50
    # unless a second cell goes: the next smallest is C=12.
    table(
        con,
        "county VARCHAR, people BIGINT",
        [("A", 4), ("B", 30), ("C", 12), ("D", 50), ("ALL", 96)],
    )
    rows = {r["county"]: r for r in gated(con, COUNTY_TABLE)}
    assert [rows[c]["people_suppressed"] for c in ("A", "B", "C", "D", "ALL")] == [
        True,
        False,
        True,
        False,
        False,
    ]
    assert rows["C"]["people"] is None  # marked and NULL, not zeroed


def test_no_total_row_still_protects_the_margin(con):
    # No 'ALL' row: the program's state total may be published elsewhere, so the gate acts as
    # if it were known.
    decl = declaration(dim("county"), count("people"))
    table(con, "county VARCHAR, people BIGINT", [("A", 3), ("B", 20), ("C", 40)])
    rows = {r["county"]: r["people_suppressed"] for r in gated(con, decl)}
    assert rows == {"A": True, "B": True, "C": False}


def test_suppressed_total_needs_a_suppressed_part(con):
    # A=9 and B=0 are both below 10, and so is their total: everything is hidden.
    table(con, "county VARCHAR, people BIGINT", [("A", 9), ("B", 0), ("ALL", 9)])
    rows = {r["county"]: r["people_suppressed"] for r in gated(con, COUNTY_TABLE)}
    assert rows == {"A": True, "B": True, "ALL": True}


def test_rates_follow_their_base_and_numerator(con):
    decl = declaration(
        dim("county", total="ALL"),
        count("exiters"),
        count("employed", base="exiters"),
        share("rate", "exiters", "employed"),
    )
    table(
        con,
        "county VARCHAR, exiters BIGINT, employed BIGINT, rate DOUBLE",
        [
            ("A", 9, 5, 5 / 9),  # base below threshold: all hidden
            ("B", 40, 3, 3 / 40),  # numerator small: the rate would reveal it
            ("C", 12, 11, 11 / 12),  # 1 exiter not employed: a rest below threshold
            ("D", 50, 20, 20 / 50),
            ("ALL", 111, 39, 39 / 111),
        ],
    )
    rows = {r["county"]: r for r in gated(con, decl)}
    assert rows["A"]["exiters_suppressed"] and rows["A"]["rate_suppressed"]
    assert not rows["B"]["exiters_suppressed"] and rows["B"]["employed_suppressed"]
    assert rows["B"]["rate"] is None and rows["B"]["rate_suppressed"]
    assert rows["C"]["employed_suppressed"] and rows["C"]["rate_suppressed"]
    assert rows["D"]["rate"] == pytest.approx(0.4) and not rows["D"]["rate_suppressed"]
    assert verify_gated(con, decl, "g", T) == []


def test_companion_columns_follow_each_gated_column(con):
    decl = declaration(
        dim("county"),
        count("exiters"),
        count("employed", base="exiters"),
        share("rate", "exiters", "employed"),
    )
    assert [n for n, _ in published_columns(decl)] == [
        "county",
        "exiters",
        "exiters_suppressed",
        "employed",
        "employed_suppressed",
        "rate",
        "rate_suppressed",
    ]


def test_verify_finds_an_ungated_or_tampered_table(con):
    table(con, "county VARCHAR, people BIGINT", [("A", 4), ("B", 30), ("C", 12), ("ALL", 46)])
    assert verify_gated(con, COUNTY_TABLE, "m", T)  # wrong layout
    gated(con, COUNTY_TABLE)
    assert verify_gated(con, COUNTY_TABLE, "g", T) == []
    con.execute("UPDATE g SET people = 12, people_suppressed = false WHERE county = 'C'")
    problems = verify_gated(con, COUNTY_TABLE, "g", T)
    assert any("recoverable by subtraction" in p for p in problems)
    con.execute("UPDATE g SET people = 4, people_suppressed = false WHERE county = 'A'")
    assert any("below 10" in p for p in verify_gated(con, COUNTY_TABLE, "g", T))


# --- the subtraction attack -------------------------------------------------------------------

TWO_WAY = declaration(
    dim("program"),
    dim("county", total="ALL"),
    count("graduates", sum_of=["enrolled", "not_enrolled"]),
    count("enrolled", base="graduates"),
    count("not_enrolled", base="graduates"),
)
TWO_WAY_ROWS = [
    # program, county, graduates, enrolled, not_enrolled
    ("P", "A", 25, 3, 22),
    ("P", "B", 40, 18, 22),
    ("P", "C", 14, 8, 6),
    ("P", "D", 60, 35, 25),
    ("P", "ALL", 139, 64, 75),
    ("Q", "A", 12, 11, 1),
    ("Q", "B", 33, 20, 13),
    ("Q", "C", 30, 15, 15),
    ("Q", "D", 9, 4, 5),
    ("Q", "ALL", 84, 50, 34),
]
COUNTS = ("graduates", "enrolled", "not_enrolled")
# the all-program sum of each county, as another publication might show it
MARGINS = [
    (county, col, sum(r[2 + COUNTS.index(col)] for r in TWO_WAY_ROWS if r[1] == county))
    for county in ("A", "B", "C", "D", "ALL")
    for col in COUNTS
]


Cell = tuple[int, str]


def equations(rows: list[dict]) -> list[tuple[Cell | None, list[Cell]]]:
    """Every sum a reader knows, written out independently of the gate, as (total, parts):
    along county (the ALL row is the total), along program (the margin may be published
    elsewhere: total None) and within a row (graduates = enrolled + not_enrolled)."""
    eqs: list[tuple[Cell | None, list[Cell]]] = []
    for col in COUNTS:
        for program in ("P", "Q"):
            of_program = [i for i, r in enumerate(rows) if r["program"] == program]
            total = next(i for i in of_program if rows[i]["county"] == "ALL")
            eqs.append(((total, col), [(i, col) for i in of_program if i != total]))
        for county in ("A", "B", "C", "D", "ALL"):
            eqs.append((None, [(i, col) for i, r in enumerate(rows) if r["county"] == county]))
    for i in range(len(rows)):
        eqs.append(((i, "graduates"), [(i, "enrolled"), (i, "not_enrolled")]))
    return eqs


def attack(rows: list[dict], margins_known: bool = False) -> dict[Cell, float]:
    """Recover suppressed cells: solve every equation with one unknown, repeat until stuck.

    With ``margins_known`` the attacker also knows the program margins (total None)."""
    known = {(i, c): r[c] for i, r in enumerate(rows) for c in COUNTS if not r[f"{c}_suppressed"]}
    if margins_known:
        truth = dict(((p, c), v) for p, c, v in MARGINS)
    recovered: dict[Cell, float] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in equations(rows):
            if total is None and not margins_known:
                continue
            cells = parts + ([total] if total else [])
            unknown = [cell for cell in cells if cell not in known]
            if len(unknown) != 1:
                continue
            whole = known.get(total) if total else truth[(rows[parts[0][0]]["county"], parts[0][1])]
            if unknown[0] == total:
                value = sum(known[p] for p in parts)
            else:
                value = whole - sum(known[p] for p in parts if p != unknown[0])
            known[unknown[0]] = recovered[unknown[0]] = value
            progress = True
    return recovered


def rows_of(con, name: str) -> list[dict]:
    cursor = con.execute(f"SELECT * FROM {name} ORDER BY program, county")
    header = [d[0] for d in cursor.description]
    return [dict(zip(header, row, strict=True)) for row in cursor.fetchall()]


def test_attacker_recovers_cells_when_only_small_counts_are_hidden(con):
    """Control: primary suppression alone is undone by subtraction."""
    table(
        con,
        "program VARCHAR, county VARCHAR, graduates BIGINT, enrolled BIGINT, not_enrolled BIGINT",
        TWO_WAY_ROWS,
    )
    con.execute(
        "CREATE TABLE naive AS SELECT program, county, "
        "CASE WHEN graduates >= 10 THEN graduates END graduates, "
        "graduates < 10 graduates_suppressed, "
        "CASE WHEN enrolled >= 10 THEN enrolled END enrolled, enrolled < 10 enrolled_suppressed,"
        "CASE WHEN not_enrolled >= 10 THEN not_enrolled END not_enrolled, "
        "not_enrolled < 10 not_enrolled_suppressed FROM m"
    )
    recovered = attack(rows_of(con, "naive"))
    truth = {
        (i, c): r[2 + COUNTS.index(c)] for i, r in enumerate(sorted(TWO_WAY_ROWS)) for c in COUNTS
    }
    assert recovered and all(truth[cell] == value for cell, value in recovered.items())


def test_gate_cannot_be_undone_by_subtraction(con):
    table(
        con,
        "program VARCHAR, county VARCHAR, graduates BIGINT, enrolled BIGINT, not_enrolled BIGINT",
        TWO_WAY_ROWS,
    )
    report = gate_table(con, TWO_WAY, "m", "g", T)
    rows = rows_of(con, "g")
    assert report.primary > 0 and report.complementary > 0
    assert attack(rows) == {}
    assert attack(rows, margins_known=True) == {}
    for total, parts in equations(rows):  # no known sum leaves exactly one cell unknown
        hidden = [
            c for c in [*parts, *([total] if total else [])] if rows[c[0]][f"{c[1]}_suppressed"]
        ]
        assert len(hidden) != 1, (total, parts)
    assert verify_gated(con, TWO_WAY, "g", T) == []


def test_gate_is_deterministic(con):
    table(
        con,
        "program VARCHAR, county VARCHAR, graduates BIGINT, enrolled BIGINT, not_enrolled BIGINT",
        TWO_WAY_ROWS,
    )
    gate_table(con, TWO_WAY, "m", "g", T)
    first = rows_of(con, "g")
    con.execute("CREATE OR REPLACE TABLE m AS SELECT * FROM m ORDER BY random()")
    gate_table(con, TWO_WAY, "m", "g", T)
    assert rows_of(con, "g") == first


def test_a_rest_is_kept_from_every_count_a_count_lies_in(con):
    # employed among the reachable exiters, they among all exiters
    chain = [dim("county", additive=False), count("exiters")]
    chain.append(count("reachable", base="exiters"))
    flat = declaration(*chain, count("employed", base="exiters"))
    nested = declaration(*chain, count("employed", base="reachable"))
    table(
        con,
        "county VARCHAR, exiters BIGINT, reachable BIGINT, employed BIGINT",
        [("A", 40, 30, 24), ("B", 38, 35, 30), ("C", 60, 40, 20)],
    )
    rows = {r["county"]: r for r in gated(con, flat)}
    assert rows["A"]["employed"] == 24 and rows["A"]["reachable"] == 30  # 6 unemployed shown
    rows = {r["county"]: r for r in gated(con, nested)}
    assert rows["A"]["employed_suppressed"] and not rows["A"]["reachable_suppressed"]
    assert not any(rows["C"][f"{c}_suppressed"] for c in ("exiters", "reachable", "employed"))
    # B's reachable hidden for another reason: 38 - 30 = 8 exiters not employed is a rest too
    gate_table(con, nested, "m", "g", T, forced=[(2, "reachable")])
    assert con.execute("SELECT employed_suppressed FROM g WHERE county = 'B'").fetchone()[0]
