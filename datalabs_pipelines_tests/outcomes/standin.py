"""A stand-in ``integrated.person_keys`` built from the generator's truth, for tests and local
runs only, until the person-linkage asset lands. Production code never reads truth.

k12_graduation has no truth rows of its own: a graduate's person is the person of the
k12_enrollment records with the same student id. ``carries_ssn`` is TRUE for the records of the
extracts that deliver SSNs (the truth does not say which lines left it blank).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

TRUTH = Path(__file__).parents[2] / "data" / "truth" / "person_records.csv"


def create_person_keys_from_truth(con: duckdb.DuckDBPyConnection, truth: Path = TRUTH) -> int:
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute(
        """
        CREATE OR REPLACE TABLE integrated.person_keys AS
        WITH truth AS (
            SELECT extract AS source_extract,
                   delivery_file || ':' || line_number AS record_id,
                   'PK' || md5(person_id)[:16] AS person_key,
                   extract IN ('snap_enrollment', 'tanf_enrollment', 'medicaid_enrollment',
                               'ui_wages', 'ui_claims') AS carries_ssn
            FROM read_csv(?, header = true, all_varchar = true)
        ),
        students AS (
            SELECT DISTINCT e.student_id, t.person_key
            FROM staging.k12_enrollment e
            JOIN truth t ON t.source_extract = 'k12_enrollment' AND t.record_id = e.record_id
        )
        SELECT * FROM truth
        UNION ALL
        SELECT 'k12_graduation', g.record_id, s.person_key, false
        FROM staging.k12_graduation g JOIN students s USING (student_id)
        """,
        [str(truth)],
    )
    return con.execute("SELECT count(*) FROM integrated.person_keys").fetchone()[0]
