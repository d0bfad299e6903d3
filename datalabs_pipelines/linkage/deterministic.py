"""The deterministic pass: exact keys group records before any scoring, as declared.

Records sharing a node (people: an agency id such as a member or student id; firms: each record
is its own) start as one. Two nodes whose records share the declared key (people: a valid SSN;
firms: a FEIN) are joined when the declared corroboration also holds of the two records, or
always when none is declared: a transposed SSN that happens to be someone else's valid number
then does not weld two people together. A NULL key never matches.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.linkage.declaration import Deterministic, rule_columns
from datalabs_pipelines.warehouse import identifier

CLUSTER0 = "lk_cluster0"  # TEMP (node, component)
EDGES0 = "lk_deterministic_edges"  # TEMP (node_l, node_r)


def identity_columns(rule: Deterministic | None) -> list[str]:
    """What makes a record's identity under ``rule``: the key and every column the
    corroboration reads (quoted; none without a rule)."""
    if rule is None:
        return []
    condition = rule.corroborated_by or "true"
    return [identifier(c) for c in dict.fromkeys([rule.key, *rule_columns(condition)])]


def deterministic_edges(
    con: duckdb.DuckDBPyConnection, records: str, node: str, rule: Deterministic | None
) -> int:
    """TEMP ``lk_deterministic_edges(node_l, node_r)`` between nodes of ``records`` (a
    validated, qualified table) joined by ``rule``; returns their number.

    Records alike in the key and every column the condition reads are one identity: its
    records join its smallest node directly when the condition holds of such a record and
    itself (an identity with nothing to corroborate joins nothing). Distinct identities with
    one key join when the condition holds of the two.
    """
    if rule is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {EDGES0} (node_l VARCHAR, node_r VARCHAR)")
        return 0
    condition = rule.corroborated_by or "true"
    columns = identity_columns(rule)
    same = " AND ".join(f"p.{c} IS NOT DISTINCT FROM i.{c}" for c in columns)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {EDGES0} AS
        WITH p AS (
            SELECT DISTINCT CAST({identifier(node)} AS VARCHAR) AS lk_node, {", ".join(columns)}
            FROM {records} WHERE {identifier(rule.key)} IS NOT NULL
        ),
        i AS (
            SELECT *, row_number() OVER () AS lk_identity
            FROM (SELECT {", ".join(columns)}, min(lk_node) AS lk_rep FROM p GROUP BY ALL)
        ),
        corroborating AS (
            SELECT l.lk_identity FROM i l JOIN i r ON l.lk_identity = r.lk_identity
            WHERE {condition}
        ),
        star AS (
            SELECT DISTINCT i.lk_rep AS node_l, p.lk_node AS node_r
            FROM p JOIN i ON {same}
            WHERE p.lk_node <> i.lk_rep
              AND i.lk_identity IN (SELECT lk_identity FROM corroborating)
        ),
        corroborated AS (
            SELECT l.lk_rep AS node_l, r.lk_rep AS node_r
            FROM i l JOIN i r
              ON l.{columns[0]} = r.{columns[0]} AND l.lk_identity < r.lk_identity
                 AND l.lk_rep <> r.lk_rep
            WHERE {condition}
        )
        SELECT * FROM star UNION SELECT * FROM corroborated
        """
    )
    return con.execute(f"SELECT count(*) FROM {EDGES0}").fetchone()[0]


def deterministic_clusters(
    con: duckdb.DuckDBPyConnection, records: str, node: str, rule: Deterministic | None
) -> int:
    """TEMP ``lk_cluster0(node, component)`` over every node of ``records``; returns the
    deterministic edges."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_nodes0 AS "
        f"SELECT DISTINCT CAST({identifier(node)} AS VARCHAR) AS node FROM {records}"
    )
    edges = deterministic_edges(con, records, node, rule)
    connected_components(con, "lk_nodes0", EDGES0, CLUSTER0)
    return edges
