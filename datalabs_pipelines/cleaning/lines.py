"""Staged lines by delivery: every raw line typed, standardized and tokenized once, then kept.

``pii.<extract>_staged_lines`` holds one row per raw line (not yet collapsed): the staging
columns, the normalized identifiers (hence the pii zone), the line's duplicate key and, to know
when a line must be typed again, the ``_loaded_at`` of its raw row and ``_staged_with``, the
fingerprint of what typing depends on. A staged line depends only on its own delivery's raw
lines, the contract, the linkage key and this code (the run date enters only the expectations);
so each run types only the deliveries that are new or were loaded again (a correction), drops
the lines of deliveries no longer in raw (withdrawn), and reuses the rest. A change of the
contract's declaration, of the key (seen through a fingerprint, never the key) or of the typing
SQL or ``STAGING_VERSION`` retypes the whole extract. New lines are written as a candidate
(``pii.<extract>_staged_lines__candidate``) and join the stored lines only when the staging
candidates are promoted (``staging.py``), so the stored lines always describe the live staging
table: after a rejected night, the next one types the rejected deliveries again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from datalabs_pipelines.candidates import candidate, uncompressed
from datalabs_pipelines.cleaning.standardize import (
    given_sql,
    identity_sql,
    invalid_sql,
    match_fold_sql,
    typed_sql,
)
from datalabs_pipelines.contracts.model import Column, Contract
from datalabs_pipelines.ingestion.loading import pii_raw_table, raw_table
from datalabs_pipelines.privacy_tokens import hmac_hex, hmac_sql
from datalabs_pipelines.warehouse import identifier, qualified, table_exists

# Bump when a change alters what a staged line holds in a way the generated SQL does not show
# (the SQL text itself is part of the fingerprint): the body of the HMAC macro
# (``privacy_tokens.install_hmac_macro``), or a macro or function the SQL calls.
STAGING_VERSION = 2  # 2: lines change with the staging table they describe


class DuplicateKey(NamedTuple):
    """How ``keyed`` selects from ``checked`` to give each line its ``_dup_key``."""

    star: str
    key: str
    join: str = ""


# the n-th copy of a line within a delivery matches the n-th copy in an earlier delivery; only
# lines whose hash repeats in their delivery are numbered (every other line is the first of
# its kind): a window over all of them cost most of a wage file's staging
RESENT_COPIES = """ c LEFT JOIN (
            SELECT _delivery, _line,
                   row_number() OVER (PARTITION BY _delivery, _row_hash ORDER BY _line) AS _copy
            FROM checked SEMI JOIN (
                SELECT _delivery, _row_hash FROM checked GROUP BY ALL HAVING count(*) > 1
            ) USING (_delivery, _row_hash)
        ) n USING (_delivery, _line)"""
# Lines sharing a key collapse into the first (by delivery, line); under keep nothing does.
# Each key depends on its own delivery's lines only, so it is kept with the line.
DUPLICATE_KEY = {
    "keep": DuplicateKey("*", "NULL::VARCHAR"),
    "collapse": DuplicateKey("*", "_row_hash"),
    "collapse_resent": DuplicateKey(
        "c.*", "c._row_hash || ':' || coalesce(n._copy, 1)", RESENT_COPIES
    ),
}
# What a stored delivery is compared on: its raw row count and when it was loaded
Version = tuple[int, dt.datetime]
WHERE = "/* deliveries */"  # where the SELECT's filter on deliveries goes


def lines_table(contract: Contract) -> tuple[str, str]:
    return ("pii", f"{contract.name}_staged_lines")


@dataclass(frozen=True)
class LinesUpdate:
    """What one run did to the staged lines of an extract."""

    rows: int  # raw lines, all of them staged
    typed: tuple[str, ...]  # deliveries typed in this run
    reused: int  # deliveries whose stored lines were kept
    removed: tuple[str, ...]  # deliveries whose lines left: no longer in raw (withdrawn)
    retyped_all: str = ""  # why every delivery was typed again, if it was


def lines_metadata(update: LinesUpdate | None) -> dict[str, object]:
    """The staging materialization's account of typing: deliveries typed now and reused."""
    if update is None:
        return {}
    return {
        "deliveries_typed": len(update.typed),
        "deliveries_reused": update.reused,
        "deliveries_removed": len(update.removed),
        "retyped_all": update.retyped_all or "no",
        "typed_deliveries": ", ".join(update.typed) or "none",
    }


@dataclass(frozen=True)
class LinesPlan:
    """What a run must type: the deliveries in raw and stored, and what differs."""

    select: str  # the typing SELECT, its filter on deliveries at ``WHERE``
    params: dict[str, object]
    current: dict[str, Version]  # deliveries in raw
    stored: dict[str, Version]  # deliveries whose lines are stored
    retype_all: str  # why every delivery must be typed again ("" if none need be)

    @property
    def stale(self) -> list[str]:
        """Stored deliveries whose lines leave: loaded again since, or withdrawn."""
        return sorted(d for d, v in self.stored.items() if self.current.get(d) != v)

    @property
    def todo(self) -> list[str]:
        """Deliveries to type: new, or loaded again since their lines were stored."""
        stale = set(self.stale)
        return sorted(d for d in self.current if d not in self.stored or d in stale)


