"""Stable ``vendor_key``s: a business keeps its key across runs and new deliveries.

``integrated.vendor_key_assignments`` remembers the key of every record ever seen, by its
source's own id (vendor id, certification number), so a re-delivered file with other line
numbers changes nothing. Each run, every cluster of records takes the previous key most of
its members held (a key held by members of several clusters stays with the largest); a
cluster with none mints a key from its first member's id, so a fresh warehouse gives the same
keys. Every change (new record, merge, split) is appended to ``integrated.vendor_key_changes``
with the Dagster run id.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from datalabs_pipelines.warehouse import ensure_table, qualified

ASSIGNMENTS = ("integrated", "vendor_key_assignments")
ASSIGNMENT_COLUMNS = {
    "source_extract": "VARCHAR",
    "source_id": "VARCHAR",
    "record_id": "VARCHAR",
    "vendor_key": "VARCHAR",
    "run_id": "VARCHAR",
    "assigned_at": "TIMESTAMP",
}
CHANGES = ("integrated", "vendor_key_changes")
CHANGE_COLUMNS = {
    "run_id": "VARCHAR",
    "changed_at": "TIMESTAMP",
    "source_extract": "VARCHAR",
    "source_id": "VARCHAR",
    "record_id": "VARCHAR",
    "old_vendor_key": "VARCHAR",
    "new_vendor_key": "VARCHAR",
    "reason": "VARCHAR",
}


@dataclass(frozen=True)
class Member:
    source_extract: str
    source_id: str
    record_id: str

    @property
    def identity(self) -> tuple[str, str]:
        return (self.source_extract, self.source_id)


def mint(anchor: tuple[str, str]) -> str:
    """A new key derived from the cluster's first member (deterministic)."""
    digest = hashlib.sha256(f"{anchor[0]}:{anchor[1]}".encode()).hexdigest()
    return "VK" + digest[:12].upper()


def assign_keys(
    clusters: Mapping[str, Sequence[Member]], previous: Mapping[tuple[str, str], str]
) -> dict[str, str]:
    """Cluster id → vendor key, reusing previous keys where the members held them."""
    votes = []
    for cluster_id, members in clusters.items():
        held = Counter(previous[m.identity] for m in members if m.identity in previous)
        votes += [(-n, key, cluster_id) for key, n in held.items()]
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for _, key, cluster_id in sorted(votes):
        if cluster_id not in keys and key not in taken:
            keys[cluster_id] = key
            taken.add(key)
    taken |= set(previous.values())
    for cluster_id in sorted(clusters):
        if cluster_id in keys:
            continue
        anchor = min(m.identity for m in clusters[cluster_id])
        key, salt = mint(anchor), 0
        while key in taken:  # only when a split leaves this anchor's minted key elsewhere
            salt += 1
            key = mint((anchor[0], f"{anchor[1]}#{salt}"))
        keys[cluster_id] = key
        taken.add(key)
    return keys


def _reason(old: str | None, new: str, surviving: set[str]) -> str:
    if old is None:
        return "new_record"
    return "split" if old in surviving else "merged"


def _temp_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """A temp table of VARCHAR columns from Python rows, through Arrow (no row-by-row insert)."""
    data = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)})
    con.register("_arrow_rows", data)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_rows")
    con.unregister("_arrow_rows")


def persist_keys(
    con: duckdb.DuckDBPyConnection, clusters: Mapping[str, Sequence[Member]], run_id: str
) -> dict[str, int]:
    """Assign keys, update the assignments, log the changes; return change counts by reason."""
    ensure_table(con, ASSIGNMENTS, ASSIGNMENT_COLUMNS)
    ensure_table(con, CHANGES, CHANGE_COLUMNS)
    previous = {
        (e, s): k
        for e, s, k in con.execute(
            f"SELECT source_extract, source_id, vendor_key FROM {qualified(ASSIGNMENTS)}"
        ).fetchall()
    }
    keys = assign_keys(clusters, previous)
    surviving = set(keys.values())
    changes, current = [], []
    for cluster_id, members in clusters.items():
        for m in members:
            current.append((m.source_extract, m.source_id, m.record_id, keys[cluster_id]))
            old = previous.get(m.identity)
            if old != keys[cluster_id]:
                reason = _reason(old, keys[cluster_id], surviving)
                changes.append((*m.identity, m.record_id, old, keys[cluster_id], reason))
    _temp_table(con, "_current_keys", ("e", "s", "r", "k"), current)
    _temp_table(con, "_key_changes", ("e", "s", "r", "old", "new", "reason"), changes)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""
            MERGE INTO {qualified(ASSIGNMENTS)} a
            USING _current_keys c ON a.source_extract = c.e AND a.source_id = c.s
            WHEN MATCHED AND (a.vendor_key <> c.k OR a.record_id <> c.r) THEN
                UPDATE SET vendor_key = c.k, record_id = c.r, run_id = $run, assigned_at = now()
            WHEN NOT MATCHED THEN
                INSERT VALUES (c.e, c.s, c.r, c.k, $run, now()::TIMESTAMP)
            """,
            {"run": run_id},
        )
        con.execute(
            f"INSERT INTO {qualified(CHANGES)} SELECT $run, now()::TIMESTAMP, e, s, r, old, new, "
            "reason FROM _key_changes",
            {"run": run_id},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return dict(Counter(c[-1] for c in changes))
