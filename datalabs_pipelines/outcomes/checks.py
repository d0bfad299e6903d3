"""Grain checks on an integrated fact: unique key, periods in order, linked source records."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.outcomes.facts import FactDeclaration
from datalabs_pipelines.warehouse import identifier

GRAIN_IS_UNIQUE = "grain_is_unique"
END_NOT_BEFORE_START = "end_not_before_start"
SOURCE_RECORDS_LINKED = "source_records_have_person_key"
SAMPLES = 5


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    blocking: bool
    passed: bool
    unexpected: int
    description: str
    samples: list[dict[str, object]] = field(default_factory=list)


def check_names(fact: FactDeclaration) -> list[tuple[str, bool, str]]:
    """(name, blocking, description) of every check on ``fact``."""
    names = [(GRAIN_IS_UNIQUE, True, f"one row per ({', '.join(fact.key)})")]
    if fact.period:
        start, end = fact.period
        names.append((END_NOT_BEFORE_START, True, f"{end} is not before {start}"))
    names.append((SOURCE_RECORDS_LINKED, False, "every staged source record has a person_key"))
    return names


def _samples(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cursor = con.execute(sql + f" LIMIT {SAMPLES}")
    header = [d[0] for d in cursor.description]
    return [{h: str(v) for h, v in zip(header, row, strict=True)} for row in cursor.fetchall()]


Found = tuple[int, list[dict[str, object]]]


def grain_is_unique(con: duckdb.DuckDBPyConnection, fact: FactDeclaration, table: str) -> Found:
    """Key values that occur more than once."""
    key = ", ".join(identifier(k) for k in fact.key)
    duplicated = f"SELECT {key}, count(*) AS rows FROM {table} GROUP BY ALL HAVING count(*) > 1"
    return con.execute(f"SELECT count(*) FROM ({duplicated})").fetchone()[0], _samples(
        con, duplicated + f" ORDER BY rows DESC, {key}"
    )


def end_not_before_start(
    con: duckdb.DuckDBPyConnection, fact: FactDeclaration, table: str
) -> Found:
    """Rows whose period ends before it starts."""
    start, end = (identifier(c) for c in fact.period or ("", ""))
    key = ", ".join(identifier(k) for k in fact.key)
    where = f"FROM {table} WHERE {end} < {start}"
    return con.execute(f"SELECT count(*) {where}").fetchone()[0], _samples(
        con, f"SELECT {key}, {start}, {end} {where} ORDER BY ALL"
    )


def unlinked_records(con: duckdb.DuckDBPyConnection, inputs: str) -> Found:
    """Staged records of the fact's roles with no person_key: the rows of ``inputs`` (the
    build's role views left-joined to ``integrated.person_keys``) without one."""
    missing = f"SELECT source_extract, record_id FROM {inputs} WHERE person_key IS NULL"
    total = con.execute(f"SELECT count(*) FROM ({missing})").fetchone()[0]
    if not total:  # ``inputs`` may be a view over millions of records: read it once
        return 0, []
    cursor = con.execute(missing + f" ORDER BY ALL LIMIT {SAMPLES}")
    return total, [{"source_extract": a, "record_id": b} for a, b in cursor.fetchall()]


def run_checks(
    con: duckdb.DuckDBPyConnection,
    fact: FactDeclaration,
    table: str,
    inputs: str,
    names: Collection[str] | None = None,
) -> list[CheckOutcome]:
    """The fact's checks (those in ``names`` when given), in ``check_names`` order: the grain
    checks on ``table``, the linkage check on ``inputs`` (``incremental.define_inputs``)."""
    outcomes = []
    for name, blocking, description in check_names(fact):
        if names is not None and name not in names:
            continue
        if name == GRAIN_IS_UNIQUE:
            unexpected, samples = grain_is_unique(con, fact, table)
        elif name == END_NOT_BEFORE_START:
            unexpected, samples = end_not_before_start(con, fact, table)
        else:
            unexpected, samples = unlinked_records(con, inputs)
        outcomes.append(
            CheckOutcome(name, blocking, unexpected == 0, unexpected, description, samples)
        )
    return outcomes
