"""Load one delivery into the raw layer, idempotently and atomically.

In one transaction: delete the delivery's earlier rows, insert its records (open columns to
``raw.<extract>``, direct identifiers to ``pii.<extract>_raw``), its unparseable records to
``pii.<extract>_quarantine`` (their text may hold identifiers) and a ledger row to
``raw.<extract>_deliveries``. A rejected file changes none of those tables; the rejection is
recorded in ``raw.<extract>_rejected_deliveries`` so it shows in ``extract_quality``; when the
file replaces a delivery in use, the rejection says ``REPLACEMENT_REJECTED``. Files are
recognised by content hash: a file whose SHA-256 equals a delivery of the extract in use is not
loaded again (its ledger row says ``duplicate of <delivery>``) until that delivery no longer
holds those bytes (``load_resends``). Withdrawing is in ``ledger.py``.

The ledger tables are per extract so that the raw asset that writes them declares them (one
writer per table, shown in the lineage); ``ledger_views.py`` unions each into one view
(``raw.deliveries``, ``raw.rejected_deliveries``, ``pii.quarantine``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.parsing import ParseResult, parse_delivery
from datalabs_pipelines.pause_points import pause_point
from datalabs_pipelines.warehouse import (
    ensure_table,
    qualified,
    table_exists,
    transaction,
    view_exists,
)

LINEAGE_COLUMNS = {"_delivery": "VARCHAR", "_line": "BIGINT", "_loaded_at": "TIMESTAMP"}

REPLACEMENT_REJECTED = "replacement rejected; the previous version is still in use"
DUPLICATE_OF = "duplicate of "  # the status of a delivery whose bytes another one in use holds
_KEYS = {
    "extract": ("VARCHAR", "extract (contract) name"),
    "delivery": ("VARCHAR", "delivery file name"),
}


@dataclass(frozen=True)
class LedgerTable:
    """One of the ledger's tables: ``<schema>.<extract>_<name>`` per extract, and the view
    ``<schema>.<name>`` over all of them."""

    schema: str
    name: str
    description: str
    grain: str
    columns: Mapping[str, tuple[str, str]]  # name → (SQL type, description)

    def of(self, contract: Contract) -> tuple[str, str]:
        return (self.schema, f"{contract.name}_{self.name}")

    @property
    def view(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def sql_types(self) -> dict[str, str]:
        return {name: sql_type for name, (sql_type, _) in self.columns.items()}


LEDGER = LedgerTable(
    "raw",
    "deliveries",
    "The load ledger: one row per delivery ever loaded, with its content hash and counts; "
    "withdrawn deliveries keep their row, with the time and the reason.",
    "one row per delivery file.",
    {
        **_KEYS,
        "sha256": ("VARCHAR", "SHA-256 of the file's bytes"),
        "size_bytes": ("BIGINT", "file size"),
        "physical_lines": ("BIGINT", "lines in the file"),
        "records_in_file": ("BIGINT", "records the file holds"),
        "rows_loaded": ("BIGINT", "records loaded into the raw layer"),
        "rows_quarantined": ("BIGINT", "records that could not be parsed"),
        "blank_lines": ("BIGINT", "blank lines skipped"),
        "unexpected_columns": ("VARCHAR", "columns the file holds that the contract does not"),
        "loaded_at": ("TIMESTAMP", "when the delivery was loaded"),
        "status": ("VARCHAR", "loaded, withdrawn, or duplicate of <delivery>"),
        "withdrawn_at": ("TIMESTAMP", "when the delivery was withdrawn"),
        "withdrawn_reason": ("VARCHAR", "a steward's words, or that its file was deleted"),
        "withdrawn_sha256": ("VARCHAR", "the bytes left in landing by `datalabs withdraw`"),
        "loaded_with": ("VARCHAR", "fingerprint of the contract the delivery was loaded with"),
    },
)
REJECTIONS = LedgerTable(
    "raw",
    "rejected_deliveries",
    "Delivery files rejected as a whole, and the contract rule each broke (no values).",
    "one row per rejected delivery file.",
    {
        **_KEYS,
        "rule": ("VARCHAR", "contract rule the file broke"),
        "line": ("BIGINT", "line of the problem, if one"),
        "column_name": ("VARCHAR", "column of the problem, if one"),
        "message": ("VARCHAR", "what is wrong, naming file, line, column and rule, no values"),
        "rejected_at": ("TIMESTAMP", "when the file was rejected"),
    },
)
QUARANTINE = LedgerTable(
    "pii",
    "quarantine",
    "Records that could not be parsed, with their text (which may hold identifiers).",
    "one row per quarantined record.",
    {
        **_KEYS,
        "line": ("BIGINT", "line where the record starts"),
        "reason": ("VARCHAR", "why it could not be parsed (no values)"),
        "raw_text": ("VARCHAR", "the record's text as delivered"),
        "quarantined_at": ("TIMESTAMP", "when the record was quarantined"),
    },
)
LEDGER_TABLES = (LEDGER, REJECTIONS, QUARANTINE)
LEDGER_COLUMNS = LEDGER.sql_types


def raw_table(contract: Contract) -> tuple[str, str]:
    return ("raw", contract.name)


def pii_raw_table(contract: Contract) -> tuple[str, str]:
    return ("pii", f"{contract.name}_raw")


@dataclass(frozen=True)
class LoadResult:
    delivery: str
    parse: ParseResult
    rows_loaded: int
    rows_quarantined: int
    quarantine_reasons: dict[str, int]


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    for table in LEDGER_TABLES:
        ensure_ledger_table(con, table, contract)
    ensure_table(
        con,
        raw_table(contract),
        {**LINEAGE_COLUMNS, **{c.name: "VARCHAR" for c in contract.open_columns}},
    )
    if contract.pii_columns:
        ensure_table(
            con,
            pii_raw_table(contract),
            {
                "_delivery": "VARCHAR",
                "_line": "BIGINT",
                **{c.name: "VARCHAR" for c in contract.pii_columns},
            },
        )


def load_delivery(
    con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, delivery: str
) -> LoadResult:
    """Replace ``delivery``'s rows with the contents of ``path``; raise if the file is rejected."""
    keys = {"extract": contract.name, "delivery": delivery}
    with transaction(con):  # on DuckLake one catalog round trip, not one per statement
        ensure_raw_tables(con, contract)
    try:
        parse = parse_delivery(con, path, contract)  # not in a transaction: it reads rowids
    except DeliveryRejected as exc:
        if _in_use(con, contract, keys):
            exc = DeliveryRejected(
                exc.path, exc.rule, f"{exc.detail}; {REPLACEMENT_REJECTED}",
                contract=exc.contract, line=exc.line, column=exc.column,
            )  # fmt: skip
        record_rejection(con, contract, delivery, exc)
        raise exc from None
    raw, pii_raw = qualified(raw_table(contract)), qualified(pii_raw_table(contract))
    with transaction(con):
        twin, recorded, rejected = _known(con, contract, keys, parse.sha256)
        if twin is not None:  # the same bytes under another name: nothing new to load
            con.execute("DELETE FROM _parsed")
            con.execute("DELETE FROM _quarantined")
        if recorded:  # loaded or withdrawn before: its rows are replaced
            delete_rows(con, contract, keys, LEDGER)
        open_cols = ", ".join(c.name for c in contract.open_columns)
        con.execute(
            f"INSERT INTO {raw} (_delivery, _line, _loaded_at, {open_cols}) "
            f"SELECT $delivery, _line, now()::TIMESTAMP, {open_cols} FROM _parsed",
            {"delivery": delivery},
        )
        if contract.pii_columns:
            pii_cols = ", ".join(c.name for c in contract.pii_columns)
            con.execute(
                f"INSERT INTO {pii_raw} (_delivery, _line, {pii_cols}) "
                f"SELECT $delivery, _line, {pii_cols} FROM _parsed",
                {"delivery": delivery},
            )
        con.execute(
            f"INSERT INTO {qualified(QUARANTINE.of(contract))} SELECT $extract, $delivery, "
            "_line, reason, raw_text, now()::TIMESTAMP FROM _quarantined",
            keys,
        )
        loaded = con.execute("SELECT count(*) FROM _parsed").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _quarantined").fetchone()[0]
        con.execute(
            f"INSERT INTO {qualified(LEDGER.of(contract))} ({', '.join(LEDGER_COLUMNS)}) VALUES "
            "($extract, $delivery, $sha, $size, $lines, $records, $loaded, $quarantined, $blank, "
            "$unexpected, now()::TIMESTAMP, $status, NULL, NULL, NULL, $loaded_with)",
            {
                **keys,
                "sha": parse.sha256,
                "size": parse.size_bytes,
                "lines": parse.physical_lines,
                "records": parse.records,
                "loaded": loaded,
                "quarantined": quarantined,
                "blank": parse.blank_lines,
                "unexpected": ", ".join(str(c) for c in parse.unexpected_columns) or None,
                "status": "loaded" if twin is None else f"{DUPLICATE_OF}{twin}",
                "loaded_with": contract.fingerprint,
            },
        )
        if rejected:  # an earlier version was rejected: this one is not
            con.execute(
                f"DELETE FROM {qualified(REJECTIONS.of(contract))} WHERE extract = $extract "
                "AND delivery = $delivery",
                keys,
            )
        reasons = dict(
            con.execute(
                "SELECT regexp_replace(reason, '[0-9]+', 'N', 'g') AS r, count(*) "
                "FROM _quarantined GROUP BY r ORDER BY r"
            ).fetchall()
        )
        pause_point("ingest.before_commit", delivery)
    if recorded:  # a resend is recorded as the duplicate of a delivery the ledger held
        load_resends(con, contract, [delivery], path.parent)
    return LoadResult(delivery, parse, loaded, quarantined, reasons)


