"""Content hashes of landing files, and the hashes the load ledger already holds.

The landing sensor requests a load only for a file whose content its extract's load ledger
(``raw.<extract>_deliveries``) does not hold, so the UI started after `make run` reloads
nothing. A hash is recomputed only when the file's inode, size, mtime or ctime changed: ctime
moves on every write and cannot be set back, so a corrected file copied with its old size and
modification time is still rehashed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.landing import Delivery
from datalabs_pipelines.ingestion.loading import LEDGER
from datalabs_pipelines.ingestion.physical import file_sha256
from datalabs_pipelines.warehouse import WarehouseResource, is_lake, qualified, table_exists


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def content_hashes(
    found: Iterable[Delivery], cache: dict[str, list]
) -> tuple[dict[str, str], dict[str, list]]:
    """path → sha256 for ``found``, and the new cache (path → [stamp, sha256])."""
    hashes: dict[str, str] = {}
    fresh: dict[str, list] = {}
    for delivery in found:
        key = str(delivery.path)
        stamp = _stamp(delivery.path)
        cached = cache.get(key)
        sha = cached[1] if cached and cached[0] == stamp else file_sha256(delivery.path)
        hashes[key] = sha
        fresh[key] = [stamp, sha]
    return hashes, fresh


def loaded_hashes(database: str, contracts: Sequence[Contract]) -> dict[tuple[str, str], str]:
    """(extract, delivery) → sha256 from the load ledgers of ``contracts`` in ``database`` (the
    warehouse resource's: the embedded file or the DuckLake); empty when nothing was loaded.

    Raises ``duckdb.Error`` when the embedded file is held by a writer (the caller retries).
    """
    if is_lake(database):
        with WarehouseResource(database=database).get_connection() as con:
            return _ledger(con, contracts)
    if not Path(database).exists():
        return {}
    with duckdb.connect(database, read_only=True) as con:
        return _ledger(con, contracts)


def _ledger(
    con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract]
) -> dict[tuple[str, str], str]:
    # an older warehouse's shared table (or the view) first: each extract's own ledger wins
    tables = [t for t in [LEDGER.view, *(LEDGER.of(c) for c in contracts)] if table_exists(con, t)]
    if not tables:
        return {}
    union = " UNION ALL ".join(
        f"SELECT extract, delivery, sha256 FROM {qualified(t)}" for t in tables
    )
    return {(e, d): s for e, d, s in con.execute(union).fetchall()}
