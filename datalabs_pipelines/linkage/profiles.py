"""Distinct identity profiles: what the probabilistic pass scores instead of raw records.

A person's forty wage records under one name and SSN are one profile. A profile is a distinct
combination of the compared fields inside one deterministic cluster (``cluster0``), so scoring
profiles decides exactly what scoring their records would, at a fraction of the pairs.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.deterministic import CLUSTER0
from datalabs_pipelines.linkage.prepare import RECORDS

PROFILES = "lk_profiles"
FIELDS = ("first_name", "last_name", "middle_name", "dob", "ssn", "sex", "zip", "employer")


def build_profiles(con: duckdb.DuckDBPyConnection) -> int:
    """TEMP ``lk_record_profile(source_extract, record_id, cluster0, profile_id)`` and
    ``lk_profiles`` (one row per profile, the Splink input). Returns the profile count."""
    fields = ", ".join(f"coalesce(CAST(r.{f} AS VARCHAR), chr(0))" for f in FIELDS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_record_profile AS
        SELECT r.source_extract, r.record_id, c.component AS cluster0,
               CASE WHEN r.has_identity THEN
                   md5(concat_ws(chr(31), c.component, {fields})) END AS profile_id
        FROM {RECORDS} r JOIN {CLUSTER0} c ON c.node = r.node0
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {PROFILES} AS
        SELECT p.profile_id AS unique_id, any_value(p.cluster0) AS cluster0,
               any_value(r.first_name) AS first_name,
               any_value(r.first_canons) AS first_canons,
               any_value(r.first_canon) AS first_canon,
               any_value(r.last_name) AS last_name, any_value(r.name_key) AS name_key,
               any_value(r.middle_name) AS middle_name,
               any_value(r.dob) AS dob, any_value(r.dob_key) AS dob_key,
               any_value(r.ssn) AS ssn, any_value(r.ssn_digits) AS ssn_digits,
               any_value(r.sex) AS sex, any_value(r.zip) AS zip,
               any_value(r.employer) AS employer
        FROM lk_record_profile p
        JOIN {RECORDS} r USING (source_extract, record_id)
        WHERE p.profile_id IS NOT NULL
        GROUP BY p.profile_id
        ORDER BY p.profile_id
        """
    )
    return con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
