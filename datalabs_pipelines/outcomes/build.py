"""Build one integrated fact: its SQL into a candidate table, the checks, then promotion.

The candidate replaces ``integrated.<fact>`` only when every blocking check passed, so a broken
build leaves the last good table (and everything built on it) in place. Column types are
validated against ``declarations.SQL_TYPE`` when the YAML is read.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from datalabs_pipelines.candidates import candidate, promote, reject
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.outcomes.checks import CheckOutcome, run_checks
from datalabs_pipelines.outcomes.facts import FactDeclaration
from datalabs_pipelines.warehouse import identifier, qualified


def fact_table(fact: FactDeclaration) -> tuple[str, str]:
    return ("integrated", fact.name)


def build_candidate(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, contracts: Sequence[Contract]
) -> None:
    """``integrated.<fact>__candidate``: the SQL's rows over the role views of ``contracts``,
    cast to the declared columns."""
    build_role_views(con, contracts, fact.roles)
    columns = ", ".join(
        f"CAST({identifier(c.name)} AS {c.type}) AS {identifier(c.name)}" for c in fact.columns
    )
    order = ", ".join(identifier(k) for k in fact.key)
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute(
        f"CREATE OR REPLACE TABLE {qualified(candidate(fact_table(fact)))} AS "
        f"SELECT {columns} FROM (\n{fact.sql_path.read_text()}\n) ORDER BY {order}"
    )


def build_fact(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, contracts: Sequence[Contract]
) -> list[CheckOutcome]:
    """Build, check and (when no blocking check failed) promote; return the check outcomes."""
    build_candidate(con, fact, contracts)
    outcomes = run_checks(con, fact, qualified(candidate(fact_table(fact))))
    if any(o.blocking and not o.passed for o in outcomes):
        reject(con, [fact_table(fact)], leave_empty=False)
    else:
        promote(con, [fact_table(fact)])
    return outcomes
