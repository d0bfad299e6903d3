"""The disclosure audit: how far a reader of the whole snapshot can narrow each suppressed count.

The gate (``disclosure``) decides what to hide one rule at a time; the audit checks the result
as an attacker would, with every published number of every gated mart at once, as linear
constraints on the hidden counts:

- along an additive dimension, the ``total`` row (in the row ``total_in`` names, if another:
  each breakdown's groups add up to the state row) equals the sum of the others, or is at
  least it when a part is not published; a sum with no published total is no published number
  (the gate still treats it as known);
- a count with ``sum_of`` equals its parts; a count with a ``base`` lies between 0 and it;
  the counts a count ``contains`` add up to at most it (reachable exiters employed in the 2nd
  quarter only, the 4th only and both are at most the reachable exiters: many employed in each
  quarter force many employed in both);
- the places a mart declares under ``mirrors`` hold one quantity, which is 0 where one place
  has no row;
- a count a mart declares under ``rolls_up`` is the sum of another mart's finer cells (for an
  unduplicated count, at least each of them and at most their sum, unless the unsuppressed
  marts show it equal);
- a published rate or share times its base is its numerator; a published rate, interval
  bound or median means its base is at least 1.

A relation the unsuppressed marts break is left out (it tells a reader nothing true, and an
infeasible system would hide every range); ``AuditReport.untrue`` counts them.

Every hidden count is at least 0, or at least 1 when its column is at least 1 in every row (a
row exists because someone is counted in it), and otherwise unknown (the reader does not know
which cells were suppressed as small and which as complements). For every suppressed count, and
for every rest (a count it is a subset of, its ``base`` or the base's base, minus it, e.g.
exiters not employed, or a count minus what it ``contains``) below the threshold, unless exactly
one of its counts is hidden (its range is then that count's, shifted), linear programming
(HiGHS, through its own interface) gives the range of values consistent with all of them. A
range narrower than the threshold (which includes any range inside 1..threshold-1, and exactly
0: nobody there) is a finding, and the snapshot is not published; only a count the missing rows
show to be 0 (directly, or through the declared relations: a state row whose county rows all
lack the partner's row) is not protected, as no suppression can hide it. The constraints fall
apart into independent systems (hidden counts linked by a constraint); each is solved on its
own, and a range already shown to be wide by feasible points found earlier needs no program of
its own.

The snapshots published before count too (``disclosure_releases``; ``GroupAudit``'s
``prior``): a reader who keeps them and knows which counts did not change combines them with
tonight's. A hidden count an earlier snapshot showed with tonight's value is known (and no
suppression of it protects anything); the earlier snapshots' relations over hidden counts are
added, each count in them tonight's where its value did not change and an unknown of its own
where it did. A range that stays narrow even with every count tonight could hide hidden is
forced by the earlier snapshots and tonight's rows (a county's new row with nobody in it,
beside counties and a total that did not change): it is reported (``AuditReport.forced``),
not a finding, as no suppression can widen it.

Each system's answer (which of its ranges are narrow, and how narrow) is remembered under a
digest of everything it depends on (``system_digest``: its constraints, objectives,
unsuppressed counts, threshold, this module's source and HiGHS's version); an audit given
the answers of an earlier publish (``known``) takes a system's answer from there without
a program. Any change to a count, a suppressed cell or a relation of the system changes its
digest, and it is solved again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_array

from datalabs_pipelines.governance.disclosure_releases import (
    Releases,
    Told,
    count_name,
    linked,
    terms_of,
)
from datalabs_pipelines.marts.declaration import DERIVED_ROLES, MartDeclaration
from datalabs_pipelines.warehouse import identifier

Cell = tuple[str, int, str]
"""(mart, row index in dimension order, count column)."""
EARLIER = ""
"""The mart of ``(EARLIER, 0, name)``: a count of an earlier snapshot that tonight's snapshot no
longer holds with that value (``disclosure_releases``), shown then (a constant) or not."""
Narrow = tuple[int, float, float]
"""A narrow range of one system: (objective's position in the system, lowest, highest)."""
RATE_TOLERANCE = 1e-6
RATE_ROLES = {"rate", "share"}
"""Roles whose value times the base is the numerator."""
MAX_FINDINGS = 50
MARGIN = 0.25
"""How far past what makes a range wide a push aims (solver round-off stays clear of it)."""
SOLVERS = 2
"""Systems solved at once (threads): HiGHS releases the GIL, so a second core is used."""
HIGHS = {"presolve": "off", "output_flag": False}
"""HiGHS's presolve cost more than it saved on these programs (a third of the audit's CPU)."""
VERSION = hashlib.sha256(Path(__file__).read_bytes() + version("highspy").encode()).hexdigest()
"""Part of every system's digest: a change to the audit or to HiGHS forgets what was found."""


@dataclass(frozen=True)
class MartAudit:
    table: str
    cells: int
    suppressed: int
    recoverable: int


@dataclass
class AuditReport:
    marts: list[MartAudit] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    hide: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    """per mart, shown cells (row in dimension order from 1, column) whose suppression would
    widen a narrow range: the smallest shown cell of a constraint on it."""
    systems: int = 0
    untrue: int = 0
    """declared relations the unsuppressed marts break, left out of the programs"""
    rounds: int = 1
    programs: int = 0
    seconds: float = 0.0
    reused: int = 0
    """systems whose answer was taken from ``known``, without a program"""
    solved: dict[str, list[Narrow]] = field(default_factory=dict)
    """each system's answer by its digest (``system_digest``), for a later audit's ``known``"""
    settled: set[frozenset[Cell]] = field(default_factory=set)
    """protected quantities found wide (see ``audit_snapshot``'s ``settled``)"""
    suppressed: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    """per mart, the suppressed count cells audited (row in dimension order from 1, column)"""
    withheld: dict[str, str] = field(default_factory=dict)
    """marts left out of the snapshot because no round of suppression protected them, with the
    first finding (file positions, never values)."""
    told: Told = field(default_factory=Told)
    """what the audited snapshot tells a reader, for the next publish's ``prior``"""
    forced: list[str] = field(default_factory=list)
    """narrow ranges that earlier snapshots force together with tonight's rows, whatever
    tonight suppresses (a new county's row beside counties and a total that did not change),
    and small hidden counts an earlier snapshot told (0 where a partner's row was missing
    then): not findings, as no suppression can widen them, and reported (file positions,
    never values)"""


@dataclass
class _Relation:
    """lo <= sum(coefficient * cell) <= hi."""

    terms: dict[Cell, float]
    lo: float
    hi: float
    mirror: bool = False
    absent: bool = False
    """0 because a row is missing elsewhere (a public zero, no finding)."""


@dataclass
class _Mart:
    declaration: MartDeclaration
    keys: list[tuple]
    shown: dict[str, list]
    hidden: dict[str, list[bool]]
    true: dict[str, list]

    def is_cell(self, column: str, row: int) -> bool:
        return self.true[column][row] is not None or self.hidden[column][row]


def _columns(cursor: duckdb.DuckDBPyConnection) -> dict[str, list]:
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _read_true(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, source: str
) -> dict[str, list]:
    """The unsuppressed counts of ``source``, in dimension order."""
    counts = [identifier(c.name) for c in declaration.columns_with("count")]
    if not counts:
        return {}
    order = _order(declaration)
    return _columns(con.execute(f"SELECT {', '.join(counts)} FROM {source} ORDER BY {order}"))


def _read_shown(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, published: str, true: dict
) -> _Mart:
    dims = [identifier(c.name) for c in declaration.columns_with("dimension")]
    shown = _columns(con.execute(f"SELECT * FROM {published} ORDER BY {_order(declaration)}"))
    rows = len(next(iter(shown.values()))) if shown else 0
    keys = list(zip(*(shown[d] for d in dims), strict=True)) if dims else [()] * rows
    gated = declaration.columns_with("count", *DERIVED_ROLES)
    hidden = {c.name: [bool(v) for v in shown[c.name + "_suppressed"]] for c in gated}
    return _Mart(declaration, keys, shown, hidden, true)


def _order(declaration: MartDeclaration) -> str:
    dims = [identifier(c.name) for c in declaration.columns_with("dimension")]
    return ", ".join(dims) if dims else "ALL"


def _relations(
    name: str, marts: Mapping[str, _Mart], threshold: int
) -> tuple[list[_Relation], list[_Relation], list[_Relation]]:
    """(constraints, more constraints, protected rests) of one mart that no shown rate enters,
    over its cells (a mirror may reach another mart); ``_rate_relations`` go between the two
    lists of constraints. They depend on the marts' rows, unsuppressed counts and which cells
    are published (``is_cell``), not on what is suppressed."""
    mart = marts[name]
    decl = mart.declaration
    dims = [c.name for c in decl.columns_with("dimension")]
    counts = decl.columns_with("count")
    rows = range(len(mart.keys))
    out: list[_Relation] = []
    rests: list[_Relation] = []
    where_text = {tuple(_text(v) for v in key): row for row, key in enumerate(mart.keys)}
    for k, dim in enumerate(decl.columns_with("dimension")):
        if not dim.additive or dim.total is None:
            continue  # a sum without a published total row is no published number
        moved = {dims.index(d): v for d, v in dim.total_in.items()}
        groups: dict[tuple, list[int]] = defaultdict(list)
        for row in rows:
            key = mart.keys[row]
            if not _is(key[k], dim.total):
                groups[key[:k] + (None,) + key[k + 1 :]].append(row)
        for key, parts in groups.items():
            total_key = [_text(v) for v in key]
            total_key[k] = dim.total
            for i, value in moved.items():
                total_key[i] = value
            total = where_text.get(tuple(total_key))
            if total is None:
                continue
            for count in counts:
                cells = [r for r in parts if mart.is_cell(count.name, r)]
                if cells and mart.is_cell(count.name, total):
                    terms: dict[Cell, float] = {(name, r, count.name): 1.0 for r in cells}
                    terms[(name, total, count.name)] = -1.0
                    # a part not published (withheld, not measured) leaves the rest at most
                    # the total
                    lo = 0.0 if len(cells) == len(parts) else -math.inf
                    out.append(_Relation(terms, lo, 0.0))
    out += _someone_in_every_row(name, mart)
    for count in counts:
        chain = decl.wholes_of(count.name)
        for row in rows:
            if not mart.is_cell(count.name, row):
                continue
            if count.sum_of and all(mart.is_cell(p, row) for p in count.sum_of):
                terms = {(name, row, count.name): 1.0}
                for part in count.sum_of:
                    terms[(name, row, part)] = terms.get((name, row, part), 0.0) - 1.0
                out.append(_Relation(terms, 0.0, 0.0))
            wholes = [w for w in chain if mart.is_cell(w, row)]
            for whole in wholes:
                rest = {(name, row, whole): 1.0, (name, row, count.name): -1.0}
                if whole == wholes[0]:  # within the wholes further up through this one
                    out.append(_Relation(dict(rest), 0.0, math.inf))
                true_rest = (mart.true[whole][row] or 0) - (mart.true[count.name][row] or 0)
                if true_rest < threshold:
                    rests.append(_Relation(rest, 0.0, 0.0))
            if count.contains and all(mart.is_cell(p, row) for p in count.contains):
                # the people in none of the parts (reachable exiters employed in neither
                # quarter), and so in none of them within each count it lies in (all exiters)
                for whole in [count.name, *wholes]:
                    rest = {(name, row, whole): 1.0}
                    rest.update({(name, row, part): -1.0 for part in count.contains})
                    if whole == count.name:
                        out.append(_Relation(dict(rest), 0.0, math.inf))
                    true_rest = sum(a * (mart.true[c][r] or 0) for (_, r, c), a in rest.items())
                    if true_rest < threshold:
                        rests.append(_Relation(rest, 0.0, 0.0))
    tail: list[_Relation] = []
    for group in decl.mirrors:
        places: dict[tuple, list[Cell]] = defaultdict(list)
        rows_at: list[set[tuple]] = []
        for place in group:
            where = place.mart or name
            if where not in marts:
                continue  # that mart is not in this snapshot
            there = marts[where]
            names = [c.name for c in there.declaration.columns_with("dimension")]
            present: set[tuple] = set()
            for row, key in enumerate(there.keys):
                values = dict(zip(names, key, strict=True))
                if not all(_is(values.get(d), v) for d, v in place.where.items()):
                    continue
                same = tuple(
                    sorted((d, _text(v)) for d, v in values.items() if d not in place.where)
                )
                present.add(same)
                if there.is_cell(place.column, row):
                    places[same].append((where, row, place.column))
            rows_at.append(present)
        for same, copies in places.items():
            for a, b in zip(copies, copies[1:], strict=False):
                tail.append(_Relation({a: 1.0, b: -1.0}, 0.0, 0.0, mirror=True))
            if any(same not in present for present in rows_at):
                # a place with no row: nobody there (no TANF row of the county and month), so
                # every copy is 0, as the missing row already tells
                tail += [_Relation({c: 1.0}, 0.0, 0.0, mirror=True, absent=True) for c in copies]
    return out, tail + _roll_ups(name, marts), rests


def _someone_in_every_row(name: str, mart: _Mart) -> list[_Relation]:
    """A count at least 1 in every row of its mart (``enrolled``: a program, month and county
    has a row because someone was enrolled there) tells a reader that each of its hidden cells
    is at least 1: five hidden counties summing to 9 are then each 1 to 5, not 0 to 9. Taken
    from the unsuppressed counts, so a count that happens to be positive everywhere is treated
    so too (a reader who assumes it is right)."""
    out: list[_Relation] = []
    rows = range(len(mart.keys))
    for count in mart.declaration.columns_with("count"):
        cells = [row for row in rows if mart.is_cell(count.name, row)]
        if cells and all((mart.true[count.name][row] or 0) >= 1 for row in cells):
            out += [_Relation({(name, row, count.name): 1.0}, 1.0, math.inf) for row in cells]
    return out


def _rate_relations(name: str, mart: _Mart) -> list[_Relation]:
    """What the shown rates, shares, interval bounds and medians of one mart tell: a shown
    value means its base is at least 1, a shown rate or share times its base is its numerator.
    Never bounded by 0 (``_public_zeros`` follows none of them) nor an equation."""
    out: list[_Relation] = []
    rows = range(len(mart.keys))
    for column in mart.declaration.columns_with(*DERIVED_ROLES):
        for row in rows:
            value = mart.shown[column.name][row]
            if not _is_shown(value):
                continue
            base = column.base or ""
            if not mart.is_cell(base, row):
                continue
            out.append(_Relation({(name, row, base): 1.0}, 1.0, math.inf))
            numerator = column.numerator
            # an interval bound is no multiple of its base; the gate shows one only beside its
            # shown numerator and base, so it tells nothing more
            if column.role in RATE_ROLES and numerator and mart.is_cell(numerator, row):
                terms = {(name, row, numerator): 1.0, (name, row, base): -float(value)}
                out.append(_Relation(terms, -RATE_TOLERANCE, RATE_TOLERANCE))
    return out


def _coverage_relations(name: str, mart: _Mart) -> list[_Relation]:
    """What a row tells of its link coverage (``link_coverage``: reachable over the cohort)
    besides the share: its flag (TRUE: someone of the cohort is out of reach, FALSE: nobody)
    and whether the withheld columns show (one shown: coverage at least the minimum; all empty
    and none suppressed: below it). With the cohort shown, that bounds a hidden reachable count
    from both sides (43 exiters, flagged, employment shown: 35 to 42 reachable)."""
    coverage, share = mart.declaration.link_coverage, mart.declaration.coverage_share
    if coverage is None or share is None:
        return []
    reachable, cohort = share.numerator or "", share.base or ""
    out: list[_Relation] = []
    for row in range(len(mart.keys)):
        if not (mart.is_cell(reachable, row) and mart.is_cell(cohort, row)):
            continue
        within = {(name, row, reachable): 1.0, (name, row, cohort): -1.0}
        flag = mart.shown[coverage.flag][row] if coverage.flag in mart.shown else None
        if flag is True:
            out.append(_Relation(within, -math.inf, -1.0))
        elif flag is False:
            out.append(_Relation(within, 0.0, 0.0))
        least = {(name, row, reachable): 1.0, (name, row, cohort): -coverage.min_link_coverage}
        if any(_is_shown(mart.shown[c][row]) for c in coverage.withheld if c in mart.shown):
            out.append(_Relation(least, -RATE_TOLERANCE, math.inf))
        elif not any(mart.hidden[c][row] for c in coverage.withheld if c in mart.hidden):
            out.append(_Relation(least, -math.inf, -RATE_TOLERANCE))  # withheld: below it
    return out


def _roll_ups(name: str, marts: Mapping[str, _Mart]) -> list[_Relation]:
    """A coarse cell minus the fine cells it sums: 0 (``exact``) or at most 0, and then the
    coarse cell at least each fine cell; with its rest within its base when both are rolled
    up. An inexact roll-up that holds with equality in
    the unsuppressed marts (nobody counted twice in the fine cells) is taken as an equality: a
    reader who assumes the usual case is then right. A coarse cell with no fine cells, or one
    whose fine cells are not all published, yields nothing (the reader knows no sum)."""
    mart = marts[name]
    out: list[_Relation] = []
    for roll in mart.declaration.rolls_up:
        if roll.mart not in marts:
            continue  # that mart is not in this snapshot
        fine = marts[roll.mart]
        fine_dims = [c.name for c in fine.declaration.columns_with("dimension")]
        fine_counts = {c.name: c for c in fine.declaration.columns_with("count")}
        used = [*roll.where, *roll.match.values(), *roll.year_of.values()]
        if unknown := [d for d in used if d not in fine_dims]:
            raise ValueError(f"{name}: rolls_up {roll.mart!r}: {unknown} are not dimensions")
        theirs_of = {c: roll.parts(c) for c in roll.columns}
        if unknown := [f for fs in theirs_of.values() for f in fs if f not in fine_counts]:
            raise ValueError(f"{name}: rolls_up {roll.mart!r}: {unknown} are not count columns")
        parts: dict[tuple, list[int]] = defaultdict(list)
        for row, key in enumerate(fine.keys):
            values = dict(zip(fine_dims, key, strict=True))
            if all(_is(values[d], v) for d, v in roll.where.items()):
                year = [(_text(values[d]) or "")[:4] for d in roll.year_of.values()]
                parts[tuple(_text(values[d]) for d in roll.match.values()) + tuple(year)].append(
                    row
                )
        dims = [c.name for c in mart.declaration.columns_with("dimension")]
        mine_at: dict[tuple, list[int]] = defaultdict(list)  # rows read as one of theirs: summed
        for row, key in enumerate(mart.keys):
            values = dict(zip(dims, key, strict=True))
            if all(_is(values[d], v) for d, v in roll.at.items()):
                read = [(d, _text(values[d]) or "") for d in [*roll.match, *roll.year_of]]
                mine_at[tuple(roll.values.get(d, {}).get(v, v) for d, v in read)].append(row)
        for key, my_rows in mine_at.items():
            rows = parts.get(key, [])
            pairs = [((c,), fs) for c, fs in theirs_of.items()]
            if not roll.exact:  # the rest within the base is also at most its parts' rests
                pairs += [
                    ((whole, c), (theirs_of[whole][0], fs[0]))
                    for c, fs in theirs_of.items()
                    for whole in mart.declaration.wholes_of(c)
                    if whole in theirs_of
                    and len(fs) == len(theirs_of[whole]) == 1
                    and theirs_of[whole][0] in fine.declaration.wholes_of(fs[0])
                ]
            for mine, theirs in pairs:
                signed = [
                    ((name, row, c), s)
                    for row in my_rows
                    for c, s in zip(mine, (1.0, -1.0), strict=False)
                ]
                for r in rows:
                    signed += [
                        ((roll.mart, r, f), s)
                        for f, s in zip(theirs, (-1.0, 1.0), strict=False)
                        # a count taken away that is not published is at least 0: the count is
                        # then at most the other alone (exiters at most exits)
                        if s < 0 or fine.is_cell(f, r)
                    ]
                if not rows or not all(marts[m].is_cell(c, r) for (m, r, c), _ in signed):
                    continue
                terms: dict[Cell, float] = defaultdict(float)
                for cell, sign in signed:
                    terms[cell] += sign
                true = sum(sign * (marts[m].true[c][r] or 0) for (m, r, c), sign in signed)
                lo = 0.0 if roll.exact or true == 0 else -math.inf
                out.append(_Relation(dict(terms), lo, 0.0, mirror=True))
                if not roll.exact and len(my_rows) == len(mine) == len(theirs) == 1:
                    # everyone of a part is in the whole
                    out += [
                        _Relation({signed[0][0]: 1.0, cell: -1.0}, 0.0, math.inf)
                        for cell, _ in signed[1:]
                    ]
    return out


def _is_shown(value: object) -> bool:
    """A published value: neither NULL nor NaN."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _is(value: object, text: str) -> bool:
    return value is not None and str(value) == text


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class _Find:
    """Union-find over hidden counts."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, indices: Iterable[int]) -> None:
        it = iter(indices)
        first = self.root(next(it))
        for other in it:
            self.parent[self.root(other)] = first


@dataclass
class _Fixed:
    """A group's relations that no shown rate enters (``_relations``), for one pattern of rows
    and published cells: the gate's rounds only suppress more, which leaves them as they are."""

    pattern: tuple
    head: dict[str, list[_Relation]]
    tail: dict[str, list[_Relation]]
    rests: dict[str, list[_Relation]]
    untrue: set[int]
    """ids of the relations the unsuppressed marts break"""
    public_zero: set[Cell]
    across: list[_Relation]
    """equations spanning two marts (mirrors placed in another mart, roll-ups)"""


class GroupAudit:
    """The audit of one group of joined marts (``audit_snapshot``) over the gate's rounds.

    The unsuppressed marts are read once; the relations that no shown rate enters are derived
    again only when the rows or the published cells change, so a round costs its rates'
    relations and its linear programs. ``read`` takes the published tables as they stand."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        declarations: Mapping[str, MartDeclaration],
        threshold: int,
        source: str = "marts",
        published: str = "snapshot.main",
        known: Mapping[str, Sequence[Narrow]] | None = None,
        digest_key: bytes = b"",
        prior: Releases | None = None,
    ) -> None:
        """``known``: systems' answers from an earlier audit (``AuditReport.solved``), under
        digests keyed with ``digest_key`` (``system_digest``); each round adds its own (a
        system no hidden cell of the round before reached is not solved again). ``prior``:
        what earlier snapshots told a reader, their counts named under the same key: the audit
        combines them with this snapshot, as a reader who knows which counts did not change
        would."""
        self.con, self.threshold, self.published = con, threshold, published
        self.known = dict(known or {})
        self.digest_key = digest_key
        self.prior = prior or Releases()
        self.declarations = {
            name: d for name, d in sorted(declarations.items()) if d.disclosure_control
        }
        self.true = {
            name: _read_true(con, d, f"{source}.{identifier(name)}")
            for name, d in self.declarations.items()
        }
        self._fixed: _Fixed | None = None
        self._names: dict[Cell, str] | None = None
        self._mapped: tuple[set[Cell], dict[Cell, float], list[tuple]] | None = None
        self._forced_answers: dict[frozenset, bool] = {}
        self._forced_found: dict[frozenset, str] = {}
        self._tried: dict[frozenset[Cell], set[frozenset[Cell]]] = defaultdict(set)

    def names(self, marts: Mapping[str, _Mart]) -> dict[Cell, str]:
        """Every count's ``count_name``, empty ones too (the rows and counts stay over the
        rounds, but an empty count becomes a cell when a later round hides it: a withheld
        employment count reads suppressed once its coverage's base is hidden)."""
        if self._names is None:
            self._names = {
                (name, row, column): count_name(
                    self.digest_key, name, mart.keys[row], column, values[row]
                )
                for name, mart in marts.items()
                for column, values in mart.true.items()
                for row in range(len(mart.keys))
            }
        return self._names

    def hidden_before(self, marts: Mapping[str, _Mart]) -> dict[str, set[tuple[int, str]]]:
        """Per mart, the count cells (row in dimension order from 1, column) an earlier
        snapshot hid with tonight's value (named in its relations, never shown)."""
        hidden = {n for r in self.prior.relations for n, _ in r.terms} - self.prior.shown.keys()
        out: dict[str, set[tuple[int, str]]] = defaultdict(set)
        for (mart, row, column), name in self.names(marts).items():
            if name in hidden and marts[mart].is_cell(column, row):
                out[mart].add((row + 1, column))
        return dict(out)

    def read(self) -> dict[str, _Mart]:
        return {
            name: _read_shown(self.con, d, f"{self.published}.{identifier(name)}", self.true[name])
            for name, d in self.declarations.items()
        }

    def fixed(self, marts: Mapping[str, _Mart]) -> _Fixed:
        pattern = tuple(
            (
                name,
                tuple(mart.keys),
                tuple(
                    tuple(mart.is_cell(column, row) for row in range(len(mart.keys)))
                    for column in mart.true
                ),
            )
            for name, mart in marts.items()
        )
        if self._fixed is not None and self._fixed.pattern == pattern:
            return self._fixed
        head, tail, rests = {}, {}, {}
        for name in marts:
            head[name], tail[name], rests[name] = _relations(name, marts, self.threshold)
        every = [r for name in marts for r in head[name] + tail[name]]
        untrue = {id(r) for r in every if not _holds(r, marts)}
        self._fixed = _Fixed(
            pattern,
            head,
            tail,
            rests,
            untrue,
            _public_zeros([r for r in every if id(r) not in untrue]),
            [r for r in every if r.lo == r.hi and len({m for m, _, _ in r.terms}) > 1],
        )
        return self._fixed

    def complements(self, marts: Mapping[str, _Mart]) -> dict[str, set[tuple[int, str]]]:
        """The gate's complementary suppression across marts, per mart: (row in dimension
        order from 1, count column) cells to hide so that no equation spanning two marts (a
        mirror placed in another mart, a roll-up) holds suppressed cells of one sign whose sum
        a reader can work out and which is below the threshold (one suppressed cell alone is
        recovered; several summing to 0 are each 0). The smallest shown cell is picked."""
        out: dict[str, set[tuple[int, str]]] = defaultdict(set)
        for relation in self.fixed(marts).across:
            hidden = [c for c in relation.terms if marts[c[0]].hidden[c[2]][c[1]]]
            shown = [c for c in relation.terms if c not in hidden]
            if not hidden or not shown or len({relation.terms[c] > 0 for c in hidden}) > 1:
                continue
            total = sum(marts[m].true[c][r] or 0 for m, r, c in hidden)
            if len(hidden) == 1 or total < self.threshold:
                m, r, c = min(shown, key=lambda x: (marts[x[0]].shown[x[2]][x[1]], x))
                out[m].add((r + 1, c))
        return dict(out)

    def audit(
        self, marts: Mapping[str, _Mart], settled: Collection[frozenset[Cell]] = frozenset()
    ) -> AuditReport:
        """See ``audit_snapshot``."""
        started = time.perf_counter()
        threshold = self.threshold
        report = AuditReport()
        fixed = self.fixed(marts)
        relations: list[_Relation] = []
        protected: list[tuple[_Relation, str]] = []
        variables: dict[Cell, int] = {}
        truth: list[float] = []
        constants: dict[Cell, float] = {}
        rates_of_tonight: set[int] = set()
        names = self.names(marts)
        shown_before = self.prior.shown
        for name, mart in marts.items():
            for count in mart.declaration.columns_with("count"):
                for row in range(len(mart.keys)):
                    cell = (name, row, count.name)
                    if mart.hidden[count.name][row] and names[cell] in shown_before:
                        # shown by an earlier snapshot and unchanged: known, hidden or not
                        constants[cell] = shown_before[names[cell]]
                        if constants[cell] < threshold and cell not in fixed.public_zero:
                            report.forced.append(
                                f"{name}: {count.name} in row {row + 1} (in dimension order) "
                                f"is known from an earlier snapshot (threshold {threshold})"
                            )
                    elif mart.hidden[count.name][row]:
                        variables[cell] = len(truth)
                        truth.append(float(mart.true[count.name][row] or 0))
                        protected.append((_Relation({cell: 1.0}, 0.0, 0.0), count.name))
                    elif mart.shown[count.name][row] is not None:
                        constants[cell] = float(mart.shown[count.name][row])
            rates = _rate_relations(name, mart) + _coverage_relations(name, mart)
            kept_rates = [r for r in rates if _holds(r, marts)]
            report.untrue += len(rates) - len(kept_rates)
            relations += [r for r in fixed.head[name] if id(r) not in fixed.untrue]
            relations += kept_rates
            rates_of_tonight |= {id(r) for r in kept_rates}
            relations += [r for r in fixed.tail[name] if id(r) not in fixed.untrue]
            protected += [(r, _rest_label(r)) for r in fixed.rests[name]]
        report.untrue += len(fixed.untrue)
        public_zero = fixed.public_zero
        protected = [p for p in protected if len(p[0].terms) > 1 or p[0].terms.keys() - public_zero]
        protected = [p for p in protected if not _as_wide_as_a_cell(p[0], variables, public_zero)]
        protected = [p for p in protected if frozenset(p[0].terms) not in settled]
        # a range found forced stays so over the rounds (``_forced``): reported, not solved again
        found = [self._forced_found.get(frozenset(p[0].terms.items())) for p in protected]
        report.forced += [text for text in found if text is not None]
        protected = [p for p, text in zip(protected, found, strict=True) if text is None]
        linear = [_substitute(r, variables, constants) for r in relations]
        report.told = self._told(linear, variables, constants, names)
        forms = {_form(f) for f in linear}
        # earlier relations over counts shown tonight bound nothing tonight, but do once those
        # counts are hidden: the forced check hides them, so it takes every earlier relation
        unbinding: list[_Relation] = []
        for relation in self._remembered(names, variables, truth, constants):
            form = _substitute(relation, variables, constants)
            if form[0] and _form(form) not in forms:
                forms.add(_form(form))
                relations.append(relation)
                linear.append(form)
            else:
                unbinding.append(relation)
        objectives = [_objective(r, variables, constants) for r, _ in protected]
        narrow: list[tuple[int, float, float]] = [
            (i, constant, constant)  # shown exactly
            for i, (terms, constant) in enumerate(objectives)
            if not terms and _too_narrow(constant, constant, threshold)
        ]
        x_true = np.array(truth)
        systems = []  # (digest, objectives' positions, constraints and objectives)
        for rows, wanted in _systems(linear, objectives, len(truth)):
            system = [linear[i] for i in rows], [objectives[i] for i in wanted]
            digest = system_digest(*system, x_true, threshold, self.digest_key)
            systems.append((digest, wanted, system))
        report.systems = len(systems)
        unknown = [(d, s) for d, _, s in systems if d not in self.known]
        if unknown:
            _import_solver()
        # two at a time: HiGHS releases the GIL while it solves, and the second core is idle
        with ThreadPoolExecutor(max_workers=SOLVERS) as pool:
            found = dict(
                zip(
                    (d for d, _ in unknown),
                    pool.map(lambda u: _solve(*u[1], x_true, threshold), unknown),
                    strict=True,
                )
            )
        for digest, wanted, _ in systems:
            if digest in found:
                report.programs += found[digest].programs
                answer = found[digest].narrow
            else:
                report.reused += 1
                answer = self.known[digest]
            report.solved[digest] = self.known[digest] = list(answer)
            narrow += [(wanted[j], lo, hi) for j, lo, hi in answer]
        touching: dict[Cell, list[int]] = defaultdict(list)
        for i, relation in enumerate(relations):
            for cell in relation.terms:
                touching[cell].append(i)
        recoverable: dict[str, int] = defaultdict(int)
        narrowed = {index for index, _, _ in narrow}
        report.settled = set(settled) | {
            frozenset(relation.terms)
            for i, (relation, _) in enumerate(protected)
            if i not in narrowed
        }
        for name, mart in marts.items():
            report.suppressed[name] = {
                (row + 1, column)
                for column, flags in mart.hidden.items()
                for row, hidden in enumerate(flags)
                if hidden and column in mart.true
            }
        # a cell shown earlier and unchanged, or of an earlier snapshot, cannot be hidden
        before = {c for c in constants if c in names and names[c] in shown_before}
        hideable = {c: v for c, v in constants.items() if c in names and c not in before}
        forced = self._forced(
            narrow,
            protected,
            relations + unbinding,
            rates_of_tonight,
            variables,
            truth,
            constants,
            hideable,
        )
        to_widen = [i for i, *_ in narrow if i not in forced]
        tried = {i: self._tried[frozenset(protected[i][0].terms)] for i in to_widen}
        picks = {
            i: _cell_to_hide(protected[i][0], relations, touching, hideable, tried[i])
            for i in to_widen
        }
        if to_widen and not any(picks.values()):
            # every narrow range is bounded through hidden cells only (an age band's returns:
            # its exits, the returns' total and its exiters hidden, their sums shown): the
            # nearest shown cells further out, rather than none and the marts withheld
            for index in to_widen:
                picks[index] = _cell_to_hide(
                    protected[index][0], relations, touching, hideable, tried[index], far=True
                )
        for index, lo, hi in sorted(narrow):
            relation, label = protected[index]
            mart_name, row, _ = next(iter(relation.terms))
            finding = (
                f"{mart_name}: {label} in row {row + 1} (in dimension order) can be narrowed "
                f"to {_width(lo, hi) + 1} possible values (threshold {threshold})"
            )
            if index in forced:
                report.forced.append(finding)
                self._forced_found[frozenset(relation.terms.items())] = finding
                continue
            recoverable[mart_name] += 1
            if (pick := picks[index]) is not None:
                report.hide.setdefault(pick[0], set()).add((pick[1] + 1, pick[2]))
            if len(report.findings) < MAX_FINDINGS:
                report.findings.append(finding)
        for name, mart in marts.items():
            columns = mart.declaration.columns_with("count")
            cells = sum(mart.is_cell(c.name, r) for c in columns for r in range(len(mart.keys)))
            hidden = sum(sum(mart.hidden[c.name]) for c in columns)
            report.marts.append(MartAudit(name, cells, hidden, recoverable.get(name, 0)))
        report.seconds = time.perf_counter() - started
        return report

    def _forced(
        self,
        narrow: list[tuple[int, float, float]],
        protected: list[tuple[_Relation, str]],
        relations: list[_Relation],
        rates: set[int],
        variables: Mapping[Cell, int],
        truth: list[float],
        constants: Mapping[Cell, float],
        hideable: Mapping[Cell, float],
    ) -> set[int]:
        """The narrow objectives that stay narrow with every count tonight could hide hidden
        (and so every rate or share on them): earlier snapshots and the rows tonight has force
        them, and no suppression widens them. None without earlier snapshots. That system is
        the same in every round (hiding more moves counts from ``hideable`` to ``variables``),
        so each objective's answer is kept for the rounds after."""
        if not narrow or not (self.prior.relations or self.prior.shown):
            return set()
        asked = {i: frozenset(protected[i][0].terms.items()) for i, *_ in narrow}
        answers = self._forced_answers
        new = [i for i, a in asked.items() if a not in answers]
        if not new:
            return {i for i, a in asked.items() if answers[a]}
        known = {c: v for c, v in constants.items() if c not in hideable}
        unknown = dict(variables)
        values = list(truth)
        for cell, value in hideable.items():
            unknown[cell] = len(values)
            values.append(value)
        # a rate or share goes with its count, unless none of its counts can go: its
        # numerator and base shown before with tonight's values, it stays shown
        linear = [
            _substitute(r, unknown, known)
            for r in relations
            if id(r) not in rates or not r.terms.keys() & hideable.keys()
        ]
        wanted = [_objective(protected[i][0], unknown, known) for i in new]
        forced = {new[j] for j, (terms, _) in enumerate(wanted) if not terms}  # known exactly
        x = np.array(values)
        for rows, goals in _systems(linear, wanted, len(values)):
            constraints = [linear[i] for i in rows]
            still = _solve(constraints, [wanted[j] for j in goals], x, self.threshold).narrow
            forced |= {new[goals[j]] for j, *_ in still}
        answers |= {asked[i]: i in forced for i in new}
        return {i for i, a in asked.items() if answers[a]}

    def _told(
        self,
        linear: list[tuple[dict[int, float], float, float]],
        variables: Mapping[Cell, int],
        constants: Mapping[Cell, float],
        names: Mapping[Cell, str],
    ) -> Told:
        """What this snapshot tells a reader: its shown counts and its relations over the
        hidden ones (``linear``, before earlier snapshots' are added), counts by name."""
        name_of = {i: names[cell] for cell, i in variables.items()}
        return Told(
            {names[c]: v for c, v in constants.items()},
            [
                (terms_of((name_of[v], a) for v, a in terms.items()), lo, hi)
                for terms, lo, hi in linear
                if terms
            ],
            set(name_of.values()) | {names[c] for c in constants},
        )

    def _remembered(
        self,
        names: Mapping[Cell, str],
        variables: dict[Cell, int],
        truth: list[float],
        constants: dict[Cell, float],
    ) -> list[_Relation]:
        """Earlier snapshots' relations over this one's counts: a name of tonight's is that
        count, any other a count since changed or gone, its value if it was shown, else an
        unknown of its own (at least 0; its unsuppressed value is not kept: 0 stands in for it
        in ``truth``, where only tonight's counts enter the ranges seen). Unknowns of their own
        met in one relation only are eliminated (``_eliminate``). Relations that reach none
        of this group's counts (``linked``: another group's, or only counts since changed)
        bound none of its ranges and are left out."""
        present = variables.keys() | constants.keys()  # an empty count not hidden is none
        if self._mapped is None or self._mapped[0] != present:  # mapped again once it changes
            cell_of = {name: cell for cell, name in names.items() if cell in present}
            earlier_shown: dict[Cell, float] = {}
            mapping = []
            for remembered in linked(self.prior.relations, set(names.values())):
                terms: dict[Cell, float] = {}
                for name, coefficient in remembered.terms:
                    cell = cell_of.get(name, (EARLIER, 0, name))
                    if cell[0] == EARLIER and name in self.prior.shown:
                        earlier_shown[cell] = self.prior.shown[name]
                    terms[cell] = coefficient
                mapping.append((terms, remembered.lo, remembered.hi))
            self._mapped = present, earlier_shown, mapping
        _, earlier_shown, mapping = self._mapped
        constants.update(earlier_shown)
        mapped = [_Relation(dict(terms), lo, hi) for terms, lo, hi in mapping]
        out = _eliminate(mapped, lambda c: c[0] == EARLIER and c not in constants, constants)
        for relation in out:
            for cell in relation.terms:
                if cell[0] == EARLIER and cell not in constants and cell not in variables:
                    variables[cell] = len(truth)
                    truth.append(0.0)
        return out


def _systems(
    linear: list[tuple[dict[int, float], float, float]],
    objectives: list[tuple[dict[int, float], float]],
    size: int,
) -> list[tuple[list[int], list[int]]]:
    """The independent systems over ``size`` hidden counts (counts a constraint or objective
    links): per system, the positions of its constraints and of its objectives. Objectives with
    no hidden count, or whose counts no constraint bounds (anything from 0 up), are in none."""
    find = _Find(size)
    for terms, *_ in [*linear, *objectives]:
        if len(terms) > 1:
            find.join(terms)
    constraints_of: dict[int, list[int]] = defaultdict(list)
    for i, (terms, *_) in enumerate(linear):
        if terms:
            constraints_of[find.root(next(iter(terms)))].append(i)
    objectives_of: dict[int, list[int]] = defaultdict(list)
    for i, (terms, _) in enumerate(objectives):
        if terms:
            objectives_of[find.root(next(iter(terms)))].append(i)
    return [
        (constraints_of[root], wanted)
        for root, wanted in objectives_of.items()
        if root in constraints_of
    ]


def _eliminate(
    relations: list[_Relation], free: Callable[[Cell], bool], known: Collection[Cell] = ()
) -> list[_Relation]:
    """``relations`` with every ``free`` count met in one relation only taken out, again while
    that leaves another in one only: a count at least 0 and unbounded above takes up whatever
    its relation needs on one side, so ``lo <= r + a * x <= hi`` says ``r <= hi`` (a > 0) or
    ``r >= lo`` (a < 0), and nothing once that holds of any counts (``r >= 0`` over unknown
    counts, ``known`` ones aside). Most relations of an earlier night hold a count that changed
    since (a total grown by tonight's rows): without it, they say little or nothing, and the
    programs stay the size of tonight's."""
    holders: dict[Cell, set[int]] = defaultdict(set)
    for i, relation in enumerate(relations):
        for cell in relation.terms:
            if free(cell):
                holders[cell].add(i)
    alive = [True] * len(relations)
    work = [cell for cell, held in holders.items() if len(held) == 1]
    while work:
        cell = work.pop()
        if len(holders[cell]) != 1:
            continue
        (i,) = holders.pop(cell)
        relation = relations[i]
        if relation.terms.pop(cell) > 0:
            relation.lo = -math.inf
        else:
            relation.hi = math.inf
        if relation.terms and not _says_nothing(relation, known):
            continue
        alive[i] = False
        for other in relation.terms:
            if other in holders:
                holders[other].discard(i)
                if len(holders[other]) == 1:
                    work.append(other)
    return [relation for relation, kept in zip(relations, alive, strict=True) if kept]


def _says_nothing(relation: _Relation, known: Collection[Cell]) -> bool:
    """Whether any counts at least 0 satisfy ``relation`` (no ``known`` count in it)."""
    if math.isinf(relation.lo) and math.isinf(relation.hi):
        return True
    if any(cell in known for cell in relation.terms):
        return False
    signs = {a > 0 for a in relation.terms.values()}
    return (signs == {True} and relation.lo <= 0 and math.isinf(relation.hi)) or (
        signs == {False} and relation.hi >= 0 and math.isinf(relation.lo)
    )


def _form(linear: tuple[dict[int, float], float, float]) -> tuple:
    """A constraint over hidden counts as a key: the same key, the same constraint."""
    terms, lo, hi = linear
    return tuple(sorted((v, round(a, 9)) for v, a in terms.items())), round(lo, 9), round(hi, 9)


def audit_snapshot(
    con: duckdb.DuckDBPyConnection,
    declarations: Mapping[str, MartDeclaration],
    threshold: int,
    source: str = "marts",
    published: str = "snapshot.main",
    settled: Collection[frozenset[Cell]] = frozenset(),
    known: Mapping[str, Sequence[Narrow]] | None = None,
    digest_key: bytes = b"",
) -> AuditReport:
    """Audit every gated mart of ``published`` (its unsuppressed values are in ``source``).

    ``settled``: protected quantities (``AuditReport.settled``) an earlier audit of the same
    marts found wide, when every cell hidden then is hidden now: hiding more only widens the
    ranges (a point consistent with the earlier snapshot is consistent with this one), so they
    need no program again. ``known`` and ``digest_key``: see ``GroupAudit``."""
    group = GroupAudit(con, declarations, threshold, source, published, known, digest_key)
    return group.audit(group.read(), settled)


def _public_zeros(relations: list[_Relation]) -> set[Cell]:
    """Counts the missing rows show to be 0, whatever is suppressed: those of ``absent``
    relations, and every count the declared relations then force to 0 (a state row whose only
    county rows are such zeros, its copy on another program's row, a part of a zero total, a
    count within a zero base). Only relations bounded by 0 are followed: they hold whatever is
    shown (a rate's relation depends on the shown rate), so no suppression can widen these."""
    zero = {cell for r in relations if r.absent for cell in r.terms}
    changed = True
    while changed:
        changed = False
        for relation in relations:
            rest = [(c, a) for c, a in relation.terms.items() if c not in zero]
            # sum <= 0 with every negative term 0: the positive ones are 0 (counts are >= 0);
            # sum >= 0 alike for the negative ones
            forced = []
            if relation.hi == 0 and all(a > 0 for _, a in rest):
                forced = [c for c, _ in rest]
            if relation.lo == 0 and all(a < 0 for _, a in rest):
                forced = [c for c, _ in rest]
            if forced:
                zero.update(forced)
                changed = True
    return zero


def _cell_to_hide(
    objective: _Relation,
    relations: list[_Relation],
    touching: Mapping[Cell, list[int]],
    constants: Mapping[Cell, float],
    tried: set[frozenset[Cell]],
    far: bool = False,
) -> Cell | None:
    """The shown cell whose suppression widens a narrow range: a shown copy of it, else the
    smallest shown cell of it or of a constraint on it. ``far``: where those hold no shown
    cell, the smallest shown cell of the constraints on their hidden cells, and so on
    outwards (the nearest shown cells bounding the range).

    ``tried``: the constraints (by their cells) a cell was taken from for this range in
    earlier rounds, to which the one taken now is added. A range still narrow with that cell
    hidden is bounded by another constraint, whose cells come first: a county's month under
    its annual count (``enrolled`` 15 for the year) otherwise hid the year's other months one
    round after another, each the smallest, before the annual count."""
    seen = {i for own in objective.terms for i in touching.get(own, [])}
    near = [relations[i] for i in sorted(seen)]
    fresh = [r for r in near if frozenset(r.terms) not in tried]
    candidates = _shown_cells(objective, fresh, constants) or _shown_cells(
        objective, near, constants
    )
    reached = set(objective.terms)
    while far and not candidates and near:
        hidden = {c for r in near for c in r.terms} - reached
        reached |= hidden
        further = {i for cell in hidden for i in touching.get(cell, [])} - seen
        seen |= further
        near = [relations[i] for i in sorted(further)]
        candidates = [c for r in near for c in r.terms if c in constants]
    if not candidates:
        return None
    pick = min(candidates, key=lambda c: (constants[c], c))
    tried |= {frozenset(r.terms) for r in near if pick in r.terms}
    return pick


def _shown_cells(
    objective: _Relation, near: list[_Relation], constants: Mapping[Cell, float]
) -> list[Cell]:
    """The shown copies of ``objective`` among ``near``, else the shown cells of it and of
    them."""
    copies = [c for r in near if r.mirror for c in r.terms if c in constants]
    return copies or [c for r in [objective, *near] for c in r.terms if c in constants]


def _holds(relation: _Relation, marts: Mapping[str, _Mart]) -> bool:
    """Whether the unsuppressed marts satisfy ``relation`` (a declaration the data break, a
    mirror of people counted in different counties, tells a reader nothing true; kept, it could
    make the system infeasible and hide every range)."""
    value = sum(a * (marts[m].true[c][r] or 0) for (m, r, c), a in relation.terms.items())
    slack = RATE_TOLERANCE * (1 + sum(abs(a) for a in relation.terms.values()))
    return relation.lo - slack <= value <= relation.hi + slack


def _too_narrow(lo: float, hi: float, threshold: int) -> bool:
    """Fewer possible values than the threshold: a range inside 1..threshold-1 always is, and
    0..threshold-1 (what suppression itself tells) is not."""
    return _width(lo, hi) + 1 < threshold


def _width(lo: float, hi: float) -> int:
    """Integer values between lo and hi, less one (tolerant of solver round-off). A range of
    exactly {0} is narrow: it tells that nobody is there. The one exemption is a count that the
    missing rows already show to be 0 (``_public_zeros``: TANF's count on the Medicaid row of a
    county without a TANF row, and a state row made only of such counts), which is not
    protected at all."""
    if math.isinf(hi):
        return 1 << 62
    return math.floor(hi + 1e-6) - math.ceil(lo - 1e-6)


@dataclass
class _Solved:
    narrow: list[Narrow]
    programs: int


def system_digest(
    constraints: list[tuple[dict[int, float], float, float]],
    objectives: list[tuple[dict[int, float], float]],
    x_true: np.ndarray,
    threshold: int,
    key: bytes = b"",
) -> str:
    """HMAC-SHA-256 under ``key`` of everything ``_solve``'s answer for one system depends on:
    the hidden counts numbered in order of first appearance (as ``_solve`` numbers them), their
    unsuppressed values, every constraint and objective in order, the threshold and
    ``VERSION``. Equal digests mean the same linear programs, so the same ranges.

    The unsuppressed values include the hidden cells', which are small: without a secret key a
    reader of the kept digests (``publishing/audit_memory.py``) could try every small value
    against the published constraints until a digest matched. The publish step passes the
    linkage key."""
    index: dict[int, int] = {}
    for terms, *_ in [*constraints, *objectives]:
        for v in terms:
            index.setdefault(v, len(index))
    digest = hmac.new(key, VERSION.encode(), hashlib.sha256)

    def put(*parts: object) -> None:
        digest.update(repr(parts).encode())

    put(threshold, [float(x_true[v]) for v in index])
    for terms, lo, hi in constraints:
        put([(index[v], float(a)) for v, a in terms.items()], float(lo), float(hi))
    put(len(objectives))
    for terms, offset in objectives:
        put([(index[v], float(a)) for v, a in terms.items()], float(offset))
    return digest.hexdigest()


def _import_solver() -> None:
    """Import what ``_solve`` imports on this thread, before systems are solved on others: a
    module that two threads import at once can be seen half initialized."""
    import highspy  # noqa: F401
    import scipy.sparse  # noqa: F401


def _solve(
    constraints: list[tuple[dict[int, float], float, float]],
    objectives: list[tuple[dict[int, float], float]],
    x_true: np.ndarray,
    threshold: int,
) -> _Solved:
    """Ranges of ``objectives`` narrower than ``threshold`` over one independent system.

    Every feasible point seen widens the observed range of every objective (the true counts
    are the first). Programs that push every open range outwards at once, each only as far as
    it needs to be wide, settle most of them; a program is solved for one objective alone only
    when those stop helping, so a range reported narrow is always its exact range."""
    # SciPy is imported here, not with the module: the code location loads this module in
    # every run's process, and only the publish step solves (a third of a second per process)
    from scipy.sparse import csr_array

    index: dict[int, int] = {}
    for terms, *_ in [*constraints, *objectives]:
        for v in terms:
            index.setdefault(v, len(index))
    size = len(index)
    x0 = x_true[list(index)]

    def matrix(rows: list[dict[int, float]]) -> csr_array:
        data = [c for r in rows for c in r.values()]
        cols = [index[v] for r in rows for v in r]
        ptr = np.cumsum([0, *(len(r) for r in rows)])
        return csr_array((data, cols, ptr), shape=(len(rows), size))

    system = _System(
        matrix([c[0] for c in constraints]),
        np.array([c[1] for c in constraints], dtype=float),  # -inf, inf: no bound
        np.array([c[2] for c in constraints], dtype=float),
    )
    bounds = np.concatenate([system.lower, system.upper])
    rhs = np.abs(np.concatenate([bounds[np.isfinite(bounds)], x0]))
    cap = 2 * float(rhs.max(initial=0.0)) + 10 * threshold  # hitting it means a wide range
    goals = matrix([o[0] for o in objectives])
    offset = np.array([o[1] for o in objectives])
    seen = goals @ x0 + offset
    low, high = seen.copy(), seen.copy()
    exact = system.exact(cap)
    pushes: _Pushes | None = None
    programs = 0

    def see(x: np.ndarray) -> None:
        """Widen the seen ranges by the feasible points ``x`` (one per column)."""
        values = goals @ x + offset[:, None]
        np.minimum(low, values.min(axis=1), out=low)
        np.maximum(high, values.max(axis=1), out=high)

    def optimize(costs: np.ndarray) -> None:
        """One program of the system alone: its optimum, a feasible point, is seen."""
        nonlocal programs
        programs += 1
        if (x := exact.optimum(costs)) is not None:
            see(x[:, None])

    def still_open(indices: Iterable[int]) -> list[int]:
        return [j for j in indices if _too_narrow(low[j], high[j], threshold)]

    optimize(-np.ones(size))
    optimize(np.ones(size))
    still = still_open(range(len(objectives)))
    rng = np.random.default_rng(len(objectives))
    signs = dict(zip(still, rng.choice([-1.0, 1.0], size=len(still)), strict=True))
    while still:  # push every open range apart at once, while that helps
        before = len(still)
        pushes = pushes or system.pushes(goals, cap, threshold - 1 + MARGIN)
        programs += 1
        points = pushes.push(still, [signs[j] for j in still])
        moved = np.zeros(len(still))
        if points is not None:
            see(points)
            moved = goals[still] @ (points[:, 0] - points[:, 1])
        for j, spread in zip(still, moved, strict=True):
            if abs(spread) < 0.5:  # stuck that way: try the other way round at random
                signs[j] = rng.choice([-1.0, 1.0])
            else:  # the way it went given the others
                signs[j] = math.copysign(1.0, spread)
        still = still_open(still)
        if len(still) == before:
            break
    for sign in (-1.0, 1.0):  # each open range on its own: its largest, then its smallest
        for j in still:
            if _too_narrow(low[j], high[j], threshold):  # an optimum before may have widened it
                optimize(sign * goals[[j]].toarray()[0])
        still = still_open(still)
    narrow = [(j, float(low[j]), float(high[j])) for j in still]
    return _Solved(narrow, programs)


@dataclass(frozen=True)
class _System:
    """One system's constraints: ``lower <= a @ x <= upper``, every hidden count ``x`` at least
    0. Its programs are solved in HiGHS's own interface, each model kept in the solver and
    changed from one program to the next, so that each program starts from the last one's
    optimal basis, a few pivots away (SciPy's ``linprog`` starts every program afresh). The
    two largest systems of the sample's audit took 3.4 and 2.9 s through ``linprog``, 1.3 and
    1.0 s so; the sample's 114 systems 15.8 s against 8.5 s, to the same ranges."""

    a: csr_array
    lower: np.ndarray
    upper: np.ndarray

    def exact(self, cap: float) -> _Program:
        """The system alone, to be optimized for one cost after another."""
        size = self.a.shape[1]
        return _Program(
            _highs(self.a, np.zeros(size), np.full(size, cap), self.lower, self.upper),
            np.arange(size, dtype=np.int32),
        )

    def pushes(self, goals: csr_array, cap: float, wide: float) -> _Pushes:
        """The push programs' model: two copies of the system (``x1``, ``x2``); per objective
        its spread ``d = goal @ (x1 - x2)`` and a gain ``g <= sign * d`` rewarded up to
        ``wide``. Every objective has its rows from the start; a settled one's gain is freed
        and no longer rewarded, a sign is one coefficient."""
        import highspy
        from scipy.sparse import csr_array, hstack, identity, vstack

        rows, size = self.a.shape
        m = goals.shape[0]
        none, no_goals = csr_array((rows, size)), csr_array((rows, m))
        unit = identity(m, format="csr")
        a = vstack(
            [
                hstack([self.a, none, no_goals, no_goals]),
                hstack([none, self.a, no_goals, no_goals]),
                hstack([-goals, goals, unit, csr_array((m, m))]),  # d - goal @ (x1 - x2) = 0
                hstack([csr_array((m, 2 * size)), -unit, unit]),  # g - sign * d <= 0
            ],
            format="csr",
        )
        free = np.full(m, -highspy.kHighsInf)
        model = _highs(
            a,
            np.concatenate([np.zeros(2 * size), free, free]),
            np.concatenate([np.full(2 * size, cap), -free, np.full(m, wide)]),
            np.concatenate([self.lower, self.lower, np.zeros(m), free]),
            np.concatenate([self.upper, self.upper, np.zeros(m), np.zeros(m)]),
            np.concatenate([np.zeros(2 * size + m), -np.ones(m)]),
        )
        return _Pushes(model, size, 2 * rows + m)


def _highs(
    a: csr_array,
    column_lower: np.ndarray,
    column_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    costs: np.ndarray | None = None,
) -> Any:
    """A HiGHS solver holding ``min costs @ x`` over ``row_lower <= a @ x <= row_upper`` and
    ``column_lower <= x <= column_upper`` (``HIGHS``' options)."""
    import highspy

    columns = a.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = columns.shape[1], columns.shape[0]
    lp.col_cost_ = np.zeros(columns.shape[1]) if costs is None else costs
    lp.col_lower_, lp.col_upper_ = column_lower, column_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = columns.indptr
    lp.a_matrix_.index_ = columns.indices
    lp.a_matrix_.value_ = columns.data
    solver = highspy.Highs()
    for option, value in HIGHS.items():
        solver.setOptionValue(option, value)
    solver.passModel(lp)
    return solver


def _solution(solver: Any) -> np.ndarray | None:
    """The optimal point HiGHS found, or None."""
    import highspy

    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(solver.getSolution().col_value)


@dataclass
class _Program:
    """A system in HiGHS, optimized for one cost after another."""

    solver: Any
    columns: np.ndarray

    def optimum(self, costs: np.ndarray) -> np.ndarray | None:
        """The point minimizing ``costs``, or None when HiGHS finds none."""
        self.solver.changeColsCost(len(costs), self.columns, costs)
        return _solution(self.solver)


@dataclass
class _Pushes:
    """The push programs of one system in HiGHS (``_System.pushes``), one round after another."""

    solver: Any
    size: int
    first_gain_row: int
    signs: dict[int, float] = field(default_factory=dict)
    settled: set[int] = field(default_factory=set)

    def push(self, still: list[int], signs: list[float]) -> np.ndarray | None:
        """Two feasible points (columns: the high copy, the low copy) moving every ``still``
        objective apart in the direction its sign gives it (1: higher in the first copy),
        each rewarded only up to the spread that makes its range wide: the program then
        spreads over many objectives rather than pushing one far. Mixed directions keep a
        known sum (three hidden cells of a shown 30) from making every gain another's loss."""
        import highspy

        m = self.solver.getNumRow() - self.first_gain_row
        open_now = set(still)
        for j in sorted(set(range(m)) - open_now - self.settled):  # its gain: free, unrewarded
            self.solver.changeRowBounds(
                self.first_gain_row + j, -highspy.kHighsInf, highspy.kHighsInf
            )
            self.solver.changeColCost(2 * self.size + m + j, 0.0)
            self.settled.add(j)
        for j, sign in zip(still, signs, strict=True):
            if self.signs.get(j, 1.0) != sign:
                self.solver.changeCoeff(self.first_gain_row + j, 2 * self.size + j, -sign)
                self.signs[j] = sign
        x = _solution(self.solver)
        return None if x is None else x[: 2 * self.size].reshape(2, self.size).T


def _objective(
    relation: _Relation, variables: Mapping[Cell, int], constants: Mapping[Cell, float]
) -> tuple[dict[int, float], float]:
    """A protected quantity over hidden counts: (terms, constant part)."""
    terms: dict[int, float] = {}
    known = 0.0
    for cell, coefficient in relation.terms.items():
        index = variables.get(cell)
        if index is None:
            known += coefficient * constants.get(cell, 0.0)
        else:  # one cell, one index
            terms[index] = coefficient
    return terms, known


def _as_wide_as_a_cell(
    relation: _Relation, variables: Mapping[Cell, int], public_zero: set[Cell]
) -> bool:
    """A rest with one hidden cell, the other shown (exiters shown, employed hidden): its range
    is the hidden cell's, shifted, and that cell is protected itself, so it needs no program."""
    hidden = [(cell, a) for cell, a in relation.terms.items() if cell in variables]
    return (
        len(relation.terms) > 1
        and len(hidden) == 1
        and abs(hidden[0][1]) == 1
        and hidden[0][0] not in public_zero
    )


def _rest_label(relation: _Relation) -> str:
    (base,) = (col for (_, _, col), coef in relation.terms.items() if coef > 0)
    parts = [col for (_, _, col), coef in relation.terms.items() if coef < 0]
    return " - ".join([base, *parts])


def _substitute(
    relation: _Relation, variables: Mapping[Cell, int], constants: Mapping[Cell, float]
) -> tuple[dict[int, float], float, float]:
    """The constraint over hidden counts only: (terms, lo, hi), shown cells moved across."""
    terms, known = _objective(relation, variables, constants)
    return terms, relation.lo - known, relation.hi - known
