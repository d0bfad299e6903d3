"""The deterministic pass: agency ids and verified SSNs group records before any scoring.

Records that share an agency id (a member id, a student id) start as one node. Two nodes whose
records carry the same valid SSN are joined when something else agrees too (date of birth, a
similar first or last name, or one name in either place): a transposed SSN that happens to be
someone else's valid number then does not weld two people together. Invalid SSNs are NULL in
staging and never match.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.linkage.prepare import RECORDS

NAME_AGREES = 0.85  # Jaro-Winkler similarity at which a name corroborates a shared SSN
CLUSTER0 = "lk_cluster0"


def ssn_edges(con: duckdb.DuckDBPyConnection) -> int:
    """TEMP ``lk_ssn_edges(node_l, node_r)`` between nodes sharing a corroborated SSN."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_ssn_edges AS
        WITH p AS (
            SELECT DISTINCT node0, ssn, first_name, first_canons, last_name, dob, dob_key,
                   md5(concat_ws(chr(31), ssn, coalesce(first_name, chr(0)),
                       coalesce(last_name, chr(0)), coalesce(CAST(dob AS VARCHAR), chr(0))))
                       AS identity
            FROM {RECORDS}
            WHERE linkable AND ssn IS NOT NULL
              AND (first_name IS NOT NULL OR last_name IS NOT NULL OR dob IS NOT NULL)
        ),
        -- one node per identical (SSN, names, date of birth): the others join it directly
        rep AS (SELECT identity, min(node0) AS node0 FROM p GROUP BY identity),
        star AS (
            SELECT DISTINCT rep.node0 AS node_l, p.node0 AS node_r
            FROM p JOIN rep USING (identity) WHERE p.node0 <> rep.node0
        ),
        distinct_identity AS (
            SELECT DISTINCT ON (identity) rep.node0, p.* EXCLUDE (node0)
            FROM p JOIN rep USING (identity)
        ),
        corroborated AS (
            SELECT l.node0 AS node_l, r.node0 AS node_r
            FROM distinct_identity l JOIN distinct_identity r
              ON l.ssn = r.ssn AND l.identity < r.identity AND l.node0 <> r.node0
            WHERE l.dob_key = r.dob_key
               OR jaro_winkler_similarity(l.last_name, r.last_name) >= $agree
               OR jaro_winkler_similarity(l.first_name, r.first_name) >= $agree
               OR list_has_any(l.first_canons, r.first_canons)
               -- a name in either place: swapped names, or a one-word name read as surname
               OR list_has_any([l.first_name, l.last_name], [r.first_name, r.last_name])
        )
        SELECT * FROM star UNION SELECT * FROM corroborated
        """,
        {"agree": NAME_AGREES},
    )
    return con.execute("SELECT count(*) FROM lk_ssn_edges").fetchone()[0]


def deterministic_clusters(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """TEMP ``lk_cluster0(node, component)`` over every linkable record's node."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE lk_nodes0 AS SELECT DISTINCT node0 AS node FROM {RECORDS}"
    )
    edges = ssn_edges(con)
    connected_components(con, "lk_nodes0", "lk_ssn_edges", CLUSTER0)
    agency_grouped = con.execute(
        f"SELECT count(*) FROM {RECORDS} WHERE agency_key IS NOT NULL"
    ).fetchone()[0]
    return {"ssn_links": edges, "records_with_agency_id": agency_grouped}
