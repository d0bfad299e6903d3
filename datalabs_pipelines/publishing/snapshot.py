"""Write the marts to a new DuckDB file and move it into place atomically.

Readers that hold the old snapshot open keep reading it (the old inode lives on); they see the
new one when they reopen. A crash before ``os.replace`` leaves only a temporary file behind;
the next publish removes such leftovers first (publishes never overlap: they run in the
``duckdb`` pool).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from datalabs_pipelines.pause_points import pause_point
from datalabs_pipelines.warehouse import identifier


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


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Copy every ``marts`` table into ``target``; return row counts per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in temporary_files(target):
        leftover.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    counts: dict[str, int] = {}
    con.execute("ATTACH ? AS snapshot", [str(temporary)])
    try:
        for table in mart_tables(con):
            name = identifier(table)
            con.execute(f"CREATE TABLE snapshot.main.{name} AS SELECT * FROM marts.{name}")
            counts[table] = con.execute(f"SELECT count(*) FROM snapshot.main.{name}").fetchone()[0]
    finally:
        con.execute("DETACH snapshot")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    pause_point("publish.before_replace")
    os.replace(temporary, target)
    _fsync_directory(target.parent)
    return counts


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
