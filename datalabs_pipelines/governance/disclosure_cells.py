"""The disclosure gate's view of a mart: its count cells and the equations that bind them.

Three temporary tables, rebuilt for each table the gate looks at:

- ``_gate_rows``: the table with a ``_row_id`` (numbered in dimension order, so reruns pick
  the same cells);
- ``_gate_cells``: one row per (row, count column) with its value and whether it is suppressed;
- ``_gate_members``: one row per (equation, cell). An equation is a set of cells whose sum a
  reader can know: the cells of one count column that differ only in one additive dimension
  (they add up to that dimension's total, published in the table as its ``total`` row or
  elsewhere), and a count with ``sum_of`` together with its parts.

A suppressed cell is recoverable by subtraction when it is the only suppressed cell of an
equation; the gate suppresses more cells until no equation is in that state.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.warehouse import identifier

ROWS = "_gate_rows"
CELLS = "_gate_cells"
MEMBERS = "_gate_members"
MIRRORS = "_gate_mirrors"


def number_rows(con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, source: str) -> None:
    """``_gate_rows``: ``source`` with a deterministic ``_row_id``."""
    dims = [identifier(c.name) for c in declaration.columns_with("dimension")]
    order = ", ".join(dims) if dims else "ALL"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ROWS} AS "
        f"SELECT row_number() OVER (ORDER BY {order}) AS _row_id, * FROM {source}"
    )


def build_cells(
    con: duckdb.DuckDBPyConnection,
    declaration: MartDeclaration,
    threshold: int,
    published: bool = False,
) -> None:
    """``_gate_cells`` from ``_gate_rows``.

    Unpublished (the mart): a cell is suppressed when its count is below ``threshold``; NULL
    counts (not observed) are no cells. Published (the snapshot): as its ``_suppressed`` says.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CELLS} "
        "(_row_id BIGINT, col VARCHAR, value DOUBLE, suppressed BOOLEAN)"
    )
    selects, params = [], []  # one statement for every count column (one each cost more)
    for column in declaration.columns_with("count"):
        name = identifier(column.name)
        if published:
            selects.append(
                f"SELECT _row_id, ?, {name}, {name}_suppressed FROM {ROWS} "
                f"WHERE {name} IS NOT NULL OR {name}_suppressed"
            )
            params += [column.name]
        else:
            selects.append(
                f"SELECT _row_id, ?, {name}, {name} < ? FROM {ROWS} WHERE {name} IS NOT NULL"
            )
            params += [column.name, threshold]
    if selects:
        con.execute(f"INSERT INTO {CELLS} " + " UNION ALL ".join(selects), params)


