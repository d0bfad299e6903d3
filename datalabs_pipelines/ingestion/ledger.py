"""The delivery ledger: which deliveries are in use, which were withdrawn, and why.

``raw.<extract>_deliveries`` keeps one row per delivery ever loaded, with its content hash and
counts. A delivery is withdrawn in one of two ways, both through ``withdraw``: its file is deleted
from the extract's landing folder (the next run notices: the raw and staging steps call
``withdraw_missing``), or ``datalabs withdraw <file>`` marks it while the file stays (the
next run skips those bytes: ``withdrawn_in_place``). Its rows leave raw, the pii raw table
and quarantine at once, staging is rebuilt without them on the next run and the next snapshot
follows; its ledger row stays, with status ``withdrawn``, the time and the reason. New bytes
under the name are a new delivery, and a resend of its bytes under another name, recorded as
its duplicate, is loaded in its place (``loading.load_resends``). A file that is replaced
(same name, new content) and rejected leaves the previous version in use, reported everywhere
as ``loading.REPLACEMENT_REJECTED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.loading import (
    LEDGER,
    REJECTIONS,
    adopt_shared_rows,
    delete_rows,
    ensure_ledger_table,
    ensure_raw_tables,
    load_resends,
    raw_table,
)
from datalabs_pipelines.ingestion.physical import file_sha256
from datalabs_pipelines.warehouse import qualified, table_exists, transaction

FILE_DELETED = "its file was deleted from landing"


def withdraw(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    delivery: str,
    reason: str = FILE_DELETED,
    left_in_landing: str | None = None,
) -> None:
    """Remove ``delivery``'s rows from raw, pii raw, quarantine and rejections; keep its record
    with the reason and the hash of the bytes ``left_in_landing`` (which later runs skip)."""
    ensure_raw_tables(con, contract)
    keys = {"extract": contract.name, "delivery": delivery}
    noted = {**keys, "reason": reason, "left": left_in_landing}
    with transaction(con):
        delete_rows(con, contract, keys, REJECTIONS)
        con.execute(
            f"UPDATE {qualified(LEDGER.of(contract))} SET status = 'withdrawn', "
            "withdrawn_at = now()::TIMESTAMP, withdrawn_reason = $reason, "
            "withdrawn_sha256 = $left WHERE extract = $extract AND delivery = $delivery",
            noted,
        )
        # a file that was only ever rejected gets its record too
        con.execute(
            f"INSERT INTO {qualified(LEDGER.of(contract))} (extract, delivery, status, "
            "withdrawn_at, withdrawn_reason, withdrawn_sha256) "
            "SELECT $extract, $delivery, 'withdrawn', now()::TIMESTAMP, $reason, $left "
            "WHERE NOT EXISTS (SELECT 1 FROM "
            f"{qualified(LEDGER.of(contract))} WHERE extract = $extract AND delivery = $delivery)",
            noted,
        )


def withdraw_missing(
    con: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path
) -> list[str]:
    """Withdraw every delivery not yet withdrawn (or rejected) whose file left landing.

    Nothing is withdrawn when the landing folder itself is absent: an unmounted landing is not
    a steward deleting files.
    """
    if not landing_dir.is_dir():
        return []
    for table in (LEDGER, REJECTIONS):
        adopt_shared_rows(con, table, contract)
    if not all(
        table_exists(con, t)
        for t in (LEDGER.of(contract), REJECTIONS.of(contract), raw_table(contract))
    ):
        return []
    folder = landing_dir / contract.agency / contract.name
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    known = con.execute(
        f"SELECT delivery FROM {qualified(LEDGER.of(contract))} WHERE extract = $extract "
        "AND coalesce(status, 'loaded') <> 'withdrawn' UNION SELECT delivery FROM "
        f"{qualified(REJECTIONS.of(contract))} WHERE extract = $extract",
        {"extract": contract.name},
    ).fetchall()
    gone = sorted(d for (d,) in known if d not in present)
    for delivery in gone:
        withdraw(con, contract, delivery)
    load_resends(con, contract, gone, landing_dir / contract.agency / contract.name)
    return gone


def withdrawn_in_place(
    con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str, path: Path
) -> bool:
    """``delivery`` was withdrawn by command and ``path`` still holds the bytes it left (the
    file is hashed only when such a withdrawal is on record)."""
    ensure_ledger_table(con, LEDGER, contract)  # a ledger older than the column
    row = con.execute(
        f"SELECT withdrawn_sha256 FROM {qualified(LEDGER.of(contract))} WHERE extract = $extract "
        "AND delivery = $delivery AND status = 'withdrawn' AND withdrawn_sha256 IS NOT NULL",
        {"extract": contract.name, "delivery": delivery},
    ).fetchone()
    return row is not None and row[0] == file_sha256(path)


class UnknownDelivery(LookupError):
    """The delivery named on the command line is not in landing nor in the ledger."""


def find_delivery(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    target: str,
    landing_dir: Path,
) -> tuple[Contract, str]:
    """The contract and delivery ``target`` names: a file in an extract's landing folder (by
    path), or a delivery name as the ledger and ``extract_quality`` show it (``extract/name``
    when two extracts have a delivery of that name)."""
    path = Path(target)
    for contract in contracts:
        folder = (landing_dir / contract.agency / contract.name).resolve()
        if path.parent != Path() and path.resolve().parent == folder:
            return contract, path.name
    extract, _, name = target.rpartition("/")
    by_name = {c.name: c for c in contracts if not extract or c.name == extract}
    found = set()
    # each extract's tables, and the views over them (or an older warehouse's shared tables)
    tables = [t.of(c) for c in by_name.values() for t in (LEDGER, REJECTIONS)]
    for table in [*tables, LEDGER.view, REJECTIONS.view]:
        if table_exists(con, table):
            found |= set(
                con.execute(
                    f"SELECT DISTINCT extract FROM {qualified(table)} WHERE delivery = ?", [name]
                ).fetchall()
            )
    for contract in by_name.values():
        if (landing_dir / contract.agency / contract.name / name).is_file():
            found.add((contract.name,))
    matches = sorted(e for (e,) in found if e in by_name)
    if len(matches) == 1:
        return by_name[matches[0]], name
    if not matches:
        raise UnknownDelivery(f"no delivery {target!r} in landing or in the ledger")
    raise UnknownDelivery(
        f"deliveries named {name!r} in {', '.join(matches)}: say which as <extract>/{name}"
    )
