"""Build the staging table of one extract from its staged lines (``lines.py``).

``staging.<extract>``: typed, standardized, lines identical in every column kept or collapsed
as the contract's ``duplicates`` policy says (``_copies``: how many identical lines a row
stands for; every collapse is counted per delivery, with its amount), direct identifiers
replaced by keyed tokens (``<column>_token``) and, for dates of birth, only the year. Lines
are typed once per delivery and kept; what spans deliveries (the collapse) runs over them all.
``pii.<extract>_identities``: the normalized identifiers per record, for linkage. Both are
first written as candidates and promoted only after the blocking checks pass, so a bad
delivery never replaces good data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from datalabs_pipelines.candidates import candidate, reject
from datalabs_pipelines.candidates import promote as promote_candidates
from datalabs_pipelines.cleaning.lines import LinesUpdate, lines_table, update_lines
from datalabs_pipelines.cleaning.standardize import SQL_TYPES
from datalabs_pipelines.contracts.model import Column, Contract
from datalabs_pipelines.privacy_tokens import install_hmac_macro
from datalabs_pipelines.warehouse import identifier, qualified


def staging_table(contract: Contract) -> tuple[str, str]:
    return ("staging", contract.name)


def identities_table(contract: Contract) -> tuple[str, str]:
    return ("pii", f"{contract.name}_identities")


def staging_columns(column: Column) -> dict[str, str]:
    """Staging column name → SQL type for one contract column (what leaves the pii zone)."""
    if column.classification != "pii":
        out = {column.name: SQL_TYPES[column.type]}
        if column.match_fold:
            out[f"{column.name}_match"] = "VARCHAR"
        return out
    out = {f"{column.name}_token": "VARCHAR"}
    if column.pii_kind == "dob":
        out[f"{column.name}_year"] = "INTEGER"
    if column.type == "ssn":
        out[f"{column.name}_status"] = "VARCHAR"
    return out


@dataclass(frozen=True)
class Collapsed:
    """Lines of one delivery collapsed into an identical earlier line, and their amount."""

    delivery: str
    lines: int
    amount: Decimal | None


@dataclass(frozen=True)
class StagingResult:
    rows_in: int
    rows_staged: int
    duplicates_removed: int
    invalid_values: dict[str, int]
    collapsed: tuple[Collapsed, ...] = ()
    lines: LinesUpdate | None = None  # which deliveries were typed, which reused

    @property
    def amount_collapsed(self) -> Decimal | None:
        amounts = [c.amount for c in self.collapsed if c.amount is not None]
        return sum(amounts, Decimal(0)) if amounts else None


def build_candidates(
    con: duckdb.DuckDBPyConnection, contract: Contract, key: bytes
) -> StagingResult:
    """Write ``staging.<x>__candidate`` and ``pii.<x>_identities__candidate`` from the staged
    lines (brought up to date first), collapsing identical lines across deliveries."""
    install_hmac_macro(con, key)
    lines = update_lines(con, contract, key)
    source = qualified(lines_table(contract))
    collapsed = _collapse(con, contract, source)
    kept = f"{source} l LEFT JOIN _collapsing c USING (record_id) WHERE coalesce(c._rank, 1) = 1"
    staged = ", ".join(
        f"l.{identifier(name)}" for column in contract.columns for name in staging_columns(column)
    )
    stage_out = qualified(candidate(staging_table(contract)))
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {stage_out} AS
        SELECT l.record_id, l._delivery, l._line, coalesce(c._copies, 1)::BIGINT AS _copies,
               l._invalid_columns, {staged}
        FROM {kept} ORDER BY l._delivery, l._line
        """
    )
    if contract.pii_columns:
        identities = ", ".join(f"l.{identifier(c.name)}" for c in contract.pii_columns)
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(candidate(identities_table(contract)))} AS "
            f"SELECT l.record_id, {identities} FROM {kept} ORDER BY l.record_id"
        )
    con.execute("DROP TABLE _collapsing")
    rows_staged, copies = con.execute(f"SELECT count(*), sum(_copies) FROM {stage_out}").fetchone()
    invalid_counts = dict(
        con.execute(
            "SELECT col, count(*) FROM (SELECT unnest(string_split(_invalid_columns, ', ')) col "
            f"FROM {stage_out} WHERE _invalid_columns IS NOT NULL) GROUP BY col ORDER BY col"
        ).fetchall()
    )
    return StagingResult(
        lines.rows,
        rows_staged,
        int(copies or 0) - rows_staged,
        invalid_counts,
        collapsed,
        lines,
    )


def _collapse(
    con: duckdb.DuckDBPyConnection, contract: Contract, source: str
) -> tuple[Collapsed, ...]:
    """``_collapsing``: the lines that share their duplicate key with another line, each with
    the copies its key stands for and its rank (the first by delivery and line is kept); and,
    per delivery, the lines collapsed into an identical earlier line, with their amount."""
    amount = contract.amount
    total = identifier(amount.name) if amount is not None else "NULL"
    shared = (
        "FALSE"
        if contract.duplicates == "keep"
        else f"_dup_key IN (SELECT _dup_key FROM {source} GROUP BY _dup_key HAVING count(*) > 1)"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _collapsing AS
        SELECT record_id, _delivery, {total} AS _amount,
               count(*) OVER (PARTITION BY _dup_key) AS _copies,
               row_number() OVER (PARTITION BY _dup_key ORDER BY _delivery, _line) AS _rank
        FROM {source} WHERE {shared}
        """
    )
    return tuple(
        Collapsed(delivery, int(lines), amount_sum)
        for delivery, lines, amount_sum in con.execute(
            "SELECT _delivery, count(*), sum(_amount) FROM _collapsing WHERE _rank > 1 "
            "GROUP BY _delivery ORDER BY _delivery"
        ).fetchall()
    )


def promote(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Replace the live staging (and identities) tables by the validated candidates."""
    promote_candidates(con, (staging_table(contract), identities_table(contract)))


def keep_live_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Drop the rejected candidates; where no live table exists yet, leave an empty one."""
    reject(con, (staging_table(contract), identities_table(contract)), leave_empty=True)
