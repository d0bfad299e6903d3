"""Write the marts to a new DuckDB file and move it into place atomically.

Each mart whose declaration asks for disclosure control is written through the disclosure gate
(``governance.disclosure``); the disclosure audit (``governance.disclosure_audit``) then takes
every published number of the gated tables as they stand in the temporary file, the gate runs
again with any cell the audit names, and the file is moved into place only when the audit and
the gate's re-check find nothing. The unsuppressed marts stay
in the warehouse's ``marts`` schema.

Readers that hold the old snapshot open keep reading it (the old inode lives on); they see the
new one when they reopen. A crash or a failed gate before ``os.replace`` leaves the previous
snapshot in place and at most a temporary file, which the next publish removes first
(publishes never overlap: they run in the ``duckdb`` pool).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datalabs_pipelines.governance.disclosure import GateReport, gate_table, verify_gated
from datalabs_pipelines.governance.disclosure_audit import (
    AuditReport,
    Cell,
    GroupAudit,
    Narrow,
)
from datalabs_pipelines.governance.disclosure_releases import Releases
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.pause_points import pause_point
from datalabs_pipelines.warehouse import identifier, literal, transaction

# The snapshot's storage format: readable by DuckDB 1.0 and newer (what dashboards bring),
# whatever format the warehouse it is copied from is written in.
PUBLISHED_STORAGE = "v1.0.0"
MAX_AUDIT_ROUNDS = 30


class DisclosureGateFailed(RuntimeError):
    """The gated snapshot still breaks a disclosure rule; it was not published."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:10]))
        self.problems = problems


@dataclass
class SnapshotResult:
    counts: dict[str, int] = field(default_factory=dict)
    gate: list[GateReport] = field(default_factory=list)
    audit: AuditReport | None = None
    unpublished: list[str] = field(default_factory=list)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_catalog = current_database() ORDER BY 1"
        ).fetchall()
    ]


def temporary_files(target: Path) -> list[Path]:
    """Temporary snapshots (and their WAL files) that a publish of ``target`` may leave."""
    return sorted(target.parent.glob(f".{target.name}.*.tmp*"))


def gate_and_audit(
    con: duckdb.DuckDBPyConnection,
    declarations: Mapping[str, MartDeclaration],
    threshold: int,
    known: Mapping[str, Sequence[Narrow]] | None = None,
    digest_key: bytes = b"",
    prior: Releases | None = None,
) -> tuple[list[GateReport], AuditReport]:
    """Gate every mart of ``declarations`` from ``marts`` into ``snapshot.main`` and audit the
    whole snapshot; while the audit finds counts a reader could narrow, gate the marts it names
    again with the cells it asks for suppressed too.

    Marts that no mirror joins share no constraint, so each group of joined marts is gated and
    audited on its own. ``known``: systems' answers from an earlier publish's audit
    under digests keyed with ``digest_key``; ``prior``: what earlier snapshots told a reader
    (``GroupAudit``)."""
    reports: dict[str, GateReport] = {}
    whole = AuditReport(rounds=0)
    for joined in _joined(declarations):
        group = list(joined)
        while group:
            audit, rounds = _gate_and_audit_group(
                con, declarations, group, threshold, reports, known, digest_key, prior
            )
            whole.seconds += audit.seconds
            whole.programs += audit.programs
            whole.reused += audit.reused
            whole.solved |= audit.solved
            whole.systems += audit.systems
            whole.untrue += audit.untrue
            whole.rounds = max(whole.rounds, rounds)
            leaking = sorted(m.table for m in audit.marts if m.recoverable)
            if not audit.findings or not leaking:
                whole.marts += audit.marts
                whole.findings += audit.findings
                whole.told.add(audit.told)
                whole.forced += audit.forced
                break
            # The rounds could not protect these marts: withhold them (they leave the snapshot,
            # and with them their relations) and protect the rest of the group without them.
            # Their counts stay current: what earlier snapshots showed of them, unchanged, is
            # still known to a reader, and stays in the memory.
            whole.told.current |= audit.told.current
            for name in leaking:
                con.execute(f"DROP TABLE snapshot.main.{identifier(name)}")
                reports.pop(name, None)
                whole.withheld[name] = next(
                    (f for f in audit.findings if f.startswith(f"{name}:")), audit.findings[0]
                )
            group = [name for name in group if name not in leaking]
    whole.marts.sort(key=lambda m: m.table)
    return [reports[name] for name in sorted(reports)], whole


