"""Replay a recorded SQL log bare: one DuckDB database, no Dagster, no Python in between.

Each recorded session (a pipeline connection, or Great Expectations' SQLAlchemy connection)
gets its own cursor on the one database, so temporary tables behave as they did in the run;
a cursor is closed when the log moves on to another such session. An in-memory session (``m``,
Splink's private database in vendor matching) gets an in-memory database of its own, and
moving into it and back does not end the session it interrupted. The database file is named
as the warehouse was, so statements naming its catalog still work. Paths can be rewritten
(the publish step attaches a file in the published folder; a replay must not touch it).
Connected components' labels, which the run computes with SciPy between two statements, are
computed again the same way: the log keeps no frame's rows, and the nodes' numbering is the
replay's own.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.bench.sqllog import decode
from datalabs_pipelines.linkage.components import LABELS as COMPONENT_LABELS
from datalabs_pipelines.linkage.components import component_labels
from datalabs_pipelines.privacy_tokens import PADS_TABLE, fill_pads
from datalabs_pipelines.warehouse import literal

MAX_FAILURES_KEPT = 5


@dataclass(frozen=True)
class Statement:
    session: str
    op: str
    sql: str
    params: Any = None
    seconds: float = 0.0
    parquet: str | None = None
    ended: float | None = None  # wall clock when it finished in the pipeline


@dataclass
class ReplayResult:
    seconds: float = 0.0
    statements: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def read_log(path: Path) -> list[Statement]:
    """The statements of a SQL log, in the order they ran."""
    statements = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                entry = json.loads(line)
                statements.append(
                    Statement(
                        session=entry["session"],
                        op=entry["op"],
                        sql=entry["sql"],
                        params=decode(entry.get("params")),
                        seconds=float(entry.get("seconds", 0.0)),
                        parquet=entry.get("parquet"),
                        ended=entry.get("ended"),
                    )
                )
    return statements


def rewrite(value: Any, path_map: Mapping[str, str]) -> Any:
    """``value`` with every occurrence of each ``path_map`` key replaced, in nested strings."""
    if isinstance(value, str):
        for old, new in path_map.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [rewrite(v, path_map) for v in value]
    if isinstance(value, dict):
        return {k: rewrite(v, path_map) for k, v in value.items()}
    return value


def _run(
    cursor: duckdb.DuckDBPyConnection, stmt: Statement, path_map: Mapping[str, str], key: bytes
):
    sql, params = rewrite(stmt.sql, path_map), rewrite(stmt.params, path_map)
    if stmt.op == "register" and sql == COMPONENT_LABELS:
        # computed again from the replay's own numbering (``_cc_ids``, which no ORDER BY fixes)
        linked = cursor.execute("SELECT count(*) FROM _cc_ids").fetchone()[0]
        cursor.register(sql, component_labels(cursor, linked))
    elif stmt.op == "register":
        parquet = literal(stmt.parquet or "")  # a view cannot take parameters
        cursor.execute(f"CREATE OR REPLACE TEMP VIEW {sql} AS SELECT * FROM {parquet}")
    elif stmt.op == "unregister" and sql == COMPONENT_LABELS:
        cursor.unregister(sql)
    elif stmt.op == "unregister":
        cursor.execute(f"DROP VIEW IF EXISTS {sql}")
    elif stmt.op == "executemany":
        cursor.executemany(sql, params or [])
    elif params is not None:
        cursor.execute(sql, params)
    else:
        cursor.execute(sql)  # results are not fetched: the recorder timed execute() alone
    if stmt.op == "execute" and sql.lstrip().upper().startswith("CREATE") and PADS_TABLE in sql:
        fill_pads(cursor, key)  # the log holds no key: the replay's own


def replay(
    statements: Iterable[Statement], database: Path, path_map: Mapping[str, str] | None = None
) -> ReplayResult:
    """Run ``statements`` in order against a fresh ``database``; time the whole loop.

    Identifiers are tokenized under one random key for the whole replay, as the run used one
    key: a key per connection would give one SSN a different token in each extract, and a
    join on tokens would then find other rows than in the run."""
    path_map = dict(path_map or {})
    key = secrets.token_bytes(32)
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    result = ReplayResult()
    db = duckdb.connect(str(database))
    memory: dict[str, duckdb.DuckDBPyConnection] = {}
    try:
        cursor, session = None, None
        started = time.perf_counter()
        for stmt in statements:
            if stmt.session.startswith("m"):
                target = memory.setdefault(stmt.session, duckdb.connect())
            else:
                if stmt.session != session:
                    if cursor is not None:
                        cursor.close()
                    cursor, session = db.cursor(), stmt.session
                target = cursor
            result.statements += 1
            try:
                _run(target, stmt, path_map, key)
            except duckdb.Error as exc:
                result.failed += 1
                if len(result.failures) < MAX_FAILURES_KEPT:
                    result.failures.append(f"{stmt.sql[:120]!r}: {str(exc)[:200]}")
        if cursor is not None:
            cursor.close()
        for con in memory.values():
            con.close()
        db.execute("CHECKPOINT")
        result.seconds = time.perf_counter() - started
    finally:
        db.close()
    return result
