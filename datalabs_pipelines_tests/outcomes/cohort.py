"""Hand-made integrated tables: create them from the fact declarations and fill them in."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines.outcomes.facts import all_facts
from datalabs_pipelines.outcomes.linkage import PERSON_KEYS_COLUMNS

FACTS = {f.name: f for f in all_facts()}
MARTS = {d.name: d for d in all_declarations()}


def create_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Every integrated fact table, empty, with its declared columns."""
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    for fact in FACTS.values():
        columns = ", ".join(f"{c.name} {c.type}" for c in fact.columns)
        con.execute(f"CREATE OR REPLACE TABLE integrated.{fact.name} ({columns})")
    columns = ", ".join(f"{n} {t}" for n, (t, _) in PERSON_KEYS_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE integrated.person_keys ({columns})")


def carry_ssn(con: duckdb.DuckDBPyConnection, *persons: str) -> None:
    """Give each person a record carrying an SSN (what reaches the wage records)."""
    for person in persons:
        con.execute(
            "INSERT INTO integrated.person_keys VALUES (?, ?, ?, true)",
            ["snap_enrollment", f"ssn-of-{person}", person],
        )


def insert(con: duckdb.DuckDBPyConnection, fact: str, rows: Sequence[dict]) -> None:
    """Rows given by column name; missing columns are NULL."""
    for row in rows:
        names = ", ".join(row)
        marks = ", ".join("?" * len(row))
        con.execute(f"INSERT INTO integrated.{fact} ({names}) VALUES ({marks})", list(row.values()))


def spell(
    person, program, start, end, county="17001", birth_year=1990, sex=None, race=None
) -> dict:
    return {
        "person_key": person,
        "program": program,
        "start_date": start,
        "end_date": end,
        "county_fips": county,
        "birth_year": birth_year,
        "sex": sex,
        "race_ethnicity": race,
        "source_records": 1,
    }


def wage(person, year, quarter, wages, employer="111111111") -> dict:
    return {
        "person_key": person,
        "year": year,
        "quarter": quarter,
        "quarter_index": year * 4 + quarter - 1,
        "employer_fein": employer,
        "naics": "722511",
        "wages": wages,
        "worksite_county_fips": "17001",
        "source_records": 1,
    }


def build_mart(con: duckdb.DuckDBPyConnection, name: str) -> dict[tuple, dict]:
    """Run the mart's SQL; rows keyed by their dimension values."""
    declaration = MARTS[name]
    prepare(con, declaration.cohorts)
    con.execute(declaration.sql_path.read_text())
    dims = [c.name for c in declaration.columns_with("dimension")]
    cursor = con.execute(f"SELECT * FROM marts.{name}")
    header = [d[0] for d in cursor.description]
    rows = [dict(zip(header, r, strict=True)) for r in cursor.fetchall()]
    return {tuple(r[d] for d in dims): r for r in rows}
