"""Final clusters: deterministic clusters joined by the probabilistic edges, across all sources.

``lk_clusters`` has one row per record: its cluster (the smallest deterministic cluster id in
it) and the probability with which the record is attached to anyone: 1.0 when an agency id or
a verified SSN ties it to another record, else the best match probability of its profile's
accepted edges, NULL when it stands alone; and whether the record carries a valid SSN.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.linkage.scoring import EDGES

CLUSTERS = "lk_clusters"


def build_clusters(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_nodes1 AS "
        "SELECT DISTINCT cluster0 AS node FROM lk_record_profile"
    )
    connected_components(con, "lk_nodes1", EDGES, "lk_cluster1")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CLUSTERS} AS
        WITH profile_best AS (
            SELECT unique_id, max(match_probability) AS p FROM (
                SELECT unique_id_l AS unique_id, match_probability FROM lk_profile_edges
                UNION ALL
                SELECT unique_id_r, match_probability FROM lk_profile_edges
            ) WHERE match_probability >= $threshold GROUP BY unique_id
        ),
        cluster0_size AS (
            SELECT cluster0, count(*) AS n FROM lk_record_profile GROUP BY cluster0
        )
        SELECT rp.source_extract, rp.record_id, c.component AS cluster,
               CASE WHEN s.n > 1 THEN 1.0 ELSE pb.p END AS match_probability,
               rp.carries_ssn
        FROM lk_record_profile rp
        JOIN lk_cluster1 c ON c.node = rp.cluster0
        JOIN cluster0_size s USING (cluster0)
        LEFT JOIN profile_best pb ON pb.unique_id = rp.profile_id
        """,
        {"threshold": threshold},
    )