def _gate_and_audit_group(
    con: duckdb.DuckDBPyConnection,
    declarations: Mapping[str, MartDeclaration],
    group: list[str],
    threshold: int,
    reports: dict[str, GateReport],
    known: Mapping[str, Sequence[Narrow]] | None,
    digest_key: bytes,
    prior: Releases | None,
) -> tuple[AuditReport, int]:
    """Gate ``group`` and audit it, again with the cells the audit asks for, until it is clean,
    asks for nothing new, or ``MAX_AUDIT_ROUNDS`` is reached; the last audit and the rounds."""
    forced: dict[str, set[tuple[int, str]]] = {name: set() for name in group}
    todo, rounds, seconds, programs, reused = set(group), 0, 0.0, 0, 0
    solved: dict[str, list[Narrow]] = {}
    settled: set[frozenset[Cell]] = set()
    auditor: GroupAudit | None = None
    while True:
        for name in sorted(todo):
            table = identifier(name)
            reports[name] = gate_table(
                con,
                declarations[name],
                f"marts.{table}",
                f"snapshot.main.{table}",
                threshold,
                forced[name],
            )
        if auditor is None:  # after the first gate: the auditor reads the unsuppressed marts
            joined = {name: declarations[name] for name in group}
            auditor = GroupAudit(
                con, joined, threshold, known=known, digest_key=digest_key, prior=prior
            )
            marts = auditor.read()
            # what an earlier snapshot hid stays hidden while its value does not change: fewer
            # cells flip, and the earlier relations over them hold already (fewer rounds)
            still = auditor.hidden_before(marts)
            todo = {name for name, cells in still.items() if cells - forced[name]}
            if todo:
                for name in todo:
                    forced[name] |= still[name]
                continue
        marts = auditor.read()
        across = auditor.complements(marts)
        todo = {name for name, cells in across.items() if cells - forced[name]}
        if todo:  # the gate's complements across marts first: no program needed for them
            for name in todo:
                forced[name] |= across[name]
            continue
        rounds += 1
        audit = auditor.audit(marts, settled)
        seconds += audit.seconds
        programs += audit.programs
        reused += audit.reused
        solved |= audit.solved
        todo = {name for name, cells in audit.hide.items() if cells - forced[name]}
        if not audit.findings or not todo or rounds >= MAX_AUDIT_ROUNDS:
            audit.seconds, audit.programs = seconds, programs
            audit.reused, audit.solved = reused, solved
            return audit, rounds
        # what is hidden stays hidden (the next audit then needs no program for the ranges
        # found wide already), with the cells the audit asks for
        settled = audit.settled
        for name in group:
            forced[name] |= audit.suppressed[name]
        for name in todo:
            forced[name] |= audit.hide[name]


def _joined(declarations: Mapping[str, MartDeclaration]) -> list[list[str]]:
    """Groups of marts that mirrors or roll-ups join (a mart alone when none does)."""
    group_of = {name: {name} for name in declarations}
    for name, declaration in declarations.items():
        others = [p.mart or name for g in declaration.mirrors for p in g]
        for other in others + [r.mart for r in declaration.rolls_up]:
            if other in declarations and group_of[other] is not group_of[name]:
                merged = group_of[name] | group_of[other]
                for member in merged:
                    group_of[member] = merged
    unique = {id(g): g for g in group_of.values()}
    return sorted(sorted(g) for g in unique.values())


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    declarations: Mapping[str, MartDeclaration],
    threshold: int,
    ungated: Collection[str] = (),
    known: Mapping[str, Sequence[Narrow]] | None = None,
    digest_key: bytes = b"",
    prior: Releases | None = None,
) -> SnapshotResult:
    """Copy every declared ``marts`` table into ``target``, gated where declared.

    ``known``: systems' answers from an earlier publish's audit (``AuditReport.solved``): the
    audit takes an answer from there when a system is the same, digest for digest (digests
    keyed with ``digest_key``: the publish step passes the linkage key). ``prior``: what the
    snapshots published before told a reader (``AuditReport.told`` of each, gathered by
    ``Releases.after``), audited with this one.

    Tables without a declaration are left out (the gate cannot know their columns' roles).
    Raises ``DisclosureGateFailed`` (and keeps the previous snapshot) when a gated table in the
    temporary file breaks a rule or the audit still finds a count a reader could narrow.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in temporary_files(target):
        leftover.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    result = SnapshotResult()
    problems: list[str] = []
    storage = literal(PUBLISHED_STORAGE)
    con.execute(f"ATTACH {literal(str(temporary))} AS snapshot (STORAGE_VERSION {storage})")
    try:
        # One transaction (it writes only the snapshot file and temporary tables): on DuckLake
        # the gate's hundreds of statements are one catalog snapshot instead of one each.
        with transaction(con):
            gated: dict[str, MartDeclaration] = {}
            for table in mart_tables(con):
                declaration = declarations.get(table)
                if declaration is None and table not in ungated:
                    result.unpublished.append(table)
                elif declaration is not None and declaration.disclosure_control:
                    gated[table] = declaration
                else:
                    name = identifier(table)
                    con.execute(f"CREATE TABLE snapshot.main.{name} AS SELECT * FROM marts.{name}")
            if gated:
                result.gate, result.audit = gate_and_audit(
                    con, gated, threshold, known, digest_key, prior
                )
                problems += result.audit.findings
            withheld = result.audit.withheld if result.audit else {}
            if withheld and "mart_status" in ungated:
                for name, finding in withheld.items():
                    con.execute(
                        "UPDATE snapshot.main.mart_status SET status = 'blocked', reason = ? "
                        "WHERE mart = ?",
                        [f"withheld by the disclosure audit: {finding}", name],
                    )
            for table in mart_tables(con):
                if (table not in ungated and table not in declarations) or table in withheld:
                    continue
                published = f"snapshot.main.{identifier(table)}"
                if table in gated:
                    problems += verify_gated(con, gated[table], published, threshold)
                counted = con.execute(f"SELECT count(*) FROM {published}").fetchone()[0]
                result.counts[table] = counted
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
