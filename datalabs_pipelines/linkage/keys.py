"""Persistent person keys: today's clusters inherit yesterday's keys.

Every cluster takes the previous key that most of its records carried, each key going to at
most one cluster (the pairs with the largest overlap first; on a tie, the key that had more
records). A cluster that inherits nothing
gets a new random key (``P`` + 12 hex digits, never derived from an identifier). Records whose
key changed are logged in ``pii.person_key_changes`` with the Dagster run id: a *merge* when
their old key is no longer in use (two people became one), a *split* when it still is (one
person became two). Re-running on the same records therefore changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from datalabs_pipelines.linkage.clustering import CLUSTERS
from datalabs_pipelines.warehouse import ensure_table, qualified

CROSSWALK = ("pii", "person_crosswalk")
CHANGES = ("pii", "person_key_changes")
CROSSWALK_COLUMNS = {
    "source_extract": ("VARCHAR", "person extract (contract) the record belongs to"),
    "record_id": ("VARCHAR", "staging record id (delivery:line) within that extract"),
    "person_key": ("VARCHAR", "stable opaque key of the person: P + 12 hex digits"),
    "match_probability": (
        "DOUBLE",
        "strength of the record's tie to its person: 1.0 for an agency id or verified SSN, "
        "else the best accepted Splink match probability; NULL when the record stands alone",
    ),
    "carries_ssn": (
        "BOOLEAN",
        "the record carries a valid SSN, the identifier that reaches wage records (which have "
        "no date of birth): what an outcome rate's link coverage counts",
    ),
}
CHANGES_COLUMNS = {
    "run_id": ("VARCHAR", "Dagster run that made the change"),
    "change_type": ("VARCHAR", "merge (old key retired) or split (old key still in use)"),
    "old_person_key": ("VARCHAR", "key the records carried before"),
    "new_person_key": ("VARCHAR", "key the records carry now"),
    "records": ("BIGINT", "records that moved from the old key to the new one"),
    "changed_at": ("TIMESTAMP", "when the change was made"),
}
KEY_SQL = "'P' || left(md5(gen_random_uuid()::VARCHAR), 12)"


@dataclass(frozen=True)
class KeyResult:
    persons: int
    new_keys: int
    merges: int
    splits: int


def ensure_key_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_table(con, CROSSWALK, {n: t for n, (t, _) in CROSSWALK_COLUMNS.items()})
    ensure_table(con, CHANGES, {n: t for n, (t, _) in CHANGES_COLUMNS.items()})


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


def assign_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> KeyResult:
    """Replace ``pii.person_crosswalk`` by today's clusters under persistent keys."""
    ensure_key_tables(con)
    crosswalk, changes = qualified(CROSSWALK), qualified(CHANGES)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_overlap AS
        WITH key_size AS (SELECT person_key, count(*) AS key_records FROM {crosswalk} GROUP BY 1)
        SELECT c.cluster, p.person_key, count(*) AS n, any_value(k.key_records) AS key_records
        FROM {CLUSTERS} c JOIN {crosswalk} p USING (source_extract, record_id)
        JOIN key_size k USING (person_key)
        GROUP BY c.cluster, p.person_key
        """
    )
    # The common case in SQL: one previous key, held by this cluster alone.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lk_assigned AS
        WITH per_cluster AS (SELECT cluster, count(*) AS k FROM lk_overlap GROUP BY cluster),
             per_key AS (SELECT person_key, count(*) AS k FROM lk_overlap GROUP BY person_key)
        SELECT o.cluster, o.person_key FROM lk_overlap o
        JOIN per_cluster c USING (cluster) JOIN per_key k USING (person_key)
        WHERE c.k = 1 AND k.k = 1
        """
    )
    # The rest (clusters that met several keys, keys spread over several clusters) is small.
    contested = con.execute(
        "SELECT cluster, person_key, n, key_records FROM lk_overlap "
        "ANTI JOIN lk_assigned USING (cluster)"
    ).fetchall()
    inherited = inherit_keys(contested)
    if inherited:
        con.executemany("INSERT INTO lk_assigned VALUES (?, ?)", list(inherited.items()))
    new_keys = _issue_new_keys(con)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lk_changes AS
        SELECT $run_id AS run_id,
               CASE WHEN o.person_key IN (SELECT person_key FROM lk_assigned) THEN 'split'
                    ELSE 'merge' END AS change_type,
               o.person_key AS old_person_key, a.person_key AS new_person_key,
               o.n AS records, current_timestamp::TIMESTAMP AS changed_at
        FROM lk_overlap o JOIN lk_assigned a USING (cluster)
        WHERE o.person_key <> a.person_key
        ORDER BY old_person_key, new_person_key
        """,
        {"run_id": run_id},
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {crosswalk}")
        con.execute(
            f"""
            INSERT INTO {crosswalk}
                (source_extract, record_id, person_key, match_probability, carries_ssn)
            SELECT c.source_extract, c.record_id, a.person_key, c.match_probability,
                   c.carries_ssn
            FROM {CLUSTERS} c JOIN lk_assigned a USING (cluster)
            ORDER BY c.source_extract, c.record_id
            """
        )
        con.execute(f"INSERT INTO {changes} SELECT * FROM lk_changes")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    persons, merges, splits = con.execute(
        "SELECT (SELECT count(*) FROM lk_assigned), "
        "count(*) FILTER (WHERE change_type = 'merge'), "
        "count(*) FILTER (WHERE change_type = 'split') FROM lk_changes"
    ).fetchone()
    return KeyResult(persons=persons, new_keys=new_keys, merges=merges, splits=splits)


def _issue_new_keys(con: duckdb.DuckDBPyConnection) -> int:
    """Give every cluster without a key a fresh one, unused now and never used before."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_new_keys AS
        SELECT DISTINCT cluster, NULL::VARCHAR AS person_key FROM {CLUSTERS}
        ANTI JOIN lk_assigned USING (cluster)
        """
    )
    used = (
        f"SELECT person_key FROM lk_assigned UNION SELECT person_key FROM {qualified(CROSSWALK)} "
        f"UNION SELECT old_person_key FROM {qualified(CHANGES)}"
    )
    for _ in range(10):
        con.execute(f"UPDATE lk_new_keys SET person_key = {KEY_SQL} WHERE person_key IS NULL")
        con.execute(
            f"""
            UPDATE lk_new_keys SET person_key = NULL
            WHERE person_key IN ({used})
               OR person_key IN (SELECT person_key FROM lk_new_keys GROUP BY person_key
                                 HAVING count(*) > 1)
            """
        )
        if not con.execute("SELECT count(*) FROM lk_new_keys WHERE person_key IS NULL").fetchone()[
            0
        ]:
            break
    else:
        raise RuntimeError("could not draw unique person keys")
    con.execute("INSERT INTO lk_assigned SELECT cluster, person_key FROM lk_new_keys")
    return con.execute("SELECT count(*) FROM lk_new_keys").fetchone()[0]