def _known(
    con: duckdb.DuckDBPyConnection, contract: Contract, keys: dict[str, str], sha256: str
) -> tuple[str | None, bool, bool]:
    """What the ledgers hold of this delivery: the loaded delivery with the same bytes under
    another name (or None), whether the load ledger records it (loaded, a duplicate or
    withdrawn), and whether the rejection ledger does.

    Its rows in raw, pii raw and quarantine are written in the transaction that writes its
    ledger row, and a ledger row is never removed but in that transaction: a delivery the
    ledger does not record has no rows to delete. On DuckLake each DELETE is a scan of the
    table's files (17 to 36 ms each in a scale-0.05 build even when nothing matches), five for
    every new delivery."""
    ledger, rejections = qualified(LEDGER.of(contract)), qualified(REJECTIONS.of(contract))
    return con.execute(
        "SELECT min(delivery) FILTER (WHERE delivery <> $delivery AND sha256 = $sha "
        "AND coalesce(status, 'loaded') = 'loaded'), coalesce(bool_or(delivery = $delivery), "
        f"false), EXISTS (SELECT 1 FROM {rejections} WHERE extract = $extract "
        f"AND delivery = $delivery) FROM {ledger} WHERE extract = $extract",
        {**keys, "sha": sha256},
    ).fetchone()


