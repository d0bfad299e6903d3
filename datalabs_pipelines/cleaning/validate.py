"""A data steward's check of one delivery file against its contract, before sending it.

The file goes through the code a real load runs (``load_delivery`` into raw tables and
quarantine, ``build_candidates`` into typed staging rows, the contract's expectations through
Great Expectations) inside a scratch DuckDB file, deleted after: the warehouse is never opened.
The report names lines, columns and rules, never values: a value may be an identifier.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datalabs_pipelines.cleaning.staging import (
    Collapsed,
    build_candidates,
)
from datalabs_pipelines.contracts.loader import load_contract
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import role_problems
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.loading import QUARANTINE, load_delivery
from datalabs_pipelines.quality.expectations import Outcome, evaluate, private_database
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import qualified

SAMPLE_LINES = 10


class NoContract(ValueError):
    """No contract, or more than one, fits the file."""


@dataclass
class ValidationReport:
    path: Path
    contract: Contract
    rejection: DeliveryRejected | None = None
    records: int = 0
    rows_loaded: int = 0
    quarantined: list[tuple[int, str]] = field(default_factory=list)
    invalid_values: dict[str, int] = field(default_factory=dict)
    invalid_lines: dict[str, list[int]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    unexpected_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    role_problems: list[str] = field(default_factory=list)
    collapsed: tuple[Collapsed, ...] = ()

    @property
    def failed_expectations(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def reconciles(self) -> bool:
        """Every record in the file is loaded or quarantined (what the load ledger checks)."""
        return self.records == self.rows_loaded + len(self.quarantined)

    @property
    def clean(self) -> bool:
        """The file would load with nothing quarantined, mistyped or failing a check."""
        return (
            self.rejection is None
            and self.reconciles
            and not self.role_problems
            and not self.quarantined
            and not self.invalid_values
            and not self.failed_expectations
        )


def contract_for(path: Path, contracts: Sequence[Contract], name: str | None = None) -> Contract:
    """The contract named ``name`` (or in the YAML file ``name``), else the one whose
    ``file_pattern`` matches the file name."""
    if name is not None and name.endswith((".yaml", ".yml")):
        if not Path(name).is_file():
            raise NoContract(f"no contract file {name}")
        return load_contract(Path(name))
    if name is not None:
        found = [c for c in contracts if c.name == name]
        if not found:
            folder = get_settings().contracts_dir
            raise NoContract(f"no contract named {name!r} in {folder}{ELSEWHERE}")
        return found[0]
    found = [c for c in contracts if Path(path.name).match(c.file_pattern)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoContract(
            f"no contract in {get_settings().contracts_dir} has a file_pattern matching "
            f"{path.name!r}: name one with --contract{ELSEWHERE}"
        )
    names = ", ".join(c.name for c in found)
    raise NoContract(f"{path.name!r} matches several contracts ({names}); pick one with --contract")


ELSEWHERE = (
    "; a contract kept elsewhere: its file (--contract path/to/contract.yaml) or its folder "
    "(DATALABS_CONTRACTS_DIR)"
)


def validate_extract(path: Path, contract: Contract) -> ValidationReport:
    """Load, stage and check ``path`` in a scratch database."""
    with tempfile.TemporaryDirectory(prefix="datalabs-validate-") as folder:
        return _validate_in(Path(folder), path, contract)


def _validate_in(folder: Path, path: Path, contract: Contract) -> ValidationReport:
    report = ValidationReport(path, contract, role_problems=role_problems(contract))
    if report.role_problems:  # the definitions would refuse the contract: nothing to load
        return report
    database, con = private_database(folder)
    with con:
        try:
            loaded = load_delivery(con, contract, path, path.name)
        except DeliveryRejected as exc:
            report.rejection = exc
            return report
        report.records = loaded.parse.records
        report.rows_loaded = loaded.rows_loaded
        report.unexpected_columns = [str(c) for c in loaded.parse.unexpected_columns]
        report.missing_optional_columns = list(loaded.parse.missing_optional_columns)
        report.quarantined = con.execute(
            f"SELECT line, reason FROM {qualified(QUARANTINE.of(contract))} ORDER BY line"
        ).fetchall()
        if not loaded.rows_loaded:
            return report
        staged = build_candidates(con, contract, secrets.token_bytes(32))
        report.invalid_values = staged.invalid_values
        report.collapsed = staged.collapsed
        report.invalid_lines = _invalid_lines(con, staged.checked, staged.invalid_values)
    # GE opens the file on its own connection: this one is closed first.
    report.outcomes = evaluate(database, staged.checked, contract)
    return report


def _invalid_lines(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, int]
) -> dict[str, list[int]]:
    return {
        column: [
            line
            for (line,) in con.execute(
                f"SELECT _line FROM {table} WHERE list_contains(string_split(_invalid_columns, "
                f"', '), ?) ORDER BY _line LIMIT {SAMPLE_LINES}",
                [column],
            ).fetchall()
        ]
        for column in columns
    }


def _lines(record_ids: Sequence[str]) -> str:
    return ", ".join(r.rsplit(":", 1)[-1] for r in record_ids)


def render(report: ValidationReport) -> str:
    """The report a steward reads: counts, then each problem with its line, column and rule."""
    contract = report.contract
    out = [f"file: {report.path}", f"contract: {contract.name} ({contract.agency})"]
    if report.role_problems:
        out += ["", *(f"CONTRACT: {p}" for p in report.role_problems)]
        out += ["", "result: the contract does not fit its role; nothing would load"]
        return "\n".join(out)
    if report.rejection is not None:
        out += ["", f"REJECTED: {report.rejection}", "", "result: the file would not load"]
        return "\n".join(out)
    out.append(
        f"records in file: {report.records}, loadable: {report.rows_loaded}, "
        f"quarantined: {len(report.quarantined)}"
    )
    if not report.reconciles:
        out.append(
            "COUNTS DO NOT RECONCILE: loadable plus quarantined is not the records in the file "
            "(a parsing fault: report it with the file)"
        )
    if report.collapsed:
        lines = sum(c.lines for c in report.collapsed)
        amounts = [c.amount for c in report.collapsed if c.amount is not None]
        amount = f" (amount {sum(amounts)})" if amounts else ""
        out.append(f"identical lines collapsed: {lines}{amount} (the contract's `duplicates`)")
    if report.unexpected_columns:
        out.append(
            "note: header fields not in the contract (ignored): "
            + ", ".join(report.unexpected_columns)
        )
    if report.missing_optional_columns:
        out.append(f"note: optional columns absent: {report.missing_optional_columns}")
    if report.quarantined:
        out += ["", "quarantined records (line: reason):"]
        out += [f"  line {line}: {reason}" for line, reason in report.quarantined]
    if report.invalid_values:
        out += ["", "values that fail typing (column: count, first lines):"]
        for column, count in report.invalid_values.items():
            c = contract.column(column)
            formats = f", formats {', '.join(c.formats)}" if c.formats else ""
            lines = ", ".join(map(str, report.invalid_lines.get(column, [])))
            out.append(f"  {column} ({c.type}{formats}): {count}; lines {lines}")
    if report.outcomes:
        out += ["", "expectations, evaluated on this file's staged rows:"]
        for o in report.outcomes:
            status = "pass" if o.passed else f"FAIL ({o.severity})"
            detail = ""
            if not o.passed and o.unexpected_count:
                detail = f"; {o.unexpected_count} rows"
                if o.sample_keys:
                    detail += f", e.g. lines {_lines(o.sample_keys)}"
            if o.error:
                detail += f"; error: {o.error}"
            out.append(f"  {status:<12} {o.name}: {o.description}{detail}")
    out += ["", "result: " + ("would load cleanly" if report.clean else "would NOT load cleanly")]
    return "\n".join(out)
