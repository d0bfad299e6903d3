"""The delivery ledger: which deliveries are in use, which were withdrawn, and why.

``raw.deliveries`` keeps one row per delivery ever loaded, with its content hash and counts.
Withdrawing a delivery is deleting its file from the extract's landing folder: the next run
notices (the extract's staging step calls ``withdraw_missing`` before it builds), its rows
leave raw, the pii raw table and quarantine, staging is rebuilt without them and the next
snapshot follows; its ledger row stays, with status ``withdrawn``. A file that is replaced
(same name, new content) and rejected leaves the previous version in use, reported everywhere
as ``loading.REPLACEMENT_REJECTED``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.loading import (
    LEDGER,
    LEDGER_COLUMNS,
    QUARANTINE,
    REJECTIONS,
    ensure_raw_tables,
    pii_raw_table,
    raw_table,
)
from datalabs_pipelines.warehouse import qualified, table_exists


def withdraw(con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str) -> None:
    """Remove ``delivery``'s rows from raw, pii raw, quarantine and rejections; keep its record."""
    ensure_raw_tables(con, contract)
    keys = {"extract": contract.name, "delivery": delivery}
    con.execute("BEGIN TRANSACTION")
    try:
        tables = [raw_table(contract)] + ([pii_raw_table(contract)] if contract.pii_columns else [])
        for table in tables:
            con.execute(
                f"DELETE FROM {qualified(table)} WHERE _delivery = $delivery",
                {"delivery": delivery},
            )
        for table in (QUARANTINE, REJECTIONS):
            con.execute(
                f"DELETE FROM {qualified(table)} WHERE extract = $extract AND delivery = $delivery",
                keys,
            )
        con.execute(
            f"UPDATE {qualified(LEDGER)} SET status = 'withdrawn', withdrawn_at = now()::TIMESTAMP "
            "WHERE extract = $extract AND delivery = $delivery",
            keys,
        )
        # a file that was only ever rejected gets its record too
        con.execute(
            f"INSERT INTO {qualified(LEDGER)} ({', '.join(LEDGER_COLUMNS)}) "
            "SELECT $extract, $delivery, "
            + ", ".join(["NULL"] * (len(LEDGER_COLUMNS) - 4))
            + ", 'withdrawn', now()::TIMESTAMP WHERE NOT EXISTS (SELECT 1 FROM "
            f"{qualified(LEDGER)} WHERE extract = $extract AND delivery = $delivery)",
            keys,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def withdraw_missing(
    con: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path
) -> list[str]:
    """Withdraw every delivery not yet withdrawn (or rejected) whose file left landing.

    Nothing is withdrawn when the landing folder itself is absent: an unmounted landing is not
    a steward deleting files.
    """
    if not landing_dir.is_dir() or not all(
        table_exists(con, t) for t in (LEDGER, REJECTIONS, raw_table(contract))
    ):
        return []
    folder = landing_dir / contract.agency / contract.name
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    known = con.execute(
        f"SELECT delivery FROM {qualified(LEDGER)} WHERE extract = $extract "
        "AND coalesce(status, 'loaded') <> 'withdrawn' "
        f"UNION SELECT delivery FROM {qualified(REJECTIONS)} WHERE extract = $extract",
        {"extract": contract.name},
    ).fetchall()
    gone = sorted(d for (d,) in known if d not in present)
    for delivery in gone:
        withdraw(con, contract, delivery)
    return gone