def plan_lines(con: duckdb.DuckDBPyConnection, contract: Contract, key: bytes) -> LinesPlan:
    """Compare the raw tables with the stored lines: which deliveries to type, which leave."""
    params: dict[str, object] = {}
    select = _lines_select(contract, params)
    fingerprint = _fingerprint(contract, key, select, params)
    params["staged_with"] = fingerprint
    stored, fingerprints = _stored(con, contract)
    return LinesPlan(
        select,
        params,
        _raw_versions(con, contract),
        stored,
        _retype_reason(fingerprints, fingerprint),
    )


def write_lines(
    con: duckdb.DuckDBPyConnection, contract: Contract, plan: LinesPlan, whole: bool
) -> LinesUpdate:
    """Type into ``pii.<x>_staged_lines__candidate`` every raw line (``whole``) or only the
    lines of ``plan.todo``; the staged lines themselves change when the staging candidates are
    promoted, in the same transaction, so they always describe the live staging table. Expects
    the HMAC macro of the key on ``con`` (``install_hmac_macro``)."""
    out = qualified(candidate(lines_table(contract)))
    con.execute("CREATE SCHEMA IF NOT EXISTS pii")
    params = dict(plan.params)
    if whole:
        select = plan.select
    elif plan.todo:
        names = _bind(plan.todo, params)
        where = f"WHERE r._delivery IN ({names})"
        if contract.pii_columns:
            where += f" AND p._delivery IN ({names})"
        select = plan.select.replace(WHERE, where)
    else:
        select = plan.select.replace(WHERE, "WHERE FALSE")
    with uncompressed(con, when=not whole):  # a delta's lines are inserted on promotion
        con.execute(f"CREATE OR REPLACE TABLE {out} AS {select}", params)
    rows = sum(n for n, _ in plan.current.values())
    if whole:
        reason = plan.retype_all or "no staging table yet"
        gone = tuple(d for d in plan.stored if d not in plan.current)
        return LinesUpdate(rows, tuple(sorted(plan.current)), 0, tuple(sorted(gone)), reason)
    todo = tuple(plan.todo)
    return LinesUpdate(
        rows,
        todo,
        len(plan.current) - len(todo),
        tuple(d for d in plan.stale if d not in plan.current),
    )


def bind_deliveries(deliveries: list[str], params: dict[str, object]) -> str:
    """An IN list of ``deliveries`` bound in ``params`` ("NULL" when empty: matches nothing)."""
    return _bind(deliveries, params) if deliveries else "NULL"


def _bind(deliveries: list[str], params: dict[str, object]) -> str:
    """Placeholders for ``deliveries``, bound in ``params`` (names go in as values, never as
    SQL text); constants in the IN list let DuckDB skip row groups of other deliveries."""
    names = []
    for delivery in deliveries:
        name = f"delivery_{len(params)}"
        params[name] = delivery
        names.append(f"${name}")
    return ", ".join(names)


def _raw_versions(con: duckdb.DuckDBPyConnection, contract: Contract) -> dict[str, Version]:
    """Each delivery in raw: its row count and load time (a reload, a correction, changes it)."""
    rows = con.execute(
        f"SELECT _delivery, count(*), max(_loaded_at) FROM {qualified(raw_table(contract))} "
        "GROUP BY _delivery"
    ).fetchall()
    return {delivery: (count, loaded) for delivery, count, loaded in rows}


def _stored(
    con: duckdb.DuckDBPyConnection, contract: Contract
) -> tuple[dict[str, Version], set[str]]:
    """The deliveries whose lines are stored (with the version they were typed from) and the
    fingerprints they were typed under."""
    if not table_exists(con, lines_table(contract)):
        return {}, set()
    rows = con.execute(
        f"SELECT _delivery, count(*), max(_loaded_at), list(DISTINCT _staged_with) "
        f"FROM {qualified(lines_table(contract))} GROUP BY _delivery"
    ).fetchall()
    return (
        {delivery: (count, loaded) for delivery, count, loaded, _ in rows},
        {f for *_, found in rows for f in found},
    )


def _retype_reason(stored: set[str], fingerprint: str) -> str:
    """Why every line must be typed again ("" when the stored lines can be reused). With no
    line stored the table is made anew: an empty one may have an older contract's columns."""
    if not stored:
        return "no staged lines yet"
    changed = [
        part
        for part, value in _parts(fingerprint).items()
        if any(_parts(f).get(part) != value for f in stored)
    ]
    return f"{', '.join(changed)} changed" if changed else ""


def _parts(fingerprint: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in fingerprint.split(";") if "=" in item)


