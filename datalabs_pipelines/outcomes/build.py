"""Build one integrated fact: its SQL into a candidate table, the checks, then promotion.

The candidate replaces ``integrated.<fact>`` only when every blocking check passed, so a broken
build leaves the last good table (and everything built on it) in place. Column types are
validated against ``declarations.SQL_TYPE`` when the YAML is read. A fact that declares
``recompute_by`` is built whole the first time and then only for the slices whose source
records changed (``outcomes/incremental.py``): its candidate holds those slices alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from datalabs_pipelines.candidates import (
    candidate,
    promote,
    promote_slices,
    reject,
    uncompressed,
)
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.outcomes import incremental
from datalabs_pipelines.outcomes.checks import (
    SOURCE_RECORDS_LINKED,
    CheckOutcome,
    check_names,
    run_checks,
)
from datalabs_pipelines.outcomes.facts import FactDeclaration
from datalabs_pipelines.sql_macros import create_sql_macros
from datalabs_pipelines.warehouse import identifier, qualified


@dataclass(frozen=True)
class FactBuild:
    """What a build did: its checks, whole or by slice and why, how much it recomputed."""

    outcomes: list[CheckOutcome]
    mode: str = incremental.FULL
    reason: str = "the fact declares no recompute_by"
    records_changed: int | None = None
    slices_recomputed: int | None = None

    @property
    def promoted(self) -> bool:
        return all(o.passed or not o.blocking for o in self.outcomes)


def fact_table(fact: FactDeclaration) -> tuple[str, str]:
    return ("integrated", fact.name)


def build_candidate(con: duckdb.DuckDBPyConnection, fact: FactDeclaration) -> None:
    """``integrated.<fact>__candidate``: the SQL's rows over the ``role_<role>`` views on the
    connection, cast to the declared columns (the SQL may use the shared ``sql_macros``)."""
    columns = ", ".join(
        f"CAST({identifier(c.name)} AS {c.type}) AS {identifier(c.name)}" for c in fact.columns
    )
    order = ", ".join(identifier(k) for k in fact.key)
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    create_sql_macros(con)
    con.execute(
        f"CREATE OR REPLACE TABLE {qualified(candidate(fact_table(fact)))} AS "
        f"SELECT {columns} FROM (\n{fact.sql_path.read_text()}\n) ORDER BY {order}"
    )


def build_fact(
    con: duckdb.DuckDBPyConnection,
    fact: FactDeclaration,
    contracts: Sequence[Contract],
    full_rebuild: bool = False,
) -> FactBuild:
    """Build (whole, or the changed slices), check and, when no blocking check failed,
    promote."""
    build_role_views(con, contracts, fact.roles)
    incremental.define_inputs(con, fact, contracts)
    tables = [fact_table(fact)]
    if not fact.recompute_by:
        linked = _linked(con, fact, incremental.INPUTS)
        build_candidate(con, fact)
        result = FactBuild(_check(con, fact, linked))
    else:
        tables.append(incremental.ledger_table(fact))
        plan = incremental.plan(con, fact, full_rebuild)
        changed = slices = None
        if plan.mode == incremental.INCREMENTAL:
            changed, slices = incremental.find_changes(con, fact)
            # every source record (the ledger with tonight's changes), before the views are
            # narrowed to the changed slices
            linked = _linked(con, fact, incremental.CURRENT)
            incremental.narrow_role_views(con, fact)
        with uncompressed(con, when=plan.mode == incremental.INCREMENTAL):  # slices: inserted
            build_candidate(con, fact)
            incremental.write_ledger_candidate(con, fact, plan.mode)
        if plan.mode == incremental.FULL:  # every source record: the whole ledger written
            linked = _linked(con, fact, qualified(candidate(incremental.ledger_table(fact))))
        result = FactBuild(_check(con, fact, linked), plan.mode, plan.reason, changed, slices)
    if not result.promoted:
        reject(con, tables, leave_empty=False)
    elif result.mode == incremental.FULL:
        promote(con, tables)
    else:
        promote_slices(
            con,
            [
                (tables[0], fact.recompute_by, incremental.SLICES),
                (tables[1], incremental.RECORD, incremental.CHANGED_RECORDS),
            ],
        )
    return result


def _linked(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, inputs: str
) -> list[CheckOutcome]:
    """The linkage check over ``inputs``: every source record's ledger row."""
    return run_checks(con, fact, "", inputs, names={SOURCE_RECORDS_LINKED})


def _check(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, linked: list[CheckOutcome]
) -> list[CheckOutcome]:
    """The grain checks on the candidate (a slice candidate suffices: the key holds the slice
    columns, so rows of two slices never share a key), then the linkage check."""
    table = qualified(candidate(fact_table(fact)))
    grain = {n for n, _, _ in check_names(fact)} - {SOURCE_RECORDS_LINKED}
    return [*run_checks(con, fact, table, "", names=grain), *linked]
