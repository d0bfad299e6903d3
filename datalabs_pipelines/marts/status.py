"""``marts.mart_status``: per mart, fresh, stale (held back), not measurable or blocked, and why.

Each mart step decides from its declaration, the sources' agreements and
``staging.extract_status`` whether it can be built (``assess``, pure), and reports the outcome
in its materialization's metadata with the period its data runs through (``data_through``).
The ``mart_status`` asset, downstream of every mart, writes the table from those reports, with
when each mart was last built (``built_at``). A held-back mart is not rebuilt: its table and
``built_at`` stay those of its last good build. The status table is published with the
snapshot; the dashboard and `make run` show it.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, latest_report, table_metadata
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.quality.extract_status import HELD_BACK, LOADED
from datalabs_pipelines.warehouse import ensure_table, qualified

MART_STATUS = ("marts", "mart_status")
MART_STATUS_KEY = dg.AssetKey(["marts", "platform", "mart_status"])
FRESH, STALE, NOT_MEASURABLE, BLOCKED = "fresh", "stale", "not measurable", "blocked"
STATUS_SCHEMA = {
    "mart": ("VARCHAR", "mart (table) name"),
    "domain": ("VARCHAR", "domain the mart belongs to"),
    "status": ("VARCHAR", "fresh, stale (held back), not measurable or blocked"),
    "reason": ("VARCHAR", "why the mart is not fresh, or what it leaves out"),
    "data_through": ("VARCHAR", "the last period the mart covers"),
    "built_at": ("TIMESTAMP", "when the mart's table was last built"),
    "checked_at": ("TIMESTAMP", "when the mart was last assessed"),
}
STATUS_COLUMNS = {name: sql_type for name, (sql_type, _) in STATUS_SCHEMA.items()}


class Finding(Protocol):
    """A source's agreement as it applies to the mart (``governance.agreements`` makes them;
    named structurally so that ``marts`` does not import ``governance`` back)."""

    @property
    def source(self) -> str: ...

    def problem(self) -> str | None: ...


@dataclass(frozen=True)
class Assessment:
    status: str
    reasons: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # sources whose rows are removed
    nulled: list[str] = field(default_factory=list)  # columns not measurable

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None


def assess(
    declaration: MartDeclaration,
    findings: Sequence[Finding],
    extracts: Mapping[str, tuple[str, str | None]],
) -> Assessment:
    """What this run may do with the mart.

    ``extracts``: extract → (status, reason) from ``staging.extract_status``. A required source
    (or a contract of a required role) not permitted blocks the mart; a required source, or
    every contract of a required role, not delivered makes it not measurable; one held back
    keeps the mart's last good version (stale). An optional source (or one reached only through
    ``staging/*``) is instead removed: its rows and its columns; a column measured only by
    contracts not delivered or not permitted (``measured_by``) is NULL.
    """
    required = set(declaration.blocking_sources)
    reasons: list[str] = []
    excluded: list[str] = []
    for finding in findings:
        problem = finding.problem()
        if problem is None:
            continue
        if finding.source in required:
            return Assessment(BLOCKED, [problem])
        excluded.append(finding.source)
        reasons.append(f"{finding.source} left out: {problem}")
    present = (LOADED, HELD_BACK)
    missing = [s for s in declaration.sources if extracts.get(s, ("",))[0] not in present]
    absent_required = [s for s in declaration.required_sources if s in missing]
    absent_required += [
        f"{role} ({', '.join(names)})"
        for role in declaration.roles
        if (names := declaration.role_sources.get(role, [])) and set(names) <= set(missing)
    ]
    if absent_required or (declaration.sources and set(missing) == set(declaration.sources)):
        names = absent_required or missing
        return Assessment(NOT_MEASURABLE, [f"not delivered: {', '.join(names)}"])
    held = [
        f"{s} held back ({extracts[s][1]})"
        for s in declaration.sources
        if s not in excluded and extracts.get(s, ("",))[0] == HELD_BACK
    ]
    if held:
        return Assessment(STALE, held)
    nulled: list[str] = []
    for source, columns in declaration.optional_sources.items():
        if source in missing or source in excluded:
            nulled += [c for c in columns if c not in nulled]
            if source in missing and columns:
                reasons.append(f"{source} not delivered: {', '.join(columns)} not measurable")
    for column, names in declaration.measured_by.items():
        if column not in nulled and set(names) <= set(missing) | set(excluded):
            nulled.append(column)
            given = f"none of {', '.join(names)} delivered" if names else "no contract gives it"
            reasons.append(f"{column} not measurable: {given}")
    return Assessment(FRESH, reasons, excluded, nulled)


def record_mart_status(
    con: duckdb.DuckDBPyConnection,
    declaration: MartDeclaration,
    status: str,
    reason: str | None,
    data_through: str | None,
    built_at: dt.datetime,
) -> None:
    """Upsert the mart's row; a stale mart keeps its last ``built_at`` and ``data_through``."""
    ensure_table(con, MART_STATUS, STATUS_COLUMNS)
    table = qualified(MART_STATUS)
    if status == STALE:
        previous = con.execute(
            f"SELECT data_through, built_at FROM {table} WHERE mart = ?", [declaration.name]
        ).fetchone()
        data_through, built_at = previous if previous else (None, None)
    con.execute(f"DELETE FROM {table} WHERE mart = ?", [declaration.name])
    con.execute(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, now()::TIMESTAMP)",
        [declaration.name, declaration.domain, status, reason, data_through, built_at],
    )


def mart_statuses(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(mart, domain, status, reason, data_through, built_at) in mart order."""
    ensure_table(con, MART_STATUS, STATUS_COLUMNS)
    return con.execute(
        f"SELECT mart, domain, status, reason, data_through, built_at FROM "
        f"{qualified(MART_STATUS)} ORDER BY mart"
    ).fetchall()


def build_mart_status_asset(
    declarations: Sequence[MartDeclaration], mart_keys: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    """``mart_keys``: the asset key of each declaration, in the same order."""

    @dg.asset(
        key=MART_STATUS_KEY,
        deps=list(mart_keys),
        group_name="marts",
        kinds={"duckdb"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "public"},
        metadata={"dagster/column_schema": column_schema(STATUS_SCHEMA)},
        pool="duckdb",
    )
    def mart_status(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        """Each mart's status, reason, data_through and built_at. Source: the latest
        materialization of each mart asset (its metadata). Grain: one row per mart. Target:
        `marts.mart_status` (published)."""
        with warehouse.get_connection() as con:
            for declaration, key in zip(declarations, mart_keys, strict=True):
                report = latest_report(context.instance, key)
                if report is None:
                    continue  # never built
                meta, built_at = report
                record_mart_status(
                    con,
                    declaration,
                    meta["status"],
                    meta.get("reason") or None,
                    meta.get("data_through") or None,
                    built_at,
                )
            metadata = table_metadata(con, MART_STATUS, preview=False)
        return dg.MaterializeResult(metadata=metadata)

    return mart_status
