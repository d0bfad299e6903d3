"""Rebuild an integrated fact only where its source records changed.

A fact that declares ``recompute_by`` keeps, beside itself, the inputs of its last build:
``integrated.<fact>_inputs``, one row per source record it read (role, extract, record id, the
person key linkage gave it, its ``recompute_by`` values and a hash of the whole role-view row).
The next build computes the same for the records there are now and compares: a record that is
new (a new delivery), gone (a withdrawn one), different (a correction, a changed value map) or
on another person (linkage merged or split a key) shows on one side or both, and its slices
(old and new: the person it left and the one it joined) are the ones to rebuild. Those slices
are recomputed from all their records, with the fact's own SQL over role views narrowed to
them, and replace the live rows, the ledger's changed records with them, in one transaction
(``candidates.promote_slices``). So nothing relies on how staging or linkage track their own
changes, and a full rebuild and an incremental one run the same SQL.

A build is whole when there is no previous build or ledger, when the ledger was written by
another declaration, SQL or code (``fingerprint``), or when the run asks for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from datalabs_pipelines.candidates import Table, candidate
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.linkage.person_keys import PERSON_KEYS
from datalabs_pipelines.outcomes.facts import FactDeclaration
from datalabs_pipelines.sql_macros import SQL_MACROS
from datalabs_pipelines.warehouse import identifier, literal, qualified, table_exists

# bump when the ledger's shape or what it records changes: every fact is then rebuilt whole
MECHANISM_VERSION = "1"
RECORD = ("role", "source_extract", "record_id")
INPUTS = "fact_inputs"  # temporary views and tables of one build
CURRENT = "fact_inputs_now"
CHANGED = "fact_changed"
CHANGED_RECORDS = "fact_changed_records"
SLICES = "fact_slices"
SCOPE = "fact_scope"
FULL = "full"
INCREMENTAL = "incremental"


@dataclass(frozen=True)
class Plan:
    mode: str  # FULL or INCREMENTAL
    reason: str


def ledger_table(fact: FactDeclaration) -> Table:
    return ("integrated", f"{fact.name}_inputs")


def ledger_columns(fact: FactDeclaration) -> dict[str, tuple[str, str]]:
    """Column → (type, description) of the ledger."""
    types = {c.name: c.type for c in fact.columns}
    return {
        "role": ("VARCHAR", "role the record was read through"),
        "source_extract": ("VARCHAR", "extract of the record"),
        "record_id": ("VARCHAR", "staging record id"),
        "person_key": (types["person_key"], "the record's person (integrated.person_keys)"),
        **{c: (types[c], f"the record's {c}") for c in fact.recompute_by if c != "person_key"},
        "row_hash": ("UBIGINT", "hash of the record's role-view row"),
        "built_with": ("VARCHAR", "fingerprint of the declaration, SQL and code that built it"),
    }


def fingerprint(fact: FactDeclaration) -> str:
    """What the ledger's build depended on besides the data: declaration, SQL, the shared
    macros it may use, this code's version and DuckDB's (its row hash)."""
    parts = [
        fact.sql_path.read_bytes(),
        Path(fact.sql_path.with_suffix(".yaml")).read_bytes(),
        SQL_MACROS.read_bytes(),
        MECHANISM_VERSION.encode(),
        duckdb.__version__.encode(),
    ]
    return hashlib.sha256(b"\x1f".join(parts)).hexdigest()[:16]


def define_inputs(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, contracts: Sequence[Contract]
) -> None:
    """Temporary view ``fact_inputs``: the ledger's rows for the records there are now, every
    fact's (role views joined to ``integrated.person_keys`` as the fact's SQL joins them; a
    record with no person key has none here, and is what the linkage check reports). A view,
    not a table: a night reads it once, to compare it with the ledger, and writing millions of
    rows of which a few change cost more than the comparison. Each role reads the person keys
    of its own extracts (``contracts`` filling it) only: the join's hash side is then theirs,
    not every extract's."""
    columns = ledger_columns(fact)
    built_with = literal(fingerprint(fact))
    selects = []
    for role in fact.roles:
        values = ", ".join(
            f"TRY_CAST(r.{identifier(c)} AS {columns[c][0]}) AS {identifier(c)}"
            for c in fact.recompute_by
            if c != "person_key"
        )
        selects.append(
            f"SELECT {literal(role)} AS role, r.source_extract, r.record_id, k.person_key"
            + (f", {values}" if values else "")
            + f", hash(r) AS row_hash, {built_with} AS built_with "
            f"FROM role_{identifier(role)} r LEFT JOIN {_person_keys_of(contracts, role)} k "
            "USING (source_extract, record_id)"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {INPUTS} AS " + " UNION ALL ".join(selects))


def _person_keys_of(contracts: Sequence[Contract], role: str) -> str:
    """``integrated.person_keys`` narrowed to the extracts filling ``role`` (SQL)."""
    extracts = ", ".join(literal(c.name) for c in filling(contracts, role))
    if not extracts:  # no contract fills it: its view is empty
        return qualified(PERSON_KEYS)
    return f"(SELECT * FROM {qualified(PERSON_KEYS)} WHERE source_extract IN ({extracts}))"


def plan(con: duckdb.DuckDBPyConnection, fact: FactDeclaration, full_rebuild: bool) -> Plan:
    """Whole or by slice, and why."""
    if full_rebuild:
        return Plan(FULL, "the run asked for a full rebuild")
    if not table_exists(con, ("integrated", fact.name)):
        return Plan(FULL, "no previous build")
    if not table_exists(con, ledger_table(fact)):
        return Plan(FULL, "no ledger of the previous build's inputs")
    ledger = qualified(ledger_table(fact))
    stored = [v for (v,) in con.execute(f"SELECT DISTINCT built_with FROM {ledger}").fetchall()]
    if not stored:
        return Plan(FULL, "the previous build read no records")
    if stored != [fingerprint(fact)]:
        return Plan(FULL, "the declaration, SQL or code changed since the previous build")
    return Plan(INCREMENTAL, "")


def find_changes(con: duckdb.DuckDBPyConnection, fact: FactDeclaration) -> tuple[int, int]:
    """Temporary tables of the records that differ from the ledger (``fact_changed_records``,
    by id) and of the slices they touch, before and after (``fact_slices``), and the view of
    today's inputs read from the ledger and those changes (``fact_inputs_now``); returns
    (records changed, slices). One outer join of the inputs with the ledger on the record
    id."""
    ledger = qualified(ledger_table(fact))
    compared = _compared(fact)
    differs = " OR ".join(f"i.{identifier(c)} IS DISTINCT FROM l.{identifier(c)}" for c in compared)
    sides = ", ".join(
        f"{side}.{identifier(c)} AS {age}_{identifier(c)}"
        for c in compared
        for side, age in (("i", "new"), ("l", "old"))
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED} AS SELECT {', '.join(RECORD)}, {sides} "
        f"FROM {INPUTS} i FULL OUTER JOIN {ledger} l USING ({', '.join(RECORD)}) WHERE {differs}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED_RECORDS} AS SELECT {', '.join(RECORD)} "
        f"FROM {CHANGED}"
    )
    by = fact.recompute_by
    side = {
        age: ", ".join(f"{identifier(age + '_' + c)} AS {identifier(c)}" for c in by)
        for age in ("new", "old")
    }
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SLICES} AS "
        f"SELECT {side['new']} FROM {CHANGED} WHERE new_row_hash IS NOT NULL UNION "
        f"SELECT {side['old']} FROM {CHANGED} WHERE old_row_hash IS NOT NULL"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {CURRENT} AS {_current_rows(fact)}")
    return (
        con.execute(f"SELECT count(*) FROM {CHANGED_RECORDS}").fetchone()[0],
        con.execute(f"SELECT count(*) FROM {SLICES}").fetchone()[0],
    )


