"""Write the marts to a new DuckDB file and move it into place atomically.

Each mart whose declaration asks for disclosure control is written through the disclosure gate
(``governance.disclosure``); the gate then re-checks the tables as they stand in the temporary
file, and the file is moved into place only when nothing is found. The unsuppressed marts stay
in the warehouse's ``marts`` schema.

Readers that hold the old snapshot open keep reading it (the old inode lives on); they see the
new one when they reopen. A crash or a failed gate before ``os.replace`` leaves the previous
snapshot in place and at most a temporary file, which the next publish removes first
(publishes never overlap: they run in the ``duckdb`` pool).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datalabs_pipelines.governance.disclosure import GateReport, gate_table, verify_gated
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.pause_points import pause_point
from datalabs_pipelines.warehouse import identifier, literal


class DisclosureGateFailed(RuntimeError):
    """The gated snapshot still breaks a disclosure rule; it was not published."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:10]))
        self.problems = problems


@dataclass
class SnapshotResult:
    counts: dict[str, int] = field(default_factory=dict)
    gate: list[GateReport] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
            "AND table_catalog = current_database() ORDER BY 1"
        ).fetchall()
    ]


def temporary_files(target: Path) -> list[Path]:
    """Temporary snapshots (and their WAL files) that a publish of ``target`` may leave."""
    return sorted(target.parent.glob(f".{target.name}.*.tmp*"))


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    declarations: Mapping[str, MartDeclaration],
    threshold: int,
    ungated: Collection[str] = (),
) -> SnapshotResult:
    """Copy every declared ``marts`` table into ``target``, gated where declared.

    Tables without a declaration are left out (the gate cannot know their columns' roles).
    Raises ``DisclosureGateFailed`` (and keeps the previous snapshot) when a gated table in the
    temporary file breaks a rule.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in temporary_files(target):
        leftover.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    result = SnapshotResult()
    problems: list[str] = []
    con.execute(f"ATTACH {literal(str(temporary))} AS snapshot")
    try:
        for table in mart_tables(con):
            declaration = declarations.get(table)
            if declaration is None and table not in ungated:
                result.unpublished.append(table)
                continue
            name = identifier(table)
            published = f"snapshot.main.{name}"
            if declaration is not None and declaration.disclosure_control:
                result.gate.append(
                    gate_table(con, declaration, f"marts.{name}", published, threshold)
                )
                problems += verify_gated(con, declaration, published, threshold)
            else:
                con.execute(f"CREATE TABLE {published} AS SELECT * FROM marts.{name}")
            result.counts[table] = con.execute(f"SELECT count(*) FROM {published}").fetchone()[0]
    finally:
        con.execute("DETACH snapshot")
    if problems:
        temporary.unlink(missing_ok=True)
        raise DisclosureGateFailed(problems)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    pause_point("publish.before_replace")
    os.replace(temporary, target)
    _fsync_directory(target.parent)
    return result


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
