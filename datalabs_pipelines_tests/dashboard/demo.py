"""A demo snapshot: the marts the dashboard expects, in plausible shapes, with suppressed cells.

The real marts are built on other branches; these declarations stand in for them so the
dashboard can be rendered and looked at whole. Values are synthetic and aggregated.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb

from datalabs_pipelines.marts.declaration import MartDeclaration

AGENCIES = ["Transportation", "Human Services", "Corrections", "Natural Resources", "Revenue"]
COUNTIES = ["Adams", "Cook", "Lake", "Peoria", "Sangamon", "Will"]
YEARS = [2023, 2024, 2025]
QUARTERS = [f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)]
CATEGORIES = ["Construction", "Professional services", "IT services", "Goods", "Facilities"]


def _col(name: str, type_: str, role: str, description: str, **extra) -> dict:
    return {"name": name, "type": type_, "role": role, "description": description, **extra}


def _decl(name: str, domain: str, purpose: str, columns: list[dict], controlled=True) -> dict:
    return {
        "name": name,
        "domain": domain,
        "description": f"Demo {name.replace('_', ' ')}.",
        "grain": "One row per demo cell.",
        "purpose": purpose,
        "owners": ["team:demo"],
        "disclosure_control": controlled,
        "columns": columns,
    }


DECLARATIONS = [
    _decl(
        "procurement_utilization",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year (July to June)"),
            _col("agency", "VARCHAR", "dimension", "paying agency"),
            _col("program", "VARCHAR", "dimension", "goal program: BEP or veteran"),
            _col("vendors", "BIGINT", "count", "vendors paid"),
            _col("total_paid", "DECIMAL(18,2)", "amount", "all payments"),
            _col("certified_paid", "DECIMAL(18,2)", "amount", "payments to certified firms"),
            _col(
                "utilization",
                "DOUBLE",
                "share",
                "share of spend to certified firms",
                base="vendors",
                definition="certified_paid / total_paid",
            ),
            _col("goal", "DOUBLE", "measure", "the program's utilization goal"),
        ],
        controlled=False,
    ),
    _decl(
        "procurement_disparity",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year"),
            _col("category", "VARCHAR", "dimension", "procurement category"),
            _col("firms", "BIGINT", "count", "certified firms available"),
            _col(
                "disparity_index",
                "DOUBLE",
                "rate",
                "disparity index",
                base="firms",
                definition="utilization share ÷ availability share",
            ),
            _col("below_threshold", "BOOLEAN", "flag", "disparity index below 0.80"),
        ],
        controlled=False,
    ),
    _decl(
        "procurement_awards_vs_paid",
        "procurement",
        "procurement_equity",
        [
            _col("fiscal_year", "INTEGER", "dimension", "state fiscal year"),
            _col("agency", "VARCHAR", "dimension", "awarding agency"),
            _col("awarded_amount", "DECIMAL(18,2)", "amount", "awarded to certified firms"),
            _col("paid_amount", "DECIMAL(18,2)", "amount", "paid to certified firms"),
        ],
        controlled=False,
    ),
    _decl(
        "safety_net_enrollment",
        "safety_net",
        "program_evaluation",
        [
            _col("quarter", "VARCHAR", "dimension", "calendar quarter"),
            _col("county", "VARCHAR", "dimension", "county of residence"),
            _col("enrolled", "BIGINT", "count", "people enrolled"),
            _col(
                "churn_rate",
                "DOUBLE",
                "rate",
                "left and returned within 90 days",
                base="enrolled",
                definition="returned within 90 days / exits",
            ),
        ],
    ),
    _decl(
        "workforce_outcomes",
        "workforce",
        "program_evaluation",
        [
            _col("exit_year", "INTEGER", "dimension", "year of program exit"),
            _col("program", "VARCHAR", "dimension", "program exited"),
            _col("exiters", "BIGINT", "count", "people who exited"),
            _col(
                "employed_q2", "DOUBLE", "rate", "employed 2nd quarter after exit", base="exiters"
            ),
            _col(
                "employed_q4", "DOUBLE", "rate", "employed 4th quarter after exit", base="exiters"
            ),
            _col(
                "median_earnings_q2",
                "DOUBLE",
                "median",
                "median earnings, 2nd quarter after exit",
                base="exiters",
            ),
        ],
    ),
    _decl(
        "student_outcomes",
        "education",
        "program_evaluation",
        [
            _col("cohort_year", "INTEGER", "dimension", "graduation year"),
            _col("county", "VARCHAR", "dimension", "county of the high school"),
            _col("graduates", "BIGINT", "count", "high-school graduates"),
            _col("enrolled_16mo", "DOUBLE", "rate", "enrolled within 16 months", base="graduates"),
        ],
    ),
    _decl(
        "linkage_quality",
        "platform",
        "linkage_quality_monitoring",
        [
            _col("source", "VARCHAR", "dimension", "extract linked"),
            _col("records", "BIGINT", "measure", "records considered"),
            _col("linked", "BIGINT", "measure", "records linked to an entity"),
        ],
        controlled=False,
    ),
]

SUPPRESSED_ROLES = {"count", "rate", "share", "median"}


def declarations() -> list[MartDeclaration]:
    return [MartDeclaration.model_validate(d) for d in DECLARATIONS]


def _rows(name: str, rng: random.Random) -> list[dict]:
    if name == "procurement_utilization":
        rows = []
        for year in YEARS:
            for agency in AGENCIES:
                for program, goal in (("BEP", 0.30), ("Veteran", 0.03)):
                    total = rng.uniform(2e6, 9e7)
                    share = rng.uniform(0.4, 1.3) * goal
                    rows.append(
                        dict(
                            fiscal_year=year,
                            agency=agency,
                            program=program,
                            vendors=rng.randint(40, 900),
                            total_paid=round(total, 2),
                            certified_paid=round(total * share, 2),
                            utilization=share,
                            goal=goal,
                        )
                    )
        return rows
    if name == "procurement_disparity":
        return [
            dict(
                fiscal_year=y,
                category=c,
                firms=rng.randint(12, 300),
                disparity_index=(d := rng.uniform(0.45, 1.3)),
                below_threshold=d < 0.8,
            )
            for y in YEARS
            for c in CATEGORIES
        ]
    if name == "procurement_awards_vs_paid":
        return [
            dict(
                fiscal_year=y,
                agency=a,
                awarded_amount=(aw := round(rng.uniform(1e6, 4e7), 2)),
                paid_amount=round(aw * rng.uniform(0.6, 1.0), 2),
            )
            for y in YEARS
            for a in AGENCIES
        ]
    if name == "safety_net_enrollment":
        return [
            dict(
                quarter=q,
                county=c,
                enrolled=(n := rng.choice([rng.randint(200, 4000)] * 6 + [rng.randint(1, 9)])),
                churn_rate=rng.uniform(0.05, 0.22) if n >= 10 else None,
            )
            for q in QUARTERS
            for c in COUNTIES
        ]
    if name == "workforce_outcomes":
        return [
            dict(
                exit_year=y,
                program=p,
                exiters=(n := rng.choice([rng.randint(50, 3000)] * 5 + [4])),
                employed_q2=rng.uniform(0.4, 0.75) if n >= 10 else None,
                employed_q4=rng.uniform(0.35, 0.7) if n >= 10 else None,
                median_earnings_q2=rng.uniform(4000, 9500) if n >= 10 else None,
            )
            for y in YEARS
            for p in ("SNAP", "TANF", "WIOA Adult", "WIOA Dislocated")
        ]
    if name == "student_outcomes":
        return [
            dict(
                cohort_year=y,
                county=c,
                graduates=(n := rng.choice([rng.randint(100, 2500)] * 5 + [7])),
                enrolled_16mo=rng.uniform(0.45, 0.8) if n >= 10 else None,
            )
            for y in YEARS
            for c in COUNTIES
        ]
    if name == "linkage_quality":
        return [
            dict(source=s, records=(n := rng.randint(2000, 40000)), linked=int(n * 0.93))
            for s in ("snap_enrollment", "tanf_enrollment", "ui_wages", "k12_graduation")
        ]
    raise KeyError(name)


def _with_suppression(decl: MartDeclaration, rows: list[dict]) -> tuple[list[str], list[dict]]:
    """Columns in published order (companions after each suppressible column) and rows."""
    columns: list[str] = []
    for c in decl.columns:
        columns.append(c.name)
        if decl.disclosure_control and c.role in SUPPRESSED_ROLES:
            columns.append(f"{c.name}_suppressed")
    out = []
    for row in rows:
        small = any(
            c.role == "count" and isinstance(row.get(c.name), int) and row[c.name] < 10
            for c in decl.columns
        )
        new = dict(row)
        for c in decl.columns:
            if decl.disclosure_control and c.role in SUPPRESSED_ROLES:
                new[f"{c.name}_suppressed"] = small
                if small:
                    new[c.name] = None
        out.append(new)
    return columns, out


def write_demo_snapshot(path: Path, seed: int = 7, skip: tuple[str, ...] = ()) -> Path:
    """Write a published-style snapshot holding the demo marts (minus ``skip``)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for decl in declarations():
            if decl.name in skip:
                continue
            types = {c.name: c.type for c in decl.columns}
            columns, rows = _with_suppression(decl, _rows(decl.name, rng))
            ddl = ", ".join(f"{c} {types.get(c, 'BOOLEAN')}" for c in columns)
            con.execute(f"CREATE TABLE main.{decl.name} ({ddl})")
            con.executemany(
                f"INSERT INTO main.{decl.name} VALUES ({', '.join('?' for _ in columns)})",
                [[r.get(c) for c in columns] for r in rows],
            )
        con.execute(
            "CREATE TABLE main.extract_quality (extract VARCHAR, delivery VARCHAR, status "
            "VARCHAR, records_in_file BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
            "reconciles BOOLEAN, checks_passed BIGINT, checks_failed BIGINT, "
            "blocking_checks_failed BIGINT, rejection_rule VARCHAR, load_time TIMESTAMP)"
        )
        for extract in ("snap_enrollment", "payments", "ui_wages", "k12_graduation"):
            for year in YEARS:
                n = rng.randint(500, 9000)
                bad = rng.randint(0, 12)
                con.execute(
                    "INSERT INTO main.extract_quality VALUES (?, ?, 'loaded', ?, ?, ?, true, 12, "
                    "?, 0, NULL, TIMESTAMP '2026-03-02 01:15:00' + INTERVAL (?) MINUTE)",
                    [extract, f"{extract}_{year}.txt", n, n - bad, bad, bad % 2, year],
                )
    return path
