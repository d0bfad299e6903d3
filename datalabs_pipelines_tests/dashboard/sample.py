"""A small published snapshot in the real marts' shapes (their declarations), values made up.

Three periods, the latest partial; rows whose first count is below 30 have every gated cell
suppressed (NULL and the companion flag), so charts meet suppressed cells too, except total
rows (the state, all groups), which hold the most people.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

import duckdb

from datalabs_pipelines.governance.disclosure import published_columns
from datalabs_pipelines.marts.declaration import MartDeclaration, all_declarations

PERIODS = [2023, 2024, 2025]
VALUES: dict[str, list[object]] = {
    "fiscal_year": PERIODS,
    "year": PERIODS,
    "exit_year": PERIODS,
    "cohort_year": PERIODS,
    "program": ["SNAP", "TANF"],
    "basis": ["awards", "payments"],
    "ownership": ["all", "women"],
    "agency_code": ["ALL", "A01", "A02"],
    "breakdown": ["all", "sex"],
    "group_code": ["ALL", "F", "M"],
    "county_fips": ["ALL", "17031"],
    "district_id": ["ALL", "D1"],
    "category": ["23", "54"],
    "subgroup_type": ["all", "county"],
    "subgroup": ["all", "17031"],
    "month": [dt.date(2025, 1, 1), dt.date(2025, 2, 1)],
    "exit_quarter": ["2024Q4", "2025Q1"],
}
CODES = {"group_code", "county_fips", "district_id", "agency_code", "subgroup"}
COMPLETE = {"year_complete", "window_complete", "fiscal_year_complete"}
PERIOD = {"fiscal_year", "year", "exit_year", "cohort_year"}
CHARTED = (
    "procurement_program_utilization",
    "procurement_utilization",
    "procurement_disparity",
    "procurement_awards_vs_paid",
    "procurement_data_flags",
    "safety_net_annual",
    "safety_net_enrollment",
    "workforce_outcomes_statewide",
    "workforce_outcomes",
    "student_outcomes_statewide",
    "student_outcomes",
    "linkage_quality",
)


def _value(role: str, rng: random.Random) -> object:
    return {
        "count": lambda: rng.randint(0, 300),
        "share": lambda: round(rng.uniform(0.1, 0.9), 4),
        "rate": lambda: round(rng.uniform(0.1, 0.9), 4),
        "amount": lambda: round(rng.uniform(1e4, 1e6), 2),
        "median": lambda: round(rng.uniform(2000, 9000), 2),
        "measure": lambda: round(rng.uniform(0.2, 1.5), 3),
    }.get(role, lambda: None)()


def _rows(decl: MartDeclaration, rng: random.Random) -> list[dict[str, object]]:
    dims = [c.name for c in decl.columns if c.role == "dimension"]
    pools = [VALUES.get(d, ["a", "b"]) for d in dims]
    latest = max(PERIODS)
    rows = []
    for combo in itertools.product(*pools):
        row: dict[str, object] = dict(zip(dims, combo, strict=True))
        period = next((row[d] for d in dims if d in PERIOD), None)
        for c in decl.columns:
            if c.role == "label":
                row[c.name] = f"Name of {row[_code_of(decl, c.name)]}"
            elif c.role == "flag":
                row[c.name] = period != latest if c.name in COMPLETE else True
            elif c.role == "interval":
                continue
            elif c.role != "dimension":
                row[c.name] = _value(c.role, rng)
        for c in decl.columns:
            if c.name.endswith("_pct"):
                row[c.name] = round(rng.uniform(1, 30), 2)
        for c in decl.columns:
            if c.role == "interval":
                point = row.get(c.name.rsplit("_", 1)[0])
                if isinstance(point, float):
                    row[c.name] = round(point + (0.05 if c.name.endswith("_high") else -0.05), 4)
        counts = [c.name for c in decl.columns if c.role == "count"]
        total = any(row[d] in ("ALL", "all") for d in dims if d in CODES)  # totals are large
        small = bool(counts) and decl.disclosure_control and row[counts[0]] < 30 and not total
        for c in decl.columns:
            if decl.disclosure_control and c.role in ("count", "share", "rate", "interval"):
                row[f"{c.name}_suppressed"] = small
                if small:
                    row[c.name] = None
            elif decl.disclosure_control and c.role == "median":
                row[f"{c.name}_suppressed"] = small
        rows.append(row)
    return rows


def _code_of(decl: MartDeclaration, label: str) -> str:
    """The dimension a label column names: the nearest one before it."""
    names = [c.name for c in decl.columns]
    before = decl.columns[: names.index(label)]
    return next(c.name for c in reversed(before) if c.role == "dimension")


def write_sample_snapshot(path: Path, seed: int = 3, skip: tuple[str, ...] = ()) -> Path:
    """Write a published-style snapshot of the charted marts (minus ``skip``)."""
    rng = random.Random(seed)
    by_name = {d.name: d for d in all_declarations()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for name in CHARTED:
            if name in skip:
                continue
            decl = by_name[name]
            columns = (
                published_columns(decl)
                if decl.disclosure_control
                else [(c.name, c.type) for c in decl.columns]
            )
            ddl = ", ".join(f"{n} {t}" for n, t in columns)
            con.execute(f"CREATE TABLE main.{name} ({ddl})")
            con.executemany(
                f"INSERT INTO main.{name} VALUES ({', '.join('?' for _ in columns)})",
                [[r.get(n) for n, _ in columns] for r in _rows(decl, rng)],
            )
        con.execute(
            "CREATE TABLE main.extract_quality (extract VARCHAR, delivery VARCHAR, status "
            "VARCHAR, records_in_file BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
            "reconciles BOOLEAN, checks_passed BIGINT, checks_failed BIGINT, "
            "blocking_checks_failed BIGINT, rejection_rule VARCHAR, load_time TIMESTAMP)"
        )
        for extract, year in itertools.product(("snap_enrollment", "payments"), PERIODS):
            con.execute(
                "INSERT INTO main.extract_quality VALUES (?, ?, 'loaded', 100, 97, 3, true, 12, "
                "0, 0, NULL, TIMESTAMP '2026-03-03 11:00:00')",
                [extract, f"{extract}_{year}.txt"],
            )
    return path
