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
RECORD_PROFILE = "lk_record_profile"  # TEMP (source_extract, record_id, cluster0, profile_id)
FIELDS = ("first_name", "last_name", "middle_name", "dob", "ssn", "sex", "zip", "employer")
# what Splink reads of a profile, in this order: the fields and keys derived from them alone
COLUMNS = (
    "first_name", "first_canons", "first_canon", "last_name", "name_key", "middle_name",
    "dob", "dob_key", "ssn", "ssn_digits", "sex", "zip", "employer",
)  # fmt: skip


def build_profiles(con: duckdb.DuckDBPyConnection) -> int:
    """TEMP ``lk_record_profile(source_extract, record_id, cluster0, profile_id)``
    and ``lk_profiles`` (one row per profile, the Splink input). Returns the profile count."""
    profiles_of(con, RECORDS, CLUSTER0, RECORD_PROFILE, PROFILES)
    return con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]


def profiles_of(
    con: duckdb.DuckDBPyConnection, records: str, clusters: str, record_profile: str, profiles: str
) -> None:
    """TEMP ``record_profile`` (each record of ``records``: its cluster in ``clusters`` and
    its profile) and ``profiles`` (one row per profile), for ``records`` whose ``node0`` the
    ``clusters(node, component)`` table places."""
    placing = _placing(records, clusters)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {record_profile} AS "
        f"SELECT r.source_extract, r.record_id, {PLACED} FROM {placing}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {profiles} AS {profiles_select(placing, 'c.component')}"
    )


def write_placed_profiles(
    con: duckdb.DuckDBPyConnection,
    records: str,
    clusters: str,
    placed: str,
    profiles: str,
    temporary: bool = False,
) -> None:
    """``profiles_of`` written as two tables: ``placed`` (every column of ``records``, then
    ``cluster0`` and ``profile_id``) and ``profiles`` (read back from ``placed``), with one
    join and no copy of either: the kept tables of a full preparation, or (``temporary``:
    ``placed`` a TEMP table, ``profiles`` a TEMP view over it, read once) a night's new and
    relabelled records."""
    table, view = ("TEMP TABLE", "TEMP VIEW") if temporary else ("TABLE", "TABLE")
    con.execute(
        f"CREATE OR REPLACE {table} {placed} AS "
        f"SELECT r.*, {PLACED} FROM {_placing(records, clusters)}"
    )
    con.execute(
        f"CREATE OR REPLACE {view} {profiles} AS {profiles_select(f'{placed} r', 'r.cluster0')}"
    )


def _placing(records: str, clusters: str) -> str:
    """FROM clause placing each record ``r`` in its cluster ``c`` (by its ``node0``)."""
    return f"{records} r JOIN {clusters} c ON c.node = r.node0"


def profiles_select(placed: str, cluster: str) -> str:
    """SELECT of the profiles of the records ``r`` in ``placed``, whose cluster is ``cluster``:
    the distinct field combinations of each cluster, hashed once per profile rather than
    grouped by a hash of every record; their row order is Splink's business (it compares ids,
    never positions), so no sort."""
    columns = ", ".join(f"r.{c}" for c in COLUMNS)
    return (
        f"SELECT {profile_id_sql('cluster0', '')} AS unique_id, * FROM ("
        f"SELECT DISTINCT {cluster} AS cluster0, {columns} FROM {placed} WHERE r.has_identity)"
    )


def profile_id_sql(cluster: str, prefix: str) -> str:
    """SQL of a profile's id: a hash of its cluster and compared fields."""
    fields = ", ".join(f"coalesce(CAST({prefix}{f} AS VARCHAR), chr(0))" for f in FIELDS)
    return f"md5(concat_ws(chr(31), {cluster}, {fields}))"


# over ``_placing``: each record's cluster and profile (NULL when it carries no identity)
PLACED = (
    "c.component AS cluster0, "
    f"CASE WHEN r.has_identity THEN {profile_id_sql('c.component', 'r.')} END AS profile_id"
)
