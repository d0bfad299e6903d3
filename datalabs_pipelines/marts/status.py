"""``marts.mart_status``: per mart, fresh, stale (held back), not measurable or blocked, and why.

Each mart step decides from its declaration, the sources' agreements and
``staging.extract_status`` whether it can be built (``assess``, pure), and records the outcome
with the period its data runs through (``data_through``) and when it was last built
(``built_at``). A held-back mart is not rebuilt: its table and ``built_at`` stay those of its
last good build. The status table is published with the snapshot; the dashboard and `make run`
show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.governance.agreements import AgreementFinding
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.quality.extract_status import HELD_BACK, LOADED
from datalabs_pipelines.warehouse import ensure_table, qualified

MART_STATUS = ("marts", "mart_status")
FRESH, STALE, NOT_MEASURABLE, BLOCKED = "fresh", "stale", "not measurable", "blocked"
STATUS_COLUMNS = {
    "mart": "VARCHAR",
    "domain": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "data_through": "VARCHAR",
    "built_at": "TIMESTAMP",
    "checked_at": "TIMESTAMP",
}


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
    findings: Sequence[AgreementFinding],
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
    assessment: Assessment,
    data_through: str | None,
) -> None:
    """Upsert the mart's row; a stale mart keeps its last ``built_at`` and ``data_through``."""
    ensure_table(con, MART_STATUS, STATUS_COLUMNS)
    table = qualified(MART_STATUS)
    previous = con.execute(
        f"SELECT data_through, built_at FROM {table} WHERE mart = ?", [declaration.name]
    ).fetchone()
    if assessment.status == STALE:
        data_through, built_at = previous if previous else (None, None)
        set_built = "?::TIMESTAMP"
        params = [built_at]
    else:
        set_built = "now()::TIMESTAMP"
        params = []
    con.execute(f"DELETE FROM {table} WHERE mart = ?", [declaration.name])
    con.execute(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, {set_built}, now()::TIMESTAMP)",
        [
            declaration.name,
            declaration.domain,
            assessment.status,
            assessment.reason,
            data_through,
            *params,
        ],
    )


def mart_statuses(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(mart, domain, status, reason, data_through, built_at) in mart order."""
    ensure_table(con, MART_STATUS, STATUS_COLUMNS)
    return con.execute(
        f"SELECT mart, domain, status, reason, data_through, built_at FROM "
        f"{qualified(MART_STATUS)} ORDER BY mart"
    ).fetchall()
