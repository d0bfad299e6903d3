"""Connected components in DuckDB SQL: A=B and B=C make one cluster.

Label propagation with pointer jumping: every node starts as its own label, takes the smallest
label among itself and its neighbours, then the label of its label, until nothing changes. The
label of a component is its smallest node id, so the result does not depend on edge order.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.warehouse import identifier

MAX_ROUNDS = 200


def connected_components(con: duckdb.DuckDBPyConnection, nodes: str, edges: str, out: str) -> int:
    """Write TEMP table ``out(node, component)``.

    ``nodes`` has a column ``node``; ``edges`` has ``node_l`` and ``node_r`` (both VARCHAR).
    Edges naming unknown nodes are ignored. Returns the number of rounds it took.
    """
    nodes, edges, out = identifier(nodes), identifier(edges), identifier(out)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cc_edges AS
        SELECT DISTINCT a, b FROM (
            SELECT node_l AS a, node_r AS b FROM {edges} WHERE node_l <> node_r
            UNION ALL
            SELECT node_r AS a, node_l AS b FROM {edges} WHERE node_l <> node_r
        ) e SEMI JOIN {nodes} n ON n.node = e.a
        """
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT DISTINCT node, node AS component "
        f"FROM {nodes}"
    )
    rounds = 0
    while True:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _cc_next AS
            WITH hop AS (
                SELECT c.node, least(c.component, min(n.component)) AS component
                FROM {out} c
                LEFT JOIN _cc_edges e ON e.a = c.node
                LEFT JOIN {out} n ON n.node = e.b
                GROUP BY c.node, c.component
            )
            SELECT h.node, least(h.component, coalesce(j.component, h.component)) AS component
            FROM hop h LEFT JOIN hop j ON j.node = h.component
            """
        )
        changed = con.execute(
            f"SELECT count(*) FROM _cc_next n JOIN {out} o USING (node) "
            "WHERE n.component <> o.component"
        ).fetchone()[0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM _cc_next")
        if not changed:
            break
    con.execute("DROP TABLE IF EXISTS _cc_next")
    con.execute("DROP TABLE IF EXISTS _cc_edges")
    return rounds
