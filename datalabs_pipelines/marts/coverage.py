"""Outcome rates found through a link path, withheld where too little of the cohort is linkable.

A rate such as graduates' employment reaches its outcome (wage records) only through an
identifier the target records carry (an SSN); a cohort of whom few have one yields a rate that
describes those who could be found, not the cohort. The mart's declaration (``link_coverage``)
names the coverage share and the columns to withhold below ``min_link_coverage``.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.warehouse import identifier


def withhold_below_coverage(con: duckdb.DuckDBPyConnection, declaration: MartDeclaration) -> int:
    """Set the declared columns NULL in rows whose link coverage is below the minimum; returns
    how many rows were withheld (0 when the mart declares no link path)."""
    coverage = declaration.link_coverage
    if coverage is None:
        return 0
    table = f"marts.{identifier(declaration.name)}"
    share = identifier(coverage.share)
    sets = ", ".join(f"{identifier(c)} = NULL" for c in coverage.withheld)
    (rows,) = con.execute(
        f"SELECT count(*) FROM {table} WHERE {share} < ?", [coverage.min_link_coverage]
    ).fetchone()
    con.execute(f"UPDATE {table} SET {sets} WHERE {share} < ?", [coverage.min_link_coverage])
    return rows