def delete_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    keys: dict[str, str],
    ledger: LedgerTable,
) -> None:
    """Delete the delivery's (``keys``) rows from raw, pii raw, quarantine and ``ledger``: the
    load ledger for a reload, the rejection ledger for a withdrawal."""
    tables = [raw_table(contract)] + ([pii_raw_table(contract)] if contract.pii_columns else [])
    for table in tables:
        con.execute(
            f"DELETE FROM {qualified(table)} WHERE _delivery = $delivery",
            {"delivery": keys["delivery"]},
        )
    for table in (QUARANTINE.of(contract), ledger.of(contract)):
        con.execute(
            f"DELETE FROM {qualified(table)} WHERE extract = $extract AND delivery = $delivery",
            keys,
        )


def load_resends(
    con: duckdb.DuckDBPyConnection, contract: Contract, replaced: Sequence[str], folder: Path
) -> list[str]:
    """Load the deliveries recorded as duplicates of a ``replaced`` one that no longer holds
    their bytes (withdrawn, or loaded again with other bytes) and whose files are in
    ``folder`` (the extract's landing folder); return their names.

    A resend of a delivery under another name is recorded as its duplicate and not loaded.
    Once the first name no longer holds those bytes, the resend is a delivery of its own, as
    a build from scratch would load it: left a duplicate, its rows would be lost. Loaded in
    name order, so a second resend becomes the first's duplicate, as from scratch.
    """
    if not replaced:
        return []
    resends = con.execute(
        f"SELECT y.delivery FROM {qualified(LEDGER.of(contract))} y "
        f"JOIN {qualified(LEDGER.of(contract))} x "
        f"ON x.extract = y.extract AND y.status = '{DUPLICATE_OF}' || x.delivery "
        "WHERE y.extract = $extract AND list_contains($replaced, x.delivery) "
        "AND (x.status = 'withdrawn' OR x.sha256 <> y.sha256) ORDER BY y.delivery",
        {"extract": contract.name, "replaced": list(replaced)},
    ).fetchall()
    loaded = [d for (d,) in resends if (folder / d).is_file()]
    for delivery in loaded:
        load_delivery(con, contract, folder / delivery, delivery)
    return loaded


