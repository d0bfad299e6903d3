"""Persistent entity keys and their change log, for people and firms alike.

Every cluster of today's records takes the previous key that most of its records carried, each
key going to at most one cluster (the pairs with the largest overlap first; on a tie, the key
that had more records, then the smaller key and cluster). A cluster that inherits nothing gets
a new key, never one in use or retired before: random (people: ``P`` + 12 hex digits, never
derived from an identifier) or derived from the cluster's first record's own id (firms: ``VK``
+ 12 hex digits of a SHA-256, so a fresh warehouse gives the same keys). Records whose key
changed are logged, per old and new key, with the Dagster run id: a *merge* when the old key is
no longer in use (two became one), a *split* when it still is (one became two). Re-running on
the same records therefore changes nothing.

What differs between the two is a :class:`KeySpec`: tables, key column, how a record is known
across runs, how new keys are drawn, and whether records no longer delivered are remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.linkage.clustering import CLUSTERS
from datalabs_pipelines.warehouse import ensure_table, identifier, qualified, transaction


@dataclass(frozen=True)
class KeySpec:
    """How one entity's keys are kept (a declaration; the algorithm is this module's)."""

    key: str  # key column: person_key, vendor_key
    memory: tuple[str, str]  # table of every remembered record and its current key
    memory_columns: Mapping[str, tuple[str, str]]  # its columns: type, description
    identity: tuple[str, ...]  # columns that know a record across runs
    changes: tuple[str, str]  # the change log
    prefix: str  # of new keys
    derived: bool  # new keys from the cluster's first identity (else random)
    remember_retired: bool  # keep records no longer delivered (else the memory is replaced)
    stamps: Mapping[str, str] = field(default_factory=dict)  # column -> SQL set when written

    @property
    def change_columns(self) -> dict[str, tuple[str, str]]:
        return {
            "run_id": ("VARCHAR", "Dagster run that made the change"),
            "change_type": ("VARCHAR", "merge (old key retired) or split (old key still in use)"),
            f"old_{self.key}": ("VARCHAR", "key the records carried before"),
            f"new_{self.key}": ("VARCHAR", "key the records carry now"),
            "records": ("BIGINT", "records that moved from the old key to the new one"),
            "changed_at": ("TIMESTAMP", "when the change was made"),
        }


@dataclass(frozen=True)
class KeyScope:
    """A night's scope (``scope.py``): the keys whose records are re-keyed (TEMP, column
    ``k``), the memory's rows of those keys (TEMP) and the new records that join a kept key
    (TEMP, the memory's columns)."""

    keys: str
    keyed: str
    joining: str


@dataclass(frozen=True)
class KeyResult:
    persons: int  # entities keyed (people or businesses)
    new_keys: int
    merges: int
    splits: int


def ensure_key_tables(con: duckdb.DuckDBPyConnection, spec: KeySpec) -> None:
    ensure_table(con, spec.memory, {n: t for n, (t, _) in spec.memory_columns.items()})
    ensure_table(con, spec.changes, {n: t for n, (t, _) in spec.change_columns.items()})


def inherit_keys(overlap: list[tuple[str, str, int, int]]) -> dict[str, str]:
    """Cluster → previous key, greedily by overlap.

    ``overlap`` rows are (cluster, previous key, records of the cluster that carried it, records
    that carried the key before). Ties go to the key that had more records, then to the smaller
    key and cluster, so the outcome never depends on the order of the rows.
    """
    taken_keys: set[str] = set()
    assigned: dict[str, str] = {}
    for cluster, key, _, _ in sorted(overlap, key=lambda r: (-r[2], -r[3], r[1], r[0])):
        if cluster not in assigned and key not in taken_keys:
            assigned[cluster] = key
            taken_keys.add(key)
    return assigned


def persist_keys(
    con: duckdb.DuckDBPyConnection,
    spec: KeySpec,
    clusters: str,
    run_id: str,
    scope: KeyScope | None = None,
    then: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    removed: str | None = None,
) -> KeyResult:
    """Key today's ``clusters`` (TEMP: the identity columns, ``cluster`` and the memory's
    other columns) from the memory, log the changes, and write the memory; ``then`` runs in
    the transaction that writes it. With a ``scope``, ``clusters`` holds the records of the
    scope's keys and of new clusters only: those keys' records are re-keyed, the joining
    records added, and every other record keeps its key. ``removed`` (TEMP, the identity
    columns): records taken out tonight, whose memory rows leave and key nobody, not even a
    new record given the same id."""
    ensure_key_tables(con, spec)
    memory, changes = qualified(spec.memory), qualified(spec.changes)
    clusters = identifier(clusters)
    key = identifier(spec.key)
    ident = ", ".join(identifier(c) for c in spec.identity)
    keyed = identifier(scope.keyed) if scope else memory  # the rows whose keys are redrawn
    if removed:
        keyed = f"(SELECT * FROM {keyed} ANTI JOIN {identifier(removed)} USING ({ident}))"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_overlap AS
        WITH live AS (SELECT * FROM {keyed}),
        key_size AS (SELECT {key} AS k, count(*) AS key_records FROM live GROUP BY 1)
        SELECT c.cluster, p.{key} AS k, count(*) AS n, any_value(s.key_records) AS key_records
        FROM {clusters} c JOIN live p USING ({ident})
        JOIN key_size s ON s.k = p.{key}
        GROUP BY c.cluster, p.{key}
        """
    )
    # The common case in SQL: one previous key, held by this cluster alone.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lk_assigned AS
        WITH per_cluster AS (SELECT cluster, count(*) AS c FROM lk_overlap GROUP BY cluster),
             per_key AS (SELECT k, count(*) AS c FROM lk_overlap GROUP BY k)
        SELECT o.cluster, o.k FROM lk_overlap o
        JOIN per_cluster c USING (cluster) JOIN per_key p USING (k)
        WHERE c.c = 1 AND p.c = 1
        """
    )
    # The rest (clusters that met several keys, keys spread over several clusters) is small.
    contested = con.execute(
        "SELECT cluster, k, n, key_records FROM lk_overlap ANTI JOIN lk_assigned USING (cluster)"
    ).fetchall()
    inherited = inherit_keys(contested)
    if inherited:
        con.executemany("INSERT INTO lk_assigned VALUES (?, ?)", list(inherited.items()))
    new_keys = _issue_new_keys(con, spec, clusters)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lk_changes AS
        SELECT $run_id AS run_id,
               CASE WHEN o.k IN (SELECT k FROM lk_assigned) THEN 'split' ELSE 'merge' END
                   AS change_type,
               o.k AS old_key, a.k AS new_key, o.n AS records,
               current_timestamp::TIMESTAMP AS changed_at
        FROM lk_overlap o JOIN lk_assigned a USING (cluster)
        WHERE o.k <> a.k
        ORDER BY old_key, new_key
        """,
        {"run_id": run_id},
    )
    with transaction(con):
        _write_memory(con, spec, clusters, run_id, scope, removed)
        con.execute(
            f"INSERT INTO {changes} (run_id, change_type, old_{key}, new_{key}, records, "
            "changed_at) SELECT * FROM lk_changes"
        )
        if then:
            then(con)
    counted = f"count(DISTINCT {key}) FROM {memory}" if scope else "count(*) FROM lk_assigned"
    persons = con.execute(f"SELECT {counted}").fetchone()[0]
    merges, splits = con.execute(
        "SELECT count(*) FILTER (WHERE change_type = 'merge'), "
        "count(*) FILTER (WHERE change_type = 'split') FROM lk_changes"
    ).fetchone()
    return KeyResult(persons=persons, new_keys=new_keys, merges=merges, splits=splits)


def _write_memory(
    con: duckdb.DuckDBPyConnection,
    spec: KeySpec,
    clusters: str,
    run_id: str,
    scope: KeyScope | None = None,
    removed: str | None = None,
) -> None:
    """Today's records under their keys: replace the memory (within a ``scope``: the records
    of its keys and the ``removed`` ones, then add the joining ones), or update it in place
    when records no longer delivered are remembered."""
    memory, key = qualified(spec.memory), identifier(spec.key)
    carried = [identifier(c) for c in spec.memory_columns if c != spec.key and c not in spec.stamps]
    stamps = {identifier(c): sql for c, sql in spec.stamps.items()}
    columns = [*carried, key, *stamps]
    values = [f"c.{c}" for c in carried] + ["a.k"] + list(stamps.values())
    today = (
        f"SELECT {', '.join(f'{v} AS {c}' for c, v in zip(columns, values, strict=True))} "
        f"FROM {clusters} c JOIN lk_assigned a USING (cluster)"
    )
    params = {"run_id": run_id} if any("$run_id" in s for s in stamps.values()) else None
    if not spec.remember_retired:
        if scope is None:
            con.execute(f"DELETE FROM {memory}")
        else:
            con.execute(f"DELETE FROM {memory} WHERE {key} IN (SELECT k FROM {scope.keys})")
            if removed:
                gone = " AND ".join(f"{memory}.{c} = g.{c}" for c in map(identifier, spec.identity))
                con.execute(f"DELETE FROM {memory} USING {identifier(removed)} g WHERE {gone}")
            con.execute(f"INSERT INTO {memory} BY NAME SELECT * FROM {scope.joining}")
        con.execute(f"INSERT INTO {memory} ({', '.join(columns)}) {today}", params)
        return
    if scope is not None:
        raise ValueError("a scope serves a memory replaced each run")
    on = " AND ".join(f"m.{identifier(c)} = t.{identifier(c)}" for c in spec.identity)
    moved = " OR ".join(f"m.{c} IS DISTINCT FROM t.{c}" for c in [key, *carried])
    updates = ", ".join(f"{c} = t.{c}" for c in [key, *carried, *stamps])
    con.execute(
        f"""
        MERGE INTO {memory} m USING ({today}) t ON {on}
        WHEN MATCHED AND ({moved}) THEN UPDATE SET {updates}
        WHEN NOT MATCHED THEN INSERT ({", ".join(columns)})
            VALUES ({", ".join(f"t.{c}" for c in columns)})
        """,
        params,
    )


def _new_key_sql(spec: KeySpec) -> str:
    """A new key: the prefix and 12 hex digits, random or (derived) from the anchor and the
    salt (``$salt``, empty on the first draw); both bound as ``$prefix`` and ``$salt``."""
    if not spec.derived:
        return "$prefix || left(md5(gen_random_uuid()::VARCHAR), 12)"
    return "$prefix || upper(left(sha256(anchor || $salt), 12))"


def _issue_new_keys(con: duckdb.DuckDBPyConnection, spec: KeySpec, clusters: str) -> int:
    """Give every cluster without a key a fresh one, unused now and never used before."""
    # the smallest identity, compared column by column, written "a:b"
    first = ", ".join(f"'{c}': CAST({identifier(c)} AS VARCHAR)" for c in spec.identity)
    anchor = " || ':' || ".join(f"a.{identifier(c)}" for c in spec.identity)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_new_keys AS
        SELECT cluster, {anchor} AS anchor, NULL::VARCHAR AS k
        FROM (SELECT cluster, min({{{first}}}) AS a
              FROM {clusters} ANTI JOIN lk_assigned USING (cluster) GROUP BY cluster)
        """
    )
    key = identifier(spec.key)
    # The memory and the changes are read only where they meet a drawn key: the few drawn
    # keys are the join's hash side, not the millions of keys already given.
    used = (
        f"SELECT k FROM lk_assigned UNION ALL "
        f"SELECT m.{key} FROM {qualified(spec.memory)} m "
        f"SEMI JOIN lk_new_keys n ON n.k = m.{key} UNION ALL "
        f"SELECT c.old_{key} FROM {qualified(spec.changes)} c "
        f"SEMI JOIN lk_new_keys n ON n.k = c.old_{key}"
    )
    for salt in range(10):
        drawn = {"prefix": spec.prefix}
        if spec.derived:
            drawn["salt"] = f"#{salt}" if salt else ""
        con.execute(f"UPDATE lk_new_keys SET k = {_new_key_sql(spec)} WHERE k IS NULL", drawn)
        con.execute(
            f"""
            UPDATE lk_new_keys SET k = NULL
            WHERE k IN ({used})
               OR EXISTS (SELECT 1 FROM lk_new_keys o
                          WHERE o.k = lk_new_keys.k AND o.cluster < lk_new_keys.cluster)
            """
        )
        if not con.execute("SELECT count(*) FROM lk_new_keys WHERE k IS NULL").fetchone()[0]:
            break
    else:
        raise RuntimeError(f"could not draw unique {spec.key}s")
    con.execute("INSERT INTO lk_assigned SELECT cluster, k FROM lk_new_keys")
    return con.execute("SELECT count(*) FROM lk_new_keys").fetchone()[0]


