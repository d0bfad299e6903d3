"""Content hashes of landing files, and the versions the load ledgers already hold.

The landing sensor and `make run` load a file only when its extract's load ledger
(``raw.<extract>_deliveries``) does not hold its content loaded under today's contract, so the
UI started after `make run`, or a second `make run`, reloads nothing. A hash is recomputed only
when the file's inode, size, mtime or ctime changed: ctime moves on every write and cannot be
set back, so a corrected file copied with its old size and modification time is still rehashed.
A symbolic link is never followed: it has no hash, so it is always offered to the load, which
rejects it (the landing folder is confined).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.ingestion.landing import Delivery
from datalabs_pipelines.ingestion.loading import LEDGER, REJECTIONS, LedgerTable
from datalabs_pipelines.ingestion.physical import file_sha256
from datalabs_pipelines.warehouse import (
    WarehouseResource,
    is_lake,
    qualified,
    table_columns,
    table_exists,
)


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def content_hashes(
    found: Iterable[Delivery], cache: dict[str, list]
) -> tuple[dict[str, str | None], dict[str, list]]:
    """path → sha256 for ``found`` (None for a symbolic link), and the new cache (path →
    [stamp, sha256])."""
    hashes: dict[str, str | None] = {}
    fresh: dict[str, list] = {}
    for delivery in found:
        key = str(delivery.path)
        if delivery.path.is_symlink():
            hashes[key] = None
            continue
        stamp = _stamp(delivery.path)
        cached = cache.get(key)
        sha = cached[1] if cached and cached[0] == stamp else file_sha256(delivery.path)
        hashes[key] = sha
        fresh[key] = [stamp, sha]
    return hashes, fresh


def version(sha256: str | None, contract: Contract) -> str | None:
    """What a load is of: the file's content and the contract it was parsed with (an edited
    contract loads every delivery of its extract again). None for a file never hashed."""
    return None if sha256 is None else f"{sha256}:{contract.fingerprint}"


def to_load(
    found: Iterable[Delivery],
    hashes: dict[str, str | None],
    loaded: dict[tuple[str, str], str],
) -> list[Delivery]:
    """The deliveries of ``found`` whose version (``version``) the load ledger does not hold
    (new, replaced, under an edited contract, or never hashed): what the landing sensor and
    `make run` load."""
    wanted = []
    for delivery in found:
        now = version(hashes[str(delivery.path)], delivery.contract)
        if now is None or loaded.get((delivery.contract.name, delivery.name)) != now:
            wanted.append(delivery)
    return wanted


@dataclass(frozen=True)
class Ledger:
    """What the load ledgers hold: (extract, delivery) → the ``version`` loaded, and the
    deliveries in use (not withdrawn, or rejected: the ones a file leaving landing withdraws,
    ``withdraw_missing``'s rule)."""

    versions: dict[tuple[str, str], str] = field(default_factory=dict)
    in_use: frozenset[tuple[str, str]] = frozenset()


def read_ledger(database: str, contracts: Sequence[Contract]) -> Ledger:
    """The load ledgers of ``contracts`` in ``database`` (the warehouse resource's: the
    embedded file or the DuckLake); empty when nothing was loaded.

    Raises ``duckdb.Error`` when the embedded file is held by a writer (the caller retries).
    """
    if is_lake(database):
        with WarehouseResource(database=database).get_connection() as con:
            return _ledger(con, contracts)
    if not Path(database).exists():
        return Ledger()
    with duckdb.connect(database, read_only=True) as con:
        return _ledger(con, contracts)


def _present(
    con: duckdb.DuckDBPyConnection, ledger: LedgerTable, contracts: Sequence[Contract]
) -> list[tuple[str, str]]:
    """The tables of ``ledger`` the warehouse holds: an older warehouse's shared table (or the
    view) first, so that each extract's own table wins, then each extract's."""
    candidates = [ledger.view, *(ledger.of(c) for c in contracts)]
    return [t for t in candidates if table_exists(con, t)]


def _ledger(con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract]) -> Ledger:
    tables = _present(con, LEDGER, contracts)
    if not tables:
        return Ledger()
    union = " UNION ALL ".join(
        f"SELECT extract, delivery, {_version_sql(con, t)}, {_in_use_sql(con, t)} "
        f"FROM {qualified(t)}"
        for t in tables
    )
    rows = {(e, d): (v, used) for e, d, v, used in con.execute(union).fetchall()}
    return Ledger(
        versions={key: v for key, (v, _) in rows.items()},
        in_use=frozenset(key for key, (_, used) in rows.items() if used)
        | _rejected(con, contracts),
    )


def _rejected(con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract]) -> frozenset:
    """The deliveries whose file the load rejected: withdrawn too when the file leaves."""
    tables = _present(con, REJECTIONS, contracts)
    if not tables:
        return frozenset()
    union = " UNION ".join(f"SELECT extract, delivery FROM {qualified(t)}" for t in tables)
    return frozenset(con.execute(union).fetchall())


def _in_use_sql(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> str:
    """Whether a ledger row's delivery is in use: not withdrawn (``withdraw_missing``'s rule)."""
    if "status" not in table_columns(con, table):
        return "true"
    return "coalesce(status, 'loaded') <> 'withdrawn'"


def deleted(found: Iterable[Delivery], ledger: Ledger, landing: Path) -> list[tuple[str, str]]:
    """The deliveries in use whose file has left ``landing`` (``found``: what it holds): the
    next staging of their extract withdraws them (``withdraw_missing``, which withdraws
    nothing while the landing folder itself is absent, and neither does this)."""
    if not landing.is_dir():
        return []
    present = {(d.contract.name, d.name) for d in found}
    return sorted(ledger.in_use - present)


def _version_sql(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> str:
    """A ledger row's ``version``. A withdrawn delivery holds the bytes its withdrawal left in
    landing (none when its file was deleted, so the file landing again loads again); a ledger
    written before ``loaded_with`` existed holds none (every delivery loads once more)."""
    columns = table_columns(con, table)
    if "loaded_with" not in columns:
        return "NULL"
    if "withdrawn_sha256" not in columns:
        return "sha256 || ':' || loaded_with"
    return (
        "CASE WHEN status = 'withdrawn' THEN withdrawn_sha256 ELSE sha256 END || ':' || loaded_with"
    )
