"""``staging.extract_status``: per extract, delivered or not, loaded or held back, and why.

Each staging step reports its extract's status in its materialization's metadata, so any subset
of extracts is a valid deployment: an extract with no delivery is "not delivered" (its staging
table exists, empty, with the contract's columns), and a rejected candidate is "held back" with
the failing checks, their row counts and the first delivery lines (never values). The
``staging_reports`` asset writes the table; marts read it to decide whether they are
measurable, fresh or held back; `make run` and the dashboard print it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg
import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.loading import LEDGER
from datalabs_pipelines.quality.expectations import Outcome
from datalabs_pipelines.warehouse import ensure_table, qualified, table_exists

EXTRACT_STATUS = ("staging", "extract_status")
EXTRACT_STATUS_KEY = dg.AssetKey(["staging", "platform", "extract_status"])
LOADED, NOT_DELIVERED, HELD_BACK = "loaded", "not delivered", "held back"
STATUS_SCHEMA = {
    "extract": ("VARCHAR", "extract (contract) name"),
    "agency": ("VARCHAR", "agency that delivers the extract"),
    "domain": ("VARCHAR", "domain the extract belongs to"),
    "status": ("VARCHAR", "loaded, not delivered or held back"),
    "deliveries": ("BIGINT", "deliveries in use in the ledger"),
    "live_rows": ("BIGINT", "rows of the live staging table"),
    "candidate_rows": ("BIGINT", "rows of the last candidate"),
    "reason": ("VARCHAR", "failing blocking checks of a held-back extract (no values)"),
    "updated_at": ("TIMESTAMP", "when this table was written"),
}
STATUS_COLUMNS = {name: sql_type for name, (sql_type, _) in STATUS_SCHEMA.items()}


def delivery_count(con: duckdb.DuckDBPyConnection, contract: Contract) -> int:
    """Deliveries of ``contract`` in use in the ledger (0: not delivered, or all withdrawn)."""
    if not table_exists(con, LEDGER.of(contract)):
        return 0
    return con.execute(
        f"SELECT count(*) FROM {qualified(LEDGER.of(contract))} WHERE extract = ? "
        "AND coalesce(status, 'loaded') = 'loaded'",
        [contract.name],
    ).fetchone()[0]


def failure_reason(outcomes: Iterable[Outcome]) -> str | None:
    """The failing ERROR checks: name, rows, first record ids (delivery:line), no values."""
    parts = []
    for o in outcomes:
        if o.severity != "error" or o.passed:
            continue
        count = o.unexpected_count
        rows = "failed" if count is None else f"{count} row{'s' if count != 1 else ''}"
        lines = f", first at {', '.join(o.sample_keys[:3])}" if o.sample_keys else ""
        parts.append(f"{o.name}: {rows}{lines}")
    return "; ".join(parts) or None


def write_statuses(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple]) -> None:
    """Replace the table's rows with ``(extract, agency, domain, status, deliveries,
    live_rows, candidate_rows, reason)`` rows."""
    ensure_table(con, EXTRACT_STATUS, STATUS_COLUMNS)
    con.execute(f"DELETE FROM {qualified(EXTRACT_STATUS)}")
    if rows:
        con.executemany(
            f"INSERT INTO {qualified(EXTRACT_STATUS)} VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            "now()::TIMESTAMP)",
            rows,
        )


def extract_statuses(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    """extract → (status, reason); extracts never staged are absent."""
    ensure_table(con, EXTRACT_STATUS, STATUS_COLUMNS)
    return {
        e: (s, r)
        for e, s, r in con.execute(
            f"SELECT extract, status, reason FROM {qualified(EXTRACT_STATUS)}"
        ).fetchall()
    }