def _current_rows(fact: FactDeclaration, within: str = "") -> str:
    """Today's inputs from the ledger and the night's changes (SQL); ``within``: a join on
    alias ``i`` that narrows both sides before the ledger's side meets the changes."""
    columns = ", ".join(map(identifier, ledger_columns(fact)))
    return (
        f"SELECT {columns} FROM {qualified(ledger_table(fact))} i {within} "
        f"ANTI JOIN {CHANGED_RECORDS} USING ({', '.join(RECORD)}) "
        f"UNION ALL SELECT {columns} FROM ({_changed_rows(fact)}) i {within}"
    )


def _changed_rows(fact: FactDeclaration) -> str:
    """The changed records' rows of the ledger as they are now (a gone record has none)."""
    now = ", ".join(f"new_{identifier(c)} AS {identifier(c)}" for c in _compared(fact))
    return (
        f"SELECT {', '.join(RECORD)}, {now}, {literal(fingerprint(fact))} AS built_with "
        f"FROM {CHANGED} WHERE new_row_hash IS NOT NULL"
    )


def _compared(fact: FactDeclaration) -> list[str]:
    """The ledger's columns that tell a changed record, in the ledger's order."""
    return ["person_key", *(c for c in fact.recompute_by if c != "person_key"), "row_hash"]


def narrow_role_views(con: duckdb.DuckDBPyConnection, fact: FactDeclaration) -> None:
    """Replace each ``role_<role>`` view by its records in the changed slices (all of them,
    changed or not), so that the fact's SQL computes exactly those slices."""
    match = " AND ".join(
        f"s.{identifier(c)} IS NOT DISTINCT FROM i.{identifier(c)}" for c in fact.recompute_by
    )
    records = _current_rows(fact, f"SEMI JOIN {SLICES} s ON {match}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCOPE} AS SELECT {', '.join(RECORD)} FROM ({records})"
    )
    for role in fact.roles:
        scoped = f"fact_scope_{identifier(role)}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {scoped} AS SELECT r.* FROM role_{identifier(role)} r "
            f"SEMI JOIN (SELECT source_extract, record_id FROM {SCOPE} WHERE role = ?) "
            "USING (source_extract, record_id)",
            [role],
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW role_{identifier(role)} AS FROM {scoped}")


def write_ledger_candidate(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, mode: str
) -> None:
    """``<fact>_inputs__candidate``: every input (full) or the changed records' new rows."""
    rows = f"SELECT * FROM {INPUTS}" if mode == FULL else _changed_rows(fact)
    con.execute(f"CREATE OR REPLACE TABLE {qualified(candidate(ledger_table(fact)))} AS {rows}")
