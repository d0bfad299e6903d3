"""Final clusters: deterministic clusters joined by the linked pairs, across all sources.

Connected components in SQL (A=B and B=C make one cluster). Where the declaration names an
``exclusive_key``, a component whose records would carry two of its values is resolved link by
link instead (deterministic clusters as they stand, then links from the most to the least
probable): a link that would join two values is refused, and its pair marked so. Those
components are few and small; the rest never leaves SQL.

``lk_clusters`` has one row per record: its cluster (the smallest deterministic cluster id in
it), the probability with which the record is attached to anyone (1.0 when the deterministic
pass ties it to another record, else the best probability of its profile's links, NULL when it
stands alone), and the columns the entity's key memory carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.linkage.decisions import DECISIONS, refused_label
from datalabs_pipelines.linkage.deterministic import CLUSTER0
from datalabs_pipelines.linkage.profiles import RECORD_PROFILE
from datalabs_pipelines.warehouse import identifier

CLUSTERS = "lk_clusters"
LINKS = "lk_links"  # TEMP (node_l, node_r, id_l, id_r, match_probability): linked pairs
Link = tuple[str, str, str, str, float]


@dataclass
class ExclusiveUnion:
    """Union-find over nodes that never puts two values of the exclusive key in one set."""

    values: Mapping[str, frozenset[str]]
    _parent: dict[str, str] = field(default_factory=dict)
    _held: dict[str, frozenset[str]] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._parent = {node: node for node in self.values}
        self._held = dict(self.values)

    def find(self, node: str) -> str:
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[node] != root:  # path compression
            self._parent[node], node = root, self._parent[node]
        return root

    def union(self, link: Link) -> None:
        """Join the sets of the link's nodes, unless they hold different values (refused)."""
        ra, rb = self.find(link[0]), self.find(link[1])
        if ra == rb:
            return
        ha, hb = self._held[ra], self._held[rb]
        if ha and hb and ha != hb:
            self.refused.append((link[2], link[3]))
            return
        low, high = sorted((ra, rb))  # the smaller node is the root: order-independent
        self._parent[high] = low
        self._held[low] = ha | hb

    def components(self) -> dict[str, str]:
        """node → the smallest node of its set."""
        return {node: self.find(node) for node in self._parent}


def resolve_exclusive(
    values: Mapping[str, frozenset[str]], links: Iterable[Link]
) -> ExclusiveUnion:
    """Apply ``links`` (node_l, node_r, id_l, id_r, probability) from the most to the least
    probable, ties by pair ids, refusing any that would join two values."""
    resolved = ExclusiveUnion(values)
    for link in sorted(links, key=lambda e: (-e[4], e[2], e[3])):
        resolved.union(link)
    return resolved


def build_clusters(
    con: duckdb.DuckDBPyConnection,
    records: str,
    node: str,
    exclusive_key: str | None,
    carried: Mapping[str, str],
    record_profile: str = RECORD_PROFILE,
) -> int:
    """TEMP ``lk_clusters`` from ``lk_decisions``' linked pairs; returns the links refused.

    ``records`` (validated, qualified) holds ``source_extract``, ``record_id``, the ``node``
    column and the exclusive key; ``carried`` maps a column of ``lk_clusters`` to SQL over its
    record ``r``. The records clustered are those of ``record_profile`` (every record, or a
    night's scope: ``scope.py``)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_profile_cluster0 AS SELECT DISTINCT profile_id, "
        f"cluster0 FROM {record_profile} WHERE profile_id IS NOT NULL"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LINKS} AS
        SELECT l.cluster0 AS node_l, r.cluster0 AS node_r, d.id_l, d.id_r, d.match_probability
        FROM {DECISIONS} d
        JOIN lk_profile_cluster0 l ON l.profile_id = d.id_l
        JOIN lk_profile_cluster0 r ON r.profile_id = d.id_r
        WHERE d.decision = 'linked'
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_nodes1 AS "
        f"SELECT DISTINCT cluster0 AS node FROM {record_profile}"
    )
    connected_components(con, "lk_nodes1", LINKS, "lk_cluster1")
    refused = _refuse_conflicts(con, records, node, exclusive_key) if exclusive_key else 0
    extra = "".join(f", {sql} AS {identifier(c)}" for c, sql in carried.items())
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CLUSTERS} AS
        WITH profile_best AS (
            SELECT unique_id, max(match_probability) AS p FROM (
                SELECT id_l AS unique_id, match_probability FROM {LINKS}
                UNION ALL
                SELECT id_r, match_probability FROM {LINKS}
            ) GROUP BY unique_id
        ),
        cluster0_size AS (
            SELECT cluster0, count(*) AS n FROM {record_profile} GROUP BY cluster0
        )
        SELECT rp.source_extract, rp.record_id, c.component AS cluster,
               CASE WHEN s.n > 1 THEN 1.0 ELSE pb.p END AS match_probability{extra}
        FROM {record_profile} rp
        JOIN {records} r USING (source_extract, record_id)
        JOIN lk_cluster1 c ON c.node = rp.cluster0
        JOIN cluster0_size s USING (cluster0)
        LEFT JOIN profile_best pb ON pb.unique_id = rp.profile_id
        """
    )
    return refused


def _refuse_conflicts(con: duckdb.DuckDBPyConnection, records: str, node: str, key: str) -> int:
    """Resolve link by link the components of ``lk_cluster1`` whose records carry two values
    of ``key``; mark the refused pairs in ``lk_decisions`` and drop them from ``lk_links``."""
    key, node = identifier(key), identifier(node)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_node_values AS
        SELECT DISTINCT c.component AS node, r.{key} AS value
        FROM {records} r JOIN {CLUSTER0} c ON c.node = CAST(r.{node} AS VARCHAR)
        WHERE r.{key} IS NOT NULL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lk_contested AS
        SELECT node FROM lk_cluster1 WHERE component IN (
            SELECT c.component FROM lk_cluster1 c JOIN lk_node_values v USING (node)
            GROUP BY c.component HAVING count(DISTINCT v.value) > 1
        )
        """
    )
    nodes = [n for (n,) in con.execute("SELECT node FROM lk_contested").fetchall()]
    if not nodes:
        return 0
    held: dict[str, set[str]] = {n: set() for n in nodes}
    for n, value in con.execute(
        "SELECT node, value FROM lk_node_values SEMI JOIN lk_contested USING (node)"
    ).fetchall():
        held[n].add(value)
    links = con.execute(
        f"SELECT * FROM {LINKS} WHERE node_l IN (SELECT node FROM lk_contested)"
    ).fetchall()
    resolved = resolve_exclusive({n: frozenset(v) for n, v in held.items()}, links)
    con.executemany(
        "UPDATE lk_cluster1 SET component = ? WHERE node = ?",
        [(root, n) for n, root in resolved.components().items()],
    )
    if resolved.refused:
        con.execute("CREATE OR REPLACE TEMP TABLE lk_refused (id_l VARCHAR, id_r VARCHAR)")
        con.executemany("INSERT INTO lk_refused VALUES (?, ?)", resolved.refused)
        refused = (
            "EXISTS (SELECT 1 FROM lk_refused x WHERE x.id_l = {0}.id_l AND x.id_r = {0}.id_r)"
        )
        con.execute(
            f"UPDATE {DECISIONS} SET decision = $label WHERE {refused.format(DECISIONS)}",
            {"label": refused_label(key)},
        )
        con.execute(f"DELETE FROM {LINKS} WHERE {refused.format(LINKS)}")
    return len(resolved.refused)