def ensure_ledger_table(
    con: duckdb.DuckDBPyConnection, table: LedgerTable, contract: Contract
) -> None:
    """Create ``contract``'s ``table`` if missing (from its rows of a shared table left by an
    older warehouse); add columns a newer ledger has."""
    adopt_shared_rows(con, table, contract)
    ensure_table(con, table.of(contract), table.sql_types)


def shared_table_exists(con: duckdb.DuckDBPyConnection, table: LedgerTable) -> bool:
    """A warehouse from before the per-extract split holds ``table`` as one shared table
    where its view now goes."""
    return table_exists(con, table.view) and not view_exists(con, table.view)


def adopt_shared_rows(
    con: duckdb.DuckDBPyConnection, table: LedgerTable, contract: Contract
) -> None:
    """Start ``contract``'s ledger table with its rows of the shared table, if there is one
    (once: the shared table goes when ``ledger_views`` puts the view in its place)."""
    if table_exists(con, table.of(contract)) or not shared_table_exists(con, table):
        return
    con.execute(
        f"CREATE TABLE {qualified(table.of(contract))} AS "
        f"SELECT * FROM {qualified(table.view)} WHERE extract = ?",
        [contract.name],
    )


def _in_use(con: duckdb.DuckDBPyConnection, contract: Contract, keys: dict[str, str]) -> bool:
    """The ledger has this delivery loaded and not withdrawn."""
    return bool(
        con.execute(
            f"SELECT count(*) FROM {qualified(LEDGER.of(contract))} WHERE extract = $extract "
            "AND delivery = $delivery AND coalesce(status, 'loaded') = 'loaded'",
            keys,
        ).fetchone()[0]
    )


def record_rejection(
    con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str, exc: DeliveryRejected
) -> None:
    """Replace ``delivery``'s row in the rejection ledger (its message holds no values)."""
    ensure_ledger_table(con, REJECTIONS, contract)
    keys = {"extract": contract.name, "delivery": delivery}
    table = qualified(REJECTIONS.of(contract))
    con.execute(f"DELETE FROM {table} WHERE extract = $extract AND delivery = $delivery", keys)
    con.execute(
        f"INSERT INTO {table} VALUES ($extract, $delivery, $rule, $line, "
        "$column, $message, now()::TIMESTAMP)",
        {**keys, "rule": exc.rule, "line": exc.line, "column": exc.column, "message": str(exc)},
    )


def reconcile(con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str) -> dict:
    """Records in the file (from the ledger) against rows actually present in the tables."""
    keys = {"extract": contract.name, "delivery": delivery}
    ledger = con.execute(
        f"SELECT CASE WHEN coalesce(status, 'loaded') = 'loaded' THEN records_in_file ELSE 0 END "
        f"FROM {qualified(LEDGER.of(contract))} WHERE extract = $extract AND delivery = $delivery",
        keys,
    ).fetchone()
    loaded = con.execute(
        f"SELECT count(*) FROM {qualified(raw_table(contract))} WHERE _delivery = $delivery",
        {"delivery": delivery},
    ).fetchone()[0]
    quarantined = con.execute(
        f"SELECT count(*) FROM {qualified(QUARANTINE.of(contract))} WHERE extract = $extract "
        "AND delivery = $delivery",
        keys,
    ).fetchone()[0]
    records = ledger[0] if ledger else None
    return {
        "records_in_file": records,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "reconciles": records is not None and records == loaded + quarantined,
    }