# People's declaration: the crosswalk is the memory (records no longer delivered leave it).
CROSSWALK = ("pii", "person_crosswalk")
CHANGES = ("pii", "person_key_changes")
CROSSWALK_COLUMNS = {
    "source_extract": ("VARCHAR", "person extract (contract) the record belongs to"),
    "record_id": ("VARCHAR", "staging record id (delivery:line) within that extract"),
    "person_key": ("VARCHAR", "stable opaque key of the person: P + 12 hex digits"),
    "match_probability": (
        "DOUBLE",
        "strength of the record's tie to its person: 1.0 for an agency id or verified SSN, "
        "else the best accepted Splink match probability when its cluster was last drawn; "
        "NULL when the record stands alone",
    ),
    "carries_ssn": (
        "BOOLEAN",
        "the record carries a valid SSN, the identifier that reaches wage records (which have "
        "no date of birth): what an outcome rate's link coverage counts",
    ),
}
PERSON_KEY_SPEC = KeySpec(
    key="person_key",
    memory=CROSSWALK,
    memory_columns=CROSSWALK_COLUMNS,
    identity=("source_extract", "record_id"),
    changes=CHANGES,
    prefix="P",
    derived=False,
    remember_retired=False,
)
CHANGES_COLUMNS = PERSON_KEY_SPEC.change_columns


def assign_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> KeyResult:
    """Replace ``pii.person_crosswalk`` by today's clusters (``lk_clusters``) under persistent
    keys."""
    return persist_keys(con, PERSON_KEY_SPEC, CLUSTERS, run_id)