def build_equations(con: duckdb.DuckDBPyConnection, declaration: MartDeclaration) -> int:
    """``_gate_members`` from ``_gate_rows``; returns how many equations there are."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MEMBERS} "
        "(eq VARCHAR, _row_id BIGINT, col VARCHAR, total BOOLEAN)"
    )
    dims = declaration.columns_with("dimension")
    counts = [c.name for c in declaration.columns_with("count")]
    if not counts:
        return 0
    # one statement per dimension for all count columns, one for every sum (one each cost more)
    for dim in dims:
        if not dim.additive:
            continue
        others = [identifier(o.name) for o in dims if o.name != dim.name]
        group = f"dense_rank() OVER (ORDER BY {', '.join(others)})" if others else "0"
        con.execute(
            f"INSERT INTO {MEMBERS} SELECT ? || c.col || '|' || ({group})::VARCHAR, _row_id, "
            f"c.col, coalesce({identifier(dim.name)}::VARCHAR = ?, false) "
            f"FROM {ROWS}, (SELECT unnest(?::VARCHAR[]) AS col) c",
            [f"{dim.name}|", dim.total, counts],
        )
        if dim.total is not None and dim.total_in:
            _join_moved_total(con, declaration, dim.name, dim.total, dim.total_in)
    sums = [
        (f"sum|{count.name}|", member, member == count.name)
        for count in declaration.columns_with("count")
        for member in (count.name, *count.sum_of)
    ]
    eqs, members, totals = (list(x) for x in zip(*sums, strict=True))
    con.execute(
        f"INSERT INTO {MEMBERS} SELECT s.eq || _row_id::VARCHAR, _row_id, s.col, s.total "
        f"FROM {ROWS}, (SELECT unnest(?::VARCHAR[]) AS eq, unnest(?::VARCHAR[]) AS col, "
        "unnest(?::BOOLEAN[]) AS total) s",
        [eqs, members, totals],
    )
    return con.execute(f"SELECT count(DISTINCT eq) FROM {MEMBERS}").fetchone()[0]


def _join_moved_total(
    con: duckdb.DuckDBPyConnection,
    declaration: MartDeclaration,
    dim: str,
    total: str,
    total_in: dict[str, str],
) -> None:
    """Add the total row that ``total_in`` moves (breakdown 'all') to every equation of the
    parts it totals (each breakdown's groups): the parts then add up to a shown cell."""
    same = [
        identifier(c.name)
        for c in declaration.columns_with("dimension")
        if c.name != dim and c.name not in total_in
    ]
    on = [f"t.{identifier(dim)}::VARCHAR = ?"]
    on += [f"t.{identifier(d)}::VARCHAR = ?" for d in total_in]
    on += [f"t.{d} IS NOT DISTINCT FROM p.{d}" for d in same]
    con.execute(
        f"INSERT INTO {MEMBERS} SELECT DISTINCT m.eq, t._row_id, m.col, true "
        f"FROM {MEMBERS} m JOIN {ROWS} p USING (_row_id) JOIN {ROWS} t ON {' AND '.join(on)} "
        f"WHERE starts_with(m.eq, ?) AND p.{identifier(dim)}::VARCHAR IS DISTINCT FROM ?",
        [total, *total_in.values(), f"{dim}|", total],
    )


_STATES = f"""
    WITH states AS (
        SELECT m.eq, c._row_id, c.col, c.value, c.suppressed, m.total
        FROM {MEMBERS} m JOIN {CELLS} c USING (_row_id, col)
    ),
    exposed AS (
        SELECT eq FROM states GROUP BY eq
        HAVING count(*) >= 2 AND count(*) FILTER (WHERE suppressed) = 1
    )
"""


def exposed_cells(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple]:
    """(equation, row, column) of suppressed cells that subtraction would recover."""
    return con.execute(
        _STATES + "SELECT s.eq, s._row_id, s.col FROM states s JOIN exposed USING (eq) "
        "WHERE s.suppressed ORDER BY ALL LIMIT ?",
        [limit],
    ).fetchall()


def _hide_smallest_shown(
    con: duckdb.DuckDBPyConnection, equations: str, ctes: str = "", params: dict | None = None
) -> int:
    """In every equation the CTE ``equations`` names (after ``_STATES`` and ``ctes``), suppress
    the smallest shown cell, a part before a total (a hidden total takes a part of every
    breakdown with it)."""
    picked = con.execute(
        f"""
        UPDATE {CELLS} SET suppressed = true
        FROM (
            {_STATES}{ctes}
            SELECT _row_id, col FROM (
                SELECT s._row_id, s.col,
                       row_number() OVER (
                           PARTITION BY s.eq ORDER BY s.total, s.value, s._row_id, s.col
                       )
                           AS pick
                FROM states s JOIN {equations} USING (eq)
                WHERE NOT s.suppressed
            ) WHERE pick = 1
        ) p
        WHERE {CELLS}._row_id = p._row_id AND {CELLS}.col = p.col AND NOT {CELLS}.suppressed
        """,
        params or {},
    ).fetchone()
    return int(picked[0]) if picked else 0


def suppress_complements(con: duckdb.DuckDBPyConnection) -> int:
    """In every equation with exactly one suppressed cell, suppress the smallest other one."""
    return _hide_smallest_shown(con, "exposed")


def suppress_small_sums(con: duckdb.DuckDBPyConnection, threshold: int) -> int:
    """In every equation whose total is shown and whose suppressed parts add up to so little
    that each lies in a range narrower than the threshold, suppress the smallest shown part.

    A reader knows the suppressed parts' sum S; a count at least 1 in every row (a county has a
    row because someone is in it) is at least 1 in each hidden cell, so with p such parts
    each lies in a range of S - p + 1 values (five counties summing to 9: 1 to 5). The audit
    would find these too; hiding them here spares it the rounds."""
    small = f""",
        positive AS (SELECT col FROM {CELLS} GROUP BY col HAVING min(value) >= 1),
        small AS (
            SELECT s.eq FROM states s LEFT JOIN positive p USING (col)
            GROUP BY s.eq
            HAVING count(*) FILTER (WHERE s.suppressed) >= 2
               AND NOT bool_or(s.suppressed AND s.total)
               AND sum(s.value) FILTER (WHERE s.suppressed)
                   - count(p.col) FILTER (WHERE s.suppressed) + 1 < $threshold
        )
    """
    return _hide_smallest_shown(con, "small", small, {"threshold": threshold})


def suppress_small_rest_sums(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, threshold: int
) -> int:
    """In every equation of a count with a shown total, the rows where it or a count within it
    (``wholes_of``) is suppressed have rests (exiters not reachable) whose sum a reader knows:
    the total's rest less the shown rows'. When that sum is so small that each rest lies in
    fewer values than the threshold (0 to S, or exactly S in one row), suppress the count in
    the smallest shown row whose rest is not 0. The audit would find these too (the hidden
    counties' few unreachable exiters, round after round); hiding them here spares it the
    rounds."""
    return _per_subset(
        con,
        declaration,
        threshold,
        f"""
        UPDATE {CELLS} SET suppressed = true
        FROM (
            WITH pairs AS (
                SELECT m.eq, m._row_id, m.total, w.value - p.value AS rest,
                       w.value AS value, w.suppressed OR p.suppressed AS hidden
                FROM {MEMBERS} m
                JOIN {CELLS} w ON w._row_id = m._row_id AND w.col = m.col
                LEFT JOIN {CELLS} p ON p._row_id = m._row_id AND p.col = $part
                WHERE m.col = $whole
            ),
            small AS (
                SELECT eq FROM pairs GROUP BY eq
                HAVING count(rest) = count(*) AND bool_or(total)
                   AND NOT bool_or(total AND hidden)
                   AND count(*) FILTER (WHERE hidden) >= 1
                   AND sum(rest) FILTER (WHERE hidden)
                       + least(count(*) FILTER (WHERE hidden) - 1, 1) < $threshold
            )
            SELECT _row_id FROM (
                SELECT p._row_id, row_number() OVER (
                    PARTITION BY p.eq ORDER BY p.rest = 0, p.value, p._row_id
                ) AS pick
                FROM pairs p JOIN small USING (eq)
                WHERE NOT p.hidden AND NOT p.total
            ) WHERE pick = 1
        ) q
        WHERE {CELLS}._row_id = q._row_id AND {CELLS}.col = $whole
          AND NOT {CELLS}.suppressed
        """,
    )


def _small_complement() -> str:
    """Rows where the count ``$part`` is shown and ``$whole`` less it is below ``$threshold``."""
    return f"""
        SELECT p._row_id FROM {CELLS} p
        JOIN {CELLS} w ON w._row_id = p._row_id AND w.col = $whole
        WHERE p.col = $part AND NOT p.suppressed AND NOT w.suppressed
          AND w.value - p.value < $threshold
    """


def suppress_small_complements(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, threshold: int
) -> int:
    """A count that is a subset of another (its ``base``, the base's base: ``wholes_of``) is
    suppressed when the rest is below the threshold (12 exits, 11 employed: the one not
    employed would be disclosed)."""
    return _per_subset(
        con,
        declaration,
        threshold,
        f"UPDATE {CELLS} SET suppressed = true FROM ({_small_complement()}) q "
        f"WHERE {CELLS}._row_id = q._row_id AND {CELLS}.col = $part",
    )


def _per_subset(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, threshold: int, update: str
) -> int:
    """Run ``update`` for every count (``$part``) and each count it lies in (``$whole``,
    ``wholes_of``) with ``$threshold``; how many cells it suppressed."""
    changed = 0
    for column in declaration.columns_with("count"):
        for whole in declaration.wholes_of(column.name):
            params = {"threshold": threshold, "part": column.name, "whole": whole}
            result = con.execute(update, params).fetchone()
            changed += int(result[0]) if result else 0
    return changed


def hide_uncovered(
    con: duckdb.DuckDBPyConnection, declaration: MartDeclaration, threshold: int
) -> int:
    """Where a row's link-coverage share is hidden (its base or numerator suppressed, or its
    base small), its empty withheld counts read suppressed (``disclosure.gate_table``: empty
    cells there would tell the coverage); they join the cells as suppressed ones of unknown
    value, so their equations hide a complement as ``verify_gated`` asks of the published
    table (seed 6464 at scale 100: a SNAP exit quarter's employment 4 quarters on, not yet
    measured, read suppressed beside its county's shown quarters). Returns the cells added."""
    coverage, share = declaration.link_coverage, declaration.coverage_share
    if coverage is None or share is None:
        return 0
    withheld = [c.name for c in declaration.columns_with("count") if c.name in coverage.withheld]
    if not withheld:
        return 0
    params: dict[str, object] = {"threshold": threshold, "base": share.base, "cols": withheld}
    hidden = "col = $base AND (suppressed OR value < $threshold)"
    if share.numerator:
        params["numerator"] = share.numerator
        hidden += " OR col = $numerator AND suppressed"
    empty = ", ".join(f"{identifier(c)} IS NULL" for c in withheld)
    added = con.execute(
        f"""
        INSERT INTO {CELLS}
        SELECT _row_id, col, NULL, true FROM (
            SELECT _row_id, unnest($cols::VARCHAR[]) AS col, unnest([{empty}]) AS empty
            FROM {ROWS} WHERE _row_id IN (SELECT _row_id FROM {CELLS} WHERE {hidden})
        ) w
        WHERE empty AND NOT EXISTS (
            SELECT 1 FROM {CELLS} c WHERE c._row_id = w._row_id AND c.col = w.col
        )
        """,
        params,
    ).fetchone()
    return int(added[0]) if added else 0


def build_mirrors(con: duckdb.DuckDBPyConnection, declaration: MartDeclaration) -> None:
    """``_gate_mirrors``: one row per (copy group, cell) of the quantities declared twice."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MIRRORS} (grp VARCHAR, _row_id BIGINT, col VARCHAR)"
    )
    dims = [c.name for c in declaration.columns_with("dimension")]
    for number, group in enumerate(declaration.mirrors):
        for place in (p for p in group if p.mart in (None, declaration.name)):
            rest = [identifier(d) for d in dims if d not in place.where]
            key = "[" + ", ".join(f"{d}::VARCHAR" for d in rest) + "]::VARCHAR" if rest else "''"
            where = " AND ".join(f"{identifier(d)}::VARCHAR = ?" for d in place.where) or "true"
            con.execute(
                f"INSERT INTO {MIRRORS} SELECT ? || {key}, _row_id, ? FROM {ROWS} WHERE {where}",
                [f"{number}|", place.column, *place.where.values()],
            )


def suppress_mirrors(con: duckdb.DuckDBPyConnection) -> int:
    """Suppress every copy of a quantity one of whose copies is suppressed."""
    result = con.execute(
        f"""
        UPDATE {CELLS} SET suppressed = true
        FROM (
            SELECT m._row_id, m.col FROM {MIRRORS} m
            WHERE m.grp IN (
                SELECT grp FROM {MIRRORS} JOIN {CELLS} USING (_row_id, col) WHERE suppressed
            )
        ) q
        WHERE {CELLS}._row_id = q._row_id AND {CELLS}.col = q.col AND NOT {CELLS}.suppressed
        """
    ).fetchone()
    return int(result[0]) if result else 0


def force(con: duckdb.DuckDBPyConnection, cells: list[tuple[int, str]]) -> None:
    """Suppress the given (row, column) cells (those the disclosure audit asked for), in one
    statement (an UPDATE per cell took seconds for a few thousand cells)."""
    if cells:
        rows, columns = zip(*cells, strict=True)
        con.execute(
            f"UPDATE {CELLS} SET suppressed = true "
            "FROM (SELECT unnest(?::BIGINT[]) AS _row_id, unnest(?::VARCHAR[]) AS col) f "
            f"WHERE {CELLS}._row_id = f._row_id AND {CELLS}.col = f.col",
            [list(rows), list(columns)],
        )
