"""Connected components: A=B and B=C make one cluster.

The nodes that have an edge are numbered in SQL, their edges go to SciPy's connected
components (one linear pass over a sparse graph, however long the chains), and each component
is labelled in SQL with its smallest node id, so the result does not depend on edge order or
numbering. A node without an edge is its own component. One pass over the nodes and edges,
where label propagation in SQL took a pass over every node per round and more rounds as the
data grew.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from datalabs_pipelines.warehouse import identifier

LABELS = "_cc_labels_frame"


def connected_components(con: duckdb.DuckDBPyConnection, nodes: str, edges: str, out: str) -> int:
    """Write TEMP table ``out(node, component)``, one row per distinct node.

    ``nodes`` has a column ``node``; ``edges`` has ``node_l`` and ``node_r`` (both VARCHAR).
    Edges naming unknown nodes are ignored. Returns the number of nodes that have an edge.
    """
    nodes, edges, out = identifier(nodes), identifier(edges), identifier(out)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cc_edges AS
        SELECT node_l, node_r FROM {edges} e
        SEMI JOIN {nodes} n ON n.node = e.node_l
        SEMI JOIN {nodes} m ON m.node = e.node_r
        WHERE node_l <> node_r
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cc_ids AS "
        "SELECT node, row_number() OVER () - 1 AS i "
        "FROM (SELECT node_l AS node FROM _cc_edges UNION SELECT node_r FROM _cc_edges)"
    )
    linked = con.execute("SELECT count(*) FROM _cc_ids").fetchone()[0]
    con.register(LABELS, component_labels(con, linked))
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _cc_label AS
            SELECT d.node, min(d.node) OVER (PARTITION BY f.label) AS component
            FROM _cc_ids d JOIN {LABELS} f USING (i)
            """
        )
    finally:
        con.unregister(LABELS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT n.node, coalesce(l.component, n.node) AS component
        FROM (SELECT DISTINCT node FROM {nodes}) n LEFT JOIN _cc_label l USING (node)
        """
    )
    for table in ("_cc_label", "_cc_ids", "_cc_edges"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return linked


def component_labels(con: duckdb.DuckDBPyConnection, linked: int) -> pa.Table:
    """(i, label): the component number of each of the ``linked`` numbered nodes
    (``_cc_ids.i``), from ``_cc_edges``."""
    # SciPy is imported here: the code location loads this module in every run's process
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components as scipy_components

    labels = np.zeros(0, dtype=np.int32)
    if linked:
        ends = con.execute(
            "SELECT l.i AS l, r.i AS r FROM _cc_edges e "
            "JOIN _cc_ids l ON l.node = e.node_l JOIN _cc_ids r ON r.node = e.node_r"
        ).fetchnumpy()
        graph = coo_array((np.ones(len(ends["l"])), (ends["l"], ends["r"])), shape=(linked, linked))
        _, labels = scipy_components(graph, directed=False)
    return pa.table({"i": np.arange(linked, dtype=np.int64), "label": labels})
