"""Load one delivery into the raw layer, idempotently and atomically.

In one transaction: delete the delivery's earlier rows, insert its records (open columns to
``raw.<extract>``, direct identifiers to ``pii.<extract>_raw``), its unparseable records to
``pii.quarantine`` (their text may hold identifiers) and a ledger row to ``raw.deliveries``.
A rejected file changes none of those tables; the rejection is recorded in
``raw.rejected_deliveries`` so it shows in ``extract_quality``; when the file replaces a
delivery in use, the rejection says ``REPLACEMENT_REJECTED``. Files are recognised by content
hash: a file whose SHA-256 equals a delivery of the extract in use is not loaded again (its
ledger row says ``duplicate of <delivery>``). Withdrawing is in ``ledger.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.parsing import ParseResult, parse_delivery
from datalabs_pipelines.pause_points import pause_point
from datalabs_pipelines.warehouse import ensure_table, qualified, transaction

LINEAGE_COLUMNS = {"_delivery": "VARCHAR", "_line": "BIGINT", "_loaded_at": "TIMESTAMP"}

LEDGER = ("raw", "deliveries")
LEDGER_COLUMNS = {
    "extract": "VARCHAR",
    "delivery": "VARCHAR",
    "sha256": "VARCHAR",
    "size_bytes": "BIGINT",
    "physical_lines": "BIGINT",
    "records_in_file": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_quarantined": "BIGINT",
    "blank_lines": "BIGINT",
    "unexpected_columns": "VARCHAR",
    "loaded_at": "TIMESTAMP",
    "status": "VARCHAR",  # loaded, withdrawn, or "duplicate of <delivery>"
    "withdrawn_at": "TIMESTAMP",
    "withdrawn_reason": "VARCHAR",  # a steward's words, or ledger.FILE_DELETED
    "withdrawn_sha256": "VARCHAR",  # the bytes left in landing by `datalabs withdraw`
}
REPLACEMENT_REJECTED = "replacement rejected; the previous version is still in use"
REJECTIONS = ("raw", "rejected_deliveries")
REJECTION_COLUMNS = {
    "extract": "VARCHAR",
    "delivery": "VARCHAR",
    "rule": "VARCHAR",
    "line": "BIGINT",
    "column_name": "VARCHAR",
    "message": "VARCHAR",
    "rejected_at": "TIMESTAMP",
}
QUARANTINE = ("pii", "quarantine")
QUARANTINE_COLUMNS = {
    "extract": "VARCHAR",
    "delivery": "VARCHAR",
    "line": "BIGINT",
    "reason": "VARCHAR",
    "raw_text": "VARCHAR",
    "quarantined_at": "TIMESTAMP",
}


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
    ensure_table(con, LEDGER, LEDGER_COLUMNS)
    ensure_table(con, REJECTIONS, REJECTION_COLUMNS)
    ensure_table(con, QUARANTINE, QUARANTINE_COLUMNS)
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
        if _in_use(con, keys):
            exc = DeliveryRejected(
                exc.path, exc.rule, f"{exc.detail}; {REPLACEMENT_REJECTED}",
                contract=exc.contract, line=exc.line, column=exc.column,
            )  # fmt: skip
        record_rejection(con, contract, delivery, exc)
        raise exc from None
    raw, pii_raw = qualified(raw_table(contract)), qualified(pii_raw_table(contract))
    with transaction(con):
        twin = con.execute(
            f"SELECT min(delivery) FROM {qualified(LEDGER)} WHERE extract = $extract AND "
            "delivery <> $delivery AND sha256 = $sha AND coalesce(status, 'loaded') = 'loaded'",
            {**keys, "sha": parse.sha256},
        ).fetchone()[0]
        if twin is not None:  # the same bytes under another name: nothing new to load
            con.execute("DELETE FROM _parsed")
            con.execute("DELETE FROM _quarantined")
        con.execute(f"DELETE FROM {raw} WHERE _delivery = $delivery", {"delivery": delivery})
        open_cols = ", ".join(c.name for c in contract.open_columns)
        con.execute(
            f"INSERT INTO {raw} (_delivery, _line, _loaded_at, {open_cols}) "
            f"SELECT $delivery, _line, now()::TIMESTAMP, {open_cols} FROM _parsed",
            {"delivery": delivery},
        )
        if contract.pii_columns:
            pii_cols = ", ".join(c.name for c in contract.pii_columns)
            con.execute(
                f"DELETE FROM {pii_raw} WHERE _delivery = $delivery", {"delivery": delivery}
            )
            con.execute(
                f"INSERT INTO {pii_raw} (_delivery, _line, {pii_cols}) "
                f"SELECT $delivery, _line, {pii_cols} FROM _parsed",
                {"delivery": delivery},
            )
        for table in (QUARANTINE, LEDGER):
            con.execute(
                f"DELETE FROM {qualified(table)} WHERE extract = $extract AND delivery = $delivery",
                keys,
            )
        con.execute(
            f"INSERT INTO {qualified(QUARANTINE)} SELECT $extract, $delivery, _line, reason, "
            "raw_text, now()::TIMESTAMP FROM _quarantined",
            keys,
        )
        loaded = con.execute("SELECT count(*) FROM _parsed").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _quarantined").fetchone()[0]
        con.execute(
            f"INSERT INTO {qualified(LEDGER)} ({', '.join(LEDGER_COLUMNS)}) VALUES "
            "($extract, $delivery, $sha, $size, $lines, $records, $loaded, $quarantined, $blank, "
            "$unexpected, now()::TIMESTAMP, $status, NULL, NULL, NULL)",
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
                "status": "loaded" if twin is None else f"duplicate of {twin}",
            },
        )
        con.execute(
            f"DELETE FROM {qualified(REJECTIONS)} WHERE extract = $extract "
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
    return LoadResult(delivery, parse, loaded, quarantined, reasons)


def _in_use(con: duckdb.DuckDBPyConnection, keys: dict[str, str]) -> bool:
    """The ledger has this delivery loaded and not withdrawn."""
    return bool(
        con.execute(
            f"SELECT count(*) FROM {qualified(LEDGER)} WHERE extract = $extract "
            "AND delivery = $delivery AND coalesce(status, 'loaded') = 'loaded'",
            keys,
        ).fetchone()[0]
    )


def record_rejection(
    con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str, exc: DeliveryRejected
) -> None:
    """Replace ``delivery``'s row in the rejection ledger (its message holds no values)."""
    ensure_table(con, REJECTIONS, REJECTION_COLUMNS)
    keys = {"extract": contract.name, "delivery": delivery}
    con.execute(
        f"DELETE FROM {qualified(REJECTIONS)} WHERE extract = $extract AND delivery = $delivery",
        keys,
    )
    con.execute(
        f"INSERT INTO {qualified(REJECTIONS)} VALUES ($extract, $delivery, $rule, $line, "
        "$column, $message, now()::TIMESTAMP)",
        {**keys, "rule": exc.rule, "line": exc.line, "column": exc.column, "message": str(exc)},
    )


def reconcile(con: duckdb.DuckDBPyConnection, contract: Contract, delivery: str) -> dict:
    """Records in the file (from the ledger) against rows actually present in the tables."""
    keys = {"extract": contract.name, "delivery": delivery}
    ledger = con.execute(
        f"SELECT CASE WHEN coalesce(status, 'loaded') = 'loaded' THEN records_in_file ELSE 0 END "
        f"FROM {qualified(LEDGER)} WHERE extract = $extract AND delivery = $delivery",
        keys,
    ).fetchone()
    loaded = con.execute(
        f"SELECT count(*) FROM {qualified(raw_table(contract))} WHERE _delivery = $delivery",
        {"delivery": delivery},
    ).fetchone()[0]
    quarantined = con.execute(
        f"SELECT count(*) FROM {qualified(QUARANTINE)} WHERE extract = $extract "
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