def _fingerprint(contract: Contract, key: bytes, select: str, params: dict[str, object]) -> str:
    """What a staged line depends on besides its raw line: the contract's declaration, the
    linkage key (an HMAC of a fixed text: it tells keys apart and reveals nothing of them) and
    the code (the typing SQL, ``STAGING_VERSION`` and DuckDB's version)."""
    code = json.dumps(
        [STAGING_VERSION, duckdb.__version__, select, params], sort_keys=True, default=str
    )
    parts = {
        "contract": contract.fingerprint,
        "key": hmac_hex(key, "datalabs staged lines")[:16],
        "code": hashlib.sha256(code.encode()).hexdigest()[:16],
    }
    return ";".join(f"{part}={value}" for part, value in parts.items())


def _lines_select(contract: Contract, params: dict[str, object]) -> str:
    """The SELECT that types, standardizes and tokenizes raw lines (a filter on deliveries, on
    ``r`` the raw and ``p`` the pii raw table, may replace ``WHERE``)."""
    typed = {c.name: typed_sql(c, params) for c in contract.columns}
    raw = qualified(raw_table(contract))
    if contract.pii_columns:
        pii_cols = ", ".join(f"p.{identifier(c.name)}" for c in contract.pii_columns)
        source = (
            f"SELECT r.*, {pii_cols} FROM {raw} r "
            f"JOIN {qualified(pii_raw_table(contract))} p USING (_delivery, _line) {WHERE}"
        )
    else:
        source = f"SELECT * FROM {raw} r {WHERE}"
    all_names = ", ".join(f"coalesce({identifier(c.name)}, chr(0))" for c in contract.columns)
    # each value is typed once: whether it was given is kept beside it, and a value given but
    # not surviving typing is invalid
    given = "".join(
        f", {given_sql(c, params)} AS _given_{i}" for i, c in enumerate(contract.columns)
    )
    invalid = " || ".join(
        f"CASE WHEN {invalid_sql(f'_given_{i}', identifier(c.name))} THEN ['{c.name}'] ELSE [] END"
        for i, c in enumerate(contract.columns)
    )
    flags = ", ".join(f"_given_{i}" for i in range(len(contract.columns)))
    normalized = (
        "REPLACE ("
        + ", ".join(
            f"{identity_sql(c, identifier(c.name))} AS {identifier(c.name)}"
            for c in contract.pii_columns
        )
        + ")"
        if contract.pii_columns
        else ""
    )
    duplicate = DUPLICATE_KEY[contract.duplicates]
    typed_columns = ", ".join(f"{typed[c.name]} AS {identifier(c.name)}" for c in contract.columns)
    tokens = {c.name: f"_token_{i}" for i, c in enumerate(contract.pii_columns)}
    staged = ", ".join(_staging_select(c, tokens.get(c.name)) for c in contract.columns)
    identities = "".join(f", {identifier(c.name)}" for c in contract.pii_columns)
    # a token per distinct value, not per line: a person's forty lines share one SSN
    token_joins = "".join(
        f" LEFT JOIN (SELECT v, {hmac_sql('v')} AS token FROM (SELECT DISTINCT "
        f"{_token_input(c)} AS v FROM keyed)) {tokens[c.name]} "
        f"ON {tokens[c.name]}.v = {_token_input(c, 'keyed.')}"
        for c in contract.pii_columns
    )
    return f"""
        WITH src AS ({source}),
        typed AS (
            SELECT _delivery || ':' || _line AS record_id, _delivery, _line, _loaded_at,
                   md5(concat_ws(chr(31), {all_names})) AS _row_hash,
                   {typed_columns}{given}
            FROM src
        ),
        checked AS (
            SELECT * EXCLUDE ({flags}),
                   nullif(array_to_string({invalid}, ', '), '') AS _invalid_columns
            FROM typed
        ),
        keyed AS (
            SELECT {duplicate.star} {normalized}, {duplicate.key} AS _dup_key
            FROM checked{duplicate.join}
        )
        SELECT record_id, _delivery, _line, _loaded_at, $staged_with AS _staged_with, _dup_key,
               _invalid_columns, {staged}{identities}
        FROM keyed{token_joins}
        """


def _token_input(column: Column, prefix: str = "") -> str:
    """What a direct identifier's token is computed from: its text (a date as YYYY-MM-DD)."""
    name = prefix + identifier(column.name)
    return f"strftime({name}, '%Y-%m-%d')" if column.type == "date" else name


def _staging_select(column: Column, token: str | None) -> str:
    """A contract column's staging columns; a direct identifier's from its normalized form
    and its token (``token``: the join holding it)."""
    name = identifier(column.name)
    if column.classification != "pii":
        parts = [name]
        if column.match_fold:
            parts.append(f"{match_fold_sql(name)} AS {identifier(column.name + '_match')}")
        return ", ".join(parts)
    parts = [f"{token}.token AS {identifier(column.name + '_token')}"]
    if column.pii_kind == "dob":
        parts.append(f"year({name})::INTEGER AS {identifier(column.name + '_year')}")
    if column.type == "ssn":
        parts.append(
            f"CASE WHEN {name} IS NOT NULL THEN 'valid' "
            f"WHEN list_contains(string_split(_invalid_columns, ', '), '{column.name}') "
            f"THEN 'invalid' ELSE 'missing' END AS {identifier(column.name + '_status')}"
        )
    return ", ".join(parts)
