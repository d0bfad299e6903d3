"""The disclosure gate: what a mart with ``disclosure_control`` may show in the published file.

``gate_table`` writes the gated copy of a mart (into the snapshot being built):

1. primary suppression: every ``count`` cell below the threshold;
2. small complements: a count that is a subset of its ``base`` or the base's base (employed
   among reachable exiters, they among all exiters) when the rest (exiters not employed) is
   below the threshold;
3. complementary suppression: every copy of a quantity shown twice (``mirrors``) with its
   suppressed copy; in every equation (cells that add up to a total a reader can know, see
   ``disclosure_cells``) holding exactly one suppressed cell, or suppressed cells adding up
   to so little that each lies in fewer values than the threshold, the smallest other cell
   too; where the rows with a count or a count within it suppressed have rests (exiters not
   reachable) adding up to so little, the count in the smallest shown row with a rest; the
   empty withheld counts of a row whose link-coverage share is hidden count as suppressed
   cells (they read suppressed); 2 and 3 repeat until nothing changes;
4. a ``rate``, ``share`` or ``median`` is suppressed when its ``base`` is suppressed or below
   the threshold, or its ``numerator`` is suppressed.

Cells the disclosure audit (``disclosure_audit``) names (``forced``) are suppressed as well.

Suppressed cells are NULL, and each count, rate, share and median column is followed by a
``<column>_suppressed`` BOOLEAN, so a suppressed cell is told apart from a value that was not
observed (NULL, not suppressed). ``verify_gated`` re-derives the layout and the per-cell rules
from the published table alone, and that no known sum holds exactly one suppressed cell (sums
along additive dimensions without a total row count as known here); how far each suppressed
count can be narrowed, small rests included, is the audit's to say.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from datalabs_pipelines.governance import disclosure_cells as cells
from datalabs_pipelines.marts.declaration import DERIVED_ROLES, MartColumn, MartDeclaration
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import identifier

SUPPRESSED_SUFFIX = "_suppressed"
GATED_ROLES = {"count", *DERIVED_ROLES}
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class GateReport:
    table: str
    rows: int
    cells: int
    primary: int
    complementary: int
    derived: int
    rounds: int


def disclosure_threshold() -> int:
    """Smallest count a published cell may show: ``DATALABS_DISCLOSURE_THRESHOLD``, default 10."""
    return get_settings().disclosure_threshold


def published_columns(declaration: MartDeclaration) -> list[tuple[str, str]]:
    """(name, type) of the published table: each gated column followed by its companion."""
    out: list[tuple[str, str]] = []
    for column in declaration.columns:
        out.append((column.name, column.type))
        if column.role in GATED_ROLES:
            out.append((column.name + SUPPRESSED_SUFFIX, "BOOLEAN"))
    return out


def _derived_suppressed(column: MartColumn, flags: str, values: str) -> str:
    """SQL: TRUE when a rate, share or median must be suppressed."""
    parts = [f"coalesce({flags}.s__{identifier(column.base or '')}, false)"]
    parts.append(f"coalesce({values}.{identifier(column.base or '')} < $threshold, false)")
    if column.numerator:
        parts.append(f"coalesce({flags}.s__{identifier(column.numerator)}, false)")
    return "(" + " OR ".join(parts) + ")"


def gate_table(
    con: duckdb.DuckDBPyConnection,
    declaration: MartDeclaration,
    source: str,
    target: str,
    threshold: int,
    forced: Collection[tuple[int, str]] = (),
) -> GateReport:
    """Write the gated copy of ``source`` (e.g. ``marts.x``) to ``target`` (a qualified name).

    ``forced``: (row in dimension order from 1, count column) cells to suppress as well (those
    the disclosure audit found a reader could narrow)."""
    cells.number_rows(con, declaration, source)
    cells.build_cells(con, declaration, threshold)
    cells.build_equations(con, declaration)
    cells.build_mirrors(con, declaration)
    primary = con.execute(f"SELECT count(*) FILTER (WHERE suppressed) FROM {cells.CELLS}")
    primary_count = primary.fetchone()[0]
    cells.force(con, sorted(forced))
    rounds = 0
    while True:
        rounds += 1
        changed = cells.suppress_small_complements(con, declaration, threshold)
        changed += cells.hide_uncovered(con, declaration, threshold)
        changed += cells.suppress_mirrors(con)
        changed += cells.suppress_complements(con)
        changed += cells.suppress_small_sums(con, threshold)
        if not changed:  # the rests' sums last: a statement per count and whole, so only once
            changed = cells.suppress_small_rest_sums(con, declaration, threshold)  # all else holds
        if not changed:
            break
        if rounds >= MAX_ROUNDS:
            raise RuntimeError(f"disclosure gate on {source} did not settle in {MAX_ROUNDS} rounds")
    counts = declaration.columns_with("count")
    flags = ", ".join(
        f"coalesce(bool_or(suppressed) FILTER (WHERE col = '{identifier(c.name)}'), false) "
        f"AS s__{identifier(c.name)}"
        for c in counts
    )
    select: list[str] = []
    derived_flags: list[str] = []
    coverage = declaration.link_coverage
    # where the coverage share is hidden, its flag and which columns are withheld below the
    # minimum would tell it (43 exiters, flagged, employment shown: 35 to 42 reachable): the
    # flag is hidden and a withheld cell reads suppressed
    share = declaration.coverage_share
    uncovered = _derived_suppressed(share, "f", "r") if share else "false"
    for column in declaration.columns:
        name = identifier(column.name)
        if coverage and column.name == coverage.flag:
            select.append(f"CASE WHEN {uncovered} THEN NULL ELSE r.{name} END AS {name}")
            derived_flags.append(uncovered)
            continue
        if column.role == "count":
            hidden = f"f.s__{name}"
        elif column.role in DERIVED_ROLES:
            hidden = _derived_suppressed(column, "f", "r")
            derived_flags.append(hidden)
        else:
            select.append(f"r.{name}")
            continue
        if coverage and column.name in coverage.withheld:
            hidden = f"({hidden} OR ({uncovered} AND r.{name} IS NULL))"
            derived_flags.append(hidden)
        select.append(f"CASE WHEN {hidden} THEN NULL ELSE r.{name} END AS {name}")
        select.append(f"{hidden} AS {name}{SUPPRESSED_SUFFIX}")
    flag_sql = (
        f"SELECT _row_id, {flags} FROM {cells.CELLS} GROUP BY _row_id"
        if counts
        else (f"SELECT _row_id FROM {cells.ROWS}")
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS "
        f"WITH f AS ({flag_sql}) "
        f"SELECT {', '.join(select)} FROM {cells.ROWS} r LEFT JOIN f USING (_row_id) "
        "ORDER BY r._row_id",
        {"threshold": threshold} if derived_flags else {},
    )
    total_suppressed, cell_count = con.execute(
        f"SELECT count(*) FILTER (WHERE suppressed), count(*) FROM {cells.CELLS}"
    ).fetchone()
    hidden_derived = [
        f"count(*) FILTER (WHERE {identifier(c.name)}{SUPPRESSED_SUFFIX})"
        for c in declaration.columns_with(*DERIVED_ROLES)
    ]
    derived = (
        sum(con.execute(f"SELECT {', '.join(hidden_derived)} FROM {target}").fetchone())
        if hidden_derived
        else 0
    )
    rows = con.execute(f"SELECT count(*) FROM {cells.ROWS}").fetchone()[0]
    return GateReport(
        table=declaration.name,
        rows=rows,
        cells=cell_count,
        primary=primary_count,
        complementary=total_suppressed - primary_count,
        derived=derived,
        rounds=rounds,
    )


def verify_gated(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, table: str, threshold: int
) -> list[str]:
    """Every way ``table`` (as published) breaks the gate's rules; empty when it passes."""
    described = con.execute(f"DESCRIBE {table}").fetchall()
    actual = [(name, dtype) for name, dtype, *_ in described]
    expected = published_columns(declaration)
    if [n for n, _ in actual] != [n for n, _ in expected] or any(
        dtype != "BOOLEAN" for (n, dtype) in actual if n.endswith(SUPPRESSED_SUFFIX)
    ):
        return [f"{declaration.name}: columns {actual} are not the gated layout {expected}"]
    rules: list[tuple[str, str]] = []  # (rows breaking it, what they show), counted at once
    for column in declaration.columns_with("count"):
        name = identifier(column.name)
        rules.append(
            (f"{name}_suppressed AND {name} IS NOT NULL", f"{name} is suppressed but shown")
        )
        rules.append(
            (
                f"NOT {name}_suppressed AND {name} < $threshold",
                f"{name} shows a count below {threshold}",
            )
        )
    for column in declaration.columns_with(*DERIVED_ROLES):
        name, base = identifier(column.name), identifier(column.base or "")
        hidden = f"({base}_suppressed OR coalesce({base} < $threshold, false)"
        if column.numerator:
            hidden += f" OR {identifier(column.numerator)}_suppressed"
        hidden += ")"
        rules.append(
            (f"{name}_suppressed AND {name} IS NOT NULL", f"{name} is suppressed but shown")
        )
        rules.append(
            (
                f"{name} IS NOT NULL AND {hidden}",
                f"{name} is shown although its base or numerator is suppressed or small",
            )
        )
    found = (
        con.execute(
            f"SELECT {', '.join(f'count(*) FILTER (WHERE {rule})' for rule, _ in rules)} "
            f"FROM {table}",
            {"threshold": threshold},
        ).fetchone()
        if rules
        else ()
    )
    problems = [
        f"{declaration.name}: {n} rows where {message}"
        for n, (_, message) in zip(found, rules, strict=True)
        if n
    ]
    cells.number_rows(con, declaration, table)
    cells.build_cells(con, declaration, threshold, published=True)
    cells.build_equations(con, declaration)
    for eq, row, col in cells.exposed_cells(con):
        problems.append(
            f"{declaration.name}: {col} in row {row} is the only suppressed cell of {eq} "
            "(recoverable by subtraction)"
        )
    return problems
