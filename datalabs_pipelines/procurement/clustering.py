"""Businesses from pairwise links: connected components that never join two FEINs.

The components come from the one SQL connected-components routine person linkage uses
(``linkage.components``). A component holding at most one FEIN is a business as it stands. Only
a component whose links would join two different FEINs is resolved link by link (FEIN links
first, then scored links in descending probability): a link that would put two FEINs in one
business is refused (and reported), so a chain of similar names can never merge two businesses
that the IRS tells apart. Those components are few and small; the rest never leaves SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.linkage.components import connected_components

COMPONENTS = "_biz_components"  # TEMP (node, component): uid → smallest uid of its business


@dataclass
class Clusters:
    """Union-find over record uids, each component holding at most one FEIN."""

    feins: Mapping[str, str | None]
    _parent: dict[str, str] = field(default_factory=dict)
    _fein: dict[str, str | None] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for uid, fein in self.feins.items():
            self._parent[uid] = uid
            self._fein[uid] = fein

    def find(self, uid: str) -> str:
        root = uid
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[uid] != root:  # path compression
            self._parent[uid], uid = root, self._parent[uid]
        return root

    def union(self, a: str, b: str) -> bool:
        """Join the components of ``a`` and ``b``; False if their FEINs differ."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        fa, fb = self._fein[ra], self._fein[rb]
        if fa and fb and fa != fb:
            self.refused.append((a, b))
            return False
        low, high = sorted((ra, rb))  # the smaller uid is the root: order-independent
        self._parent[high] = low
        self._fein[low] = fa or fb
        return True

    def components(self) -> dict[str, str]:
        """uid → the smallest uid of its component."""
        return {uid: self.find(uid) for uid in self._parent}


def cluster(
    feins: Mapping[str, str | None],
    fein_links: Iterable[tuple[str, str]],
    scored_links: Iterable[tuple[str, str, float]],
) -> Clusters:
    """FEIN links first, then scored links from the most to the least probable."""
    clusters = Clusters(feins)
    for a, b in fein_links:
        clusters.union(a, b)
    for a, b, _ in sorted(scored_links, key=lambda e: (-e[2], e[0], e[1])):
        clusters.union(a, b)
    return clusters


def cluster_in_sql(
    con: duckdb.DuckDBPyConnection, records: str, fein_links: str, scored_links: str
) -> list[tuple[str, str]]:
    """Write TEMP ``_biz_components(node, component)``; return the refused links.

    ``records`` has ``uid`` and ``fein``; ``fein_links`` (``anchor``, ``uid``) and
    ``scored_links`` (``uid_l``, ``uid_r``, ``match_probability``) are the links to apply. The
    result equals :func:`cluster` over all records and links: unions in one component never
    touch another, and a component with one FEIN or none refuses nothing.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE _biz_nodes AS SELECT uid AS node FROM {records}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _biz_edges AS
        SELECT anchor AS node_l, uid AS node_r FROM {fein_links}
        UNION ALL SELECT uid_l, uid_r FROM {scored_links}
        """
    )
    connected_components(con, "_biz_nodes", "_biz_edges", COMPONENTS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _biz_contested AS
        SELECT c.node, c.component, r.fein FROM {COMPONENTS} c
        JOIN {records} r ON r.uid = c.node
        WHERE c.component IN (
            SELECT c.component FROM {COMPONENTS} c JOIN {records} r ON r.uid = c.node
            GROUP BY c.component HAVING count(DISTINCT r.fein) > 1
        )
        """
    )
    feins = dict(con.execute("SELECT node, fein FROM _biz_contested ORDER BY node").fetchall())
    if not feins:
        return []
    inside = "IN (SELECT node FROM _biz_contested)"
    contested = cluster(
        feins,
        con.execute(f"SELECT anchor, uid FROM {fein_links} WHERE anchor {inside}").fetchall(),
        con.execute(
            f"SELECT uid_l, uid_r, match_probability FROM {scored_links} WHERE uid_l {inside}"
        ).fetchall(),
    )
    con.executemany(
        f"UPDATE {COMPONENTS} SET component = ? WHERE node = ?",
        [(root, uid) for uid, root in contested.components().items()],
    )
    return contested.refused
