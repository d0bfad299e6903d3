"""linkage_quality on a hand-made warehouse: match rates by subgroup, ages as of the run date."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines_tests.outcomes.cohort import MARTS

ROLES = {
    "role_benefit_enrollment": "county_fips, dob_year, sex_code, race_code, hispanic_latino",
    "role_k12_enrollment": "dob_year, sex_code, race_code, hispanic_latino",
    "role_ui_claims": "county_fips, dob_year",
    "role_wage_records": "county_fips",
    "role_postsecondary_enrollment": "dob_year",
    "role_postsecondary_completion": "dob_year",
}


def build(on: dt.date) -> dict[tuple[str, str, str], tuple[int, int]]:
    """SNAP records of three people: P1 (born 2009) also has a wage record, so it is linked;
    P2 (born 1980) and P3 (no birth year) are not. Returns (records, linked) per subgroup."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA integrated; CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE integrated.person_keys AS SELECT * FROM (VALUES "
        "('snap', 's1', 'P1'), ('wages', 'w1', 'P1'), ('snap', 's2', 'P2'), ('snap', 's3', 'P3')"
        ") t(source_extract, record_id, person_key)"
    )
    for role, columns in ROLES.items():
        typed = ", ".join(
            f"NULL::{'INTEGER' if c == 'dob_year' else 'VARCHAR'} AS {c}"
            for c in columns.split(", ")
        )
        con.execute(
            f"CREATE TABLE {role} AS SELECT NULL::VARCHAR AS source_extract, "
            f"NULL::VARCHAR AS record_id, {typed} LIMIT 0"
        )
    con.execute(
        "INSERT INTO role_benefit_enrollment VALUES "
        "('snap', 's1', '17031', 2009, 'F', NULL, 'N'), "
        "('snap', 's2', '17031', 1980, 'M', NULL, 'N'), "
        "('snap', 's3', '17043', NULL, NULL, NULL, 'N')"
    )
    con.execute("INSERT INTO role_wage_records VALUES ('wages', 'w1', '17031')")
    declaration = MARTS["linkage_quality"]
    prepare(con, declaration.cohorts, on)
    con.execute(declaration.sql_path.read_text())
    rows = con.execute(
        "SELECT source_extract, subgroup_type, subgroup, records, linked_records "
        "FROM marts.linkage_quality"
    ).fetchall()
    return {(s, t, g): (n, linked) for s, t, g, n, linked in rows}


@pytest.mark.parametrize(
    ("on", "p1_band", "p2_band"),
    [(dt.date(2026, 6, 1), "0-17", "45-54"), (dt.date(2030, 6, 1), "18-24", "45-54")],
)
def test_age_bands_are_as_of_the_run_date(on, p1_band, p2_band):
    rows = build(on)
    assert rows[("snap", "all", "all")] == (3, 1)
    assert rows[("snap", "age_band", p1_band)] == (1, 1)  # 2026 - 2009 = 17; 2030: 21
    assert rows[("snap", "age_band", p2_band)] == (1, 0)  # 46 and 50
    assert rows[("snap", "age_band", "Unknown")] == (1, 0)
    assert rows[("snap", "county", "17031")] == (2, 1)
    assert rows[("wages", "all", "all")] == (1, 1)
