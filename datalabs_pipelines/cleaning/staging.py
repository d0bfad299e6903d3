"""Build the staging table of one extract from its raw tables, in one SQL pass.

``staging.<extract>``: typed, standardized, lines identical in every column kept or collapsed
as the contract's ``duplicates`` policy says (``_copies``: how many identical lines a row
stands for; every collapse is counted per delivery, with its amount), direct identifiers
replaced by keyed tokens (``<column>_token``) and, for dates of birth, only the year.
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
from datalabs_pipelines.cleaning.standardize import (
    SQL_TYPES,
    identity_sql,
    invalid_sql,
    match_fold_sql,
    typed_sql,
)
from datalabs_pipelines.contracts.model import Column, Contract
from datalabs_pipelines.ingestion.loading import pii_raw_table, raw_table
from datalabs_pipelines.privacy_tokens import hmac_sql, install_hmac_macro
from datalabs_pipelines.warehouse import identifier, qualified

# Lines sharing a key collapse into the first (by delivery, line); under keep nothing does.
_DUPLICATE_KEY = {
    "keep": "NULL",
    "collapse": "_row_hash",
    # the n-th copy of a line within a delivery matches the n-th copy in an earlier delivery
    "collapse_resent": "_row_hash || ':' || row_number() OVER "
    "(PARTITION BY _delivery, _row_hash ORDER BY _line)",
}


_COPIES = (
    "count(*) OVER (PARTITION BY _dup_key) AS _copies, "
    "row_number() OVER (PARTITION BY _dup_key ORDER BY _delivery, _line) AS _rank"
)
_ONE_COPY = "1::BIGINT AS _copies, 1::BIGINT AS _rank"


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

    @property
    def amount_collapsed(self) -> Decimal | None:
        amounts = [c.amount for c in self.collapsed if c.amount is not None]
        return sum(amounts, Decimal(0)) if amounts else None


def build_candidates(
    con: duckdb.DuckDBPyConnection, contract: Contract, key: bytes
) -> StagingResult:
    """Write ``staging.<x>__candidate`` and ``pii.<x>_identities__candidate``."""
    install_hmac_macro(con, key)
    params: dict[str, object] = {}
    typed = {c.name: typed_sql(c, params) for c in contract.columns}
    raw = qualified(raw_table(contract))
    if contract.pii_columns:
        pii_cols = ", ".join(f"p.{identifier(c.name)}" for c in contract.pii_columns)
        source = (
            f"SELECT r.*, {pii_cols} FROM {raw} r "
            f"JOIN {qualified(pii_raw_table(contract))} p USING (_delivery, _line)"
        )
    else:
        source = f"SELECT * FROM {raw}"
    all_names = ", ".join(f"coalesce({identifier(c.name)}, chr(0))" for c in contract.columns)
    invalid = " || ".join(
        f"CASE WHEN {invalid_sql(c, typed[c.name], params)} THEN ['{c.name}'] ELSE [] END"
        for c in contract.columns
    )
    identities = [
        f"{identity_sql(c, identifier(c.name))} AS {c.name}" for c in contract.pii_columns
    ]
    con.execute("DROP TABLE IF EXISTS _staged")
    con.execute(
        f"""
        CREATE TEMP TABLE _staged AS
        WITH src AS ({source}),
        typed AS (
            SELECT _delivery || ':' || _line AS record_id, _delivery, _line,
                   md5(concat_ws(chr(31), {all_names})) AS _row_hash,
                   {", ".join(f"{typed[c.name]} AS {c.name}" for c in contract.columns)},
                   array_to_string({invalid}, ', ') AS _invalid_columns
            FROM src
        ),
        keyed AS (SELECT *, {_DUPLICATE_KEY[contract.duplicates]} AS _dup_key FROM typed)
        SELECT * EXCLUDE (_row_hash, _dup_key)
                 REPLACE (nullif(_invalid_columns, '') AS _invalid_columns),
               {_COPIES if contract.duplicates != "keep" else _ONE_COPY}
        FROM keyed
        """,
        params,
    )
    collapsed = _collapsed(con, contract)
    if collapsed:
        con.execute("DELETE FROM _staged WHERE _rank > 1")
    con.execute("DROP TABLE IF EXISTS _identities")
    con.execute(
        f"CREATE TEMP TABLE _identities AS SELECT record_id, "
        f"{', '.join(identities) if identities else 'NULL AS none'} FROM _staged"
    )
    staged = [_staging_select(c) for c in contract.columns]
    stage_out = qualified(candidate(staging_table(contract)))
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {stage_out} AS
        SELECT s.record_id, s._delivery, s._line, s._copies, s._invalid_columns,
               {", ".join(staged)}
        FROM _staged s JOIN _identities i USING (record_id)
        ORDER BY s._delivery, s._line
        """
    )
    if contract.pii_columns:
        con.execute("CREATE SCHEMA IF NOT EXISTS pii")
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(candidate(identities_table(contract)))} AS "
            "SELECT * FROM _identities ORDER BY record_id"
        )
    rows_in = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
    rows_staged, copies = con.execute("SELECT count(*), sum(_copies) FROM _staged").fetchone()
    invalid_counts = dict(
        con.execute(
            "SELECT col, count(*) FROM (SELECT unnest(string_split(_invalid_columns, ', ')) col "
            "FROM _staged WHERE _invalid_columns IS NOT NULL) GROUP BY col ORDER BY col"
        ).fetchall()
    )
    con.execute("DROP TABLE _staged")
    con.execute("DROP TABLE _identities")
    return StagingResult(
        rows_in, rows_staged, int(copies or 0) - rows_staged, invalid_counts, collapsed
    )


def _collapsed(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[Collapsed, ...]:
    """Per delivery, the lines about to be collapsed into an identical earlier line."""
    if contract.duplicates == "keep":
        return ()
    amount = contract.amount
    total = f"sum({identifier(amount.name)})" if amount is not None else "NULL"
    return tuple(
        Collapsed(delivery, int(lines), amount_sum)
        for delivery, lines, amount_sum in con.execute(
            f"SELECT _delivery, count(*), {total} FROM _staged WHERE _rank > 1 "
            "GROUP BY _delivery ORDER BY _delivery"
        ).fetchall()
    )


def _staging_select(column: Column) -> str:
    name = identifier(column.name)
    if column.classification != "pii":
        parts = [f"s.{name}"]
        if column.match_fold:
            parts.append(f"{match_fold_sql('s.' + name)} AS {name}_match")
        return ", ".join(parts)
    identity = f"i.{name}"
    token_input = f"strftime({identity}, '%Y-%m-%d')" if column.type == "date" else identity
    parts = [f"{hmac_sql(token_input)} AS {name}_token"]
    if column.pii_kind == "dob":
        parts.append(f"year({identity})::INTEGER AS {name}_year")
    if column.type == "ssn":
        parts.append(
            f"CASE WHEN {identity} IS NOT NULL THEN 'valid' "
            f"WHEN list_contains(string_split(s._invalid_columns, ', '), '{name}') "
            f"THEN 'invalid' ELSE 'missing' END "
            f"AS {name}_status"
        )
    return ", ".join(parts)


def promote(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Replace the live staging (and identities) tables by the validated candidates."""
    promote_candidates(con, (staging_table(contract), identities_table(contract)))


def keep_live_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Drop the rejected candidates; where no live table exists yet, leave an empty one."""
    reject(con, (staging_table(contract), identities_table(contract)), leave_empty=True)
