"""Businesses from pairwise links: connected components that never join two FEINs.

FEIN links are applied first; probabilistic links follow in descending probability. A link
that would put two different FEINs in one business is refused (and reported), so a chain of
similar names can never merge two businesses that the IRS tells apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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
