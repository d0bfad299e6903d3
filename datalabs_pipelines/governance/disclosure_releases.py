"""What the published snapshots told a reader about the gated counts, for the next audit.

A reader who keeps every snapshot, and knows which hidden counts did not change from one to the
next, combines them: a count shown last night and hidden tonight, unchanged, is known; last
night's relations and tonight's over an unchanged hidden count are relations over one unknown.
Measured before this module (seeds 8601-8603): every snapshot safe on its own, yet thousands of
small counts narrowed below the threshold across seven to ten nightly snapshots.

The audit (``disclosure_audit``) takes that reader as its attacker. ``Releases`` holds what the
snapshots so far published of the gated counts (each shown count's value) and their relations
over the counts they hid (shown numbers moved across); every count is named by ``count_name``,
a keyed digest of its mart, row, column and unsuppressed value, so a name met again is the same
count, unchanged, and the memory (kept beside the warehouse, ``publishing.audit_memory``) holds
no hidden value and cannot be matched against guesses without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

RETAIN = 400
"""Publishes a relation is kept after the last one in which it reached a current count (more
than a year of nightly publishes): a count that changes back to an earlier value within that
time meets its old relations again."""

Terms = tuple[tuple[str, float], ...]
"""A relation's counts by name (``count_name``) and coefficients, sorted by name."""


def count_name(key: bytes, mart: str, row: tuple, column: str, value: object) -> str:
    """The keyed digest naming one count cell with its unsuppressed value."""
    text = repr((mart, tuple(row), column, float(value or 0)))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def key_check(key: bytes) -> str:
    """A digest telling which key named the counts: a memory written under another key (a
    rotated linkage key) names none of tonight's counts, and is not taken for one."""
    return hmac.new(key, b"datalabs disclosure releases", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Remembered:
    """``lo <= sum(coefficient * count) <= hi``, published on an earlier night."""

    terms: Terms
    lo: float
    hi: float
    last: int
    """the publish in which it last reached a count current then"""


@dataclass
class Told:
    """What one publish tells a reader of the gated counts."""

    shown: dict[str, float] = field(default_factory=dict)
    """each published count's name and value"""
    relations: list[tuple[Terms, float, float]] = field(default_factory=list)
    """relations over hidden counts (every other count moved across)"""
    current: set[str] = field(default_factory=set)
    """the names of every count in the snapshot, shown or hidden"""

    def add(self, other: Told) -> None:
        self.shown |= other.shown
        self.relations += other.relations
        self.current |= other.current


@dataclass
class Releases:
    """What the publishes so far told a reader (``publishes`` of them)."""

    publishes: int = 0
    shown: dict[str, float] = field(default_factory=dict)
    relations: list[Remembered] = field(default_factory=list)

    def __post_init__(self) -> None:
        """A relation pinning one count (0 where a partner's row was missing) tells its value:
        it is kept as shown."""
        relations = []
        for relation in self.relations:
            if len(relation.terms) == 1 and relation.lo == relation.hi:
                ((name, coefficient),) = relation.terms
                self.shown[name] = relation.lo / coefficient
            else:
                relations.append(relation)
        self.relations = relations

    def after(self, told: Told) -> Releases:
        """These releases and one more: relations reaching a current count (directly or
        through other relations) are kept and renewed, others for ``RETAIN`` publishes; shown
        values while current or named by a kept relation."""
        now = self.publishes + 1
        merged = {(r.terms, r.lo, r.hi): r for r in self.relations}
        merged |= {(t, lo, hi): Remembered(t, lo, hi, now) for t, lo, hi in told.relations}
        live = {id(r) for r in linked(list(merged.values()), told.current)}
        relations = []
        for relation in merged.values():
            if id(relation) in live:
                relation = replace(relation, last=now)
            if relation.last > now - RETAIN:
                relations.append(relation)
        named = {name for r in relations for name, _ in r.terms}
        shown = {
            name: value
            for name, value in (self.shown | told.shown).items()
            if name in told.current or name in named
        }
        return Releases(now, shown, relations)


def terms_of(pairs: Iterable[tuple[str, float]]) -> Terms:
    """Terms summed by name, sorted, zeros left out."""
    summed: dict[str, float] = {}
    for name, coefficient in pairs:
        summed[name] = summed.get(name, 0.0) + coefficient
    return tuple(sorted((n, a) for n, a in summed.items() if a != 0))


def linked(relations: list[Remembered], names: Collection[str]) -> list[Remembered]:
    """The ``relations`` reaching one of ``names``, directly or through other relations
    (sharing a count): the others bound none of those counts, whatever they say."""
    parent: dict[str, str] = {}
    for relation in relations:
        _join(parent, [name for name, _ in relation.terms])
    reached = {_root(parent, name) for name in names if name in parent}
    return [r for r in relations if _root(parent, r.terms[0][0]) in reached]


def _root(parent: dict[str, str], name: str) -> str:
    while parent[name] != name:
        parent[name] = parent[parent[name]]
        name = parent[name]
    return name


def _join(parent: dict[str, str], names: list[str]) -> None:
    for name in names:
        parent.setdefault(name, name)
    first = _root(parent, names[0])
    for name in names[1:]:
        other = _root(parent, name)
        if other != first:
            parent[other] = first
