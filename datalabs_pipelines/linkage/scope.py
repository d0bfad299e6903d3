"""Which records tonight's clustering must redraw, when the key memory holds every kept record and
only pairs touching a new profile were scored.

A cluster is a component of deterministic clusters (``cluster0``) joined by linked pairs, and its
key is the one its records carried. On such a night a component can change only where something
changed: a kept record relabelled, a profile that a newly scored pair links, the two profiles of a
kept pair that tonight's term frequencies carry across the threshold (``kept_scores``), a
deterministic cluster that a new record joins while it held fewer than two records (new, or its one
record's probability turns to 1.0), or one that records of a gone delivery left changed
(``prepared._remove_gone``: ``structural``). Those clusters are *dirty*; the scope is every record
of every key one of their records (or those removed records) carried, with every record of the
deterministic clusters those records sit in. Inside it clustering and keys run as in a full pass;
outside it nothing changes, and every new record whose deterministic cluster lies outside *joins*:
it takes the key of its cluster's records, with probability 1.0 (its cluster holds two records or
more). That is one more wage record under a known name and SSN, also at a new employer: a new
profile that no pair links adds no edge between deterministic clusters. A record outside the scope
keeps the probability of the night its cluster was drawn: where that is a link's (a record alone in
its deterministic cluster), tonight's term frequencies may have moved the link's score a little,
never across the threshold (those pairs are dirty).

Before the scope is used, three things are checked, and the clustering runs whole when one fails: no
linked pair crosses the scope's edge, every record of a key in scope is there (but those taken out
tonight, which leave the key memory), and every joining record found its cluster's key (that of one
of its kept records: a cluster's records share one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from datalabs_pipelines.linkage.decisions import DECISIONS
from datalabs_pipelines.linkage.incremental import FLIPPED, STATE
from datalabs_pipelines.linkage.keys import KeySpec
from datalabs_pipelines.linkage.prepared import ARRIVED, REMOVED
from datalabs_pipelines.linkage.profiles import PROFILES, RECORD_PROFILE
from datalabs_pipelines.warehouse import identifier, qualified

NODES = "lk_scope_nodes"  # TEMP (cluster0): the deterministic clusters in scope
KEYS = "lk_scope_keys"  # TEMP (k): the keys their records carried
KEYED = "lk_scope_keyed"  # TEMP: the key memory's rows of those keys
RECORD_PROFILES = "lk_scope_record_profile"  # TEMP: lk_record_profile within the scope
JOINING = "lk_joining"  # TEMP: new records outside it, as the key memory holds them
ARRIVALS = "lk_arrival_clusters"  # TEMP (cluster0, held, kept): the clusters new records join
TEMP_TABLES = ("lk_dirty_profiles", ARRIVALS, NODES, KEYS, KEYED, RECORD_PROFILES, JOINING)
IDENTITY = ("source_extract", "record_id")


@dataclass(frozen=True)
class Scope:
    """What tonight's clustering redraws (``records``) and what joins a kept cluster."""

    records: int
    joining: int


def clustering_scope(
    con: duckdb.DuckDBPyConnection, spec: KeySpec, unique_id: str, carried: Mapping[str, str]
) -> Scope | None:
    """TEMP ``lk_scope_nodes``, ``lk_scope_keys``, ``lk_scope_keyed``,
    ``lk_scope_record_profile`` and ``lk_joining`` (the key memory's columns); None when a
    check fails (then cluster all)."""
    if spec.identity != IDENTITY or spec.remember_retired:
        raise ValueError("a clustering scope serves a memory of records, replaced each run")
    memory, key, uid = qualified(spec.memory), identifier(spec.key), identifier(unique_id)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_dirty_profiles AS
        WITH new AS (SELECT profile_id FROM {STATE} WHERE new),
        touching AS (  -- linked pairs with a new profile on a side
            SELECT CAST(id_l AS VARCHAR) AS l, CAST(id_r AS VARCHAR) AS r FROM {DECISIONS}
            WHERE decision = 'linked'
              AND (CAST(id_l AS VARCHAR) IN (SELECT * FROM new)
                   OR CAST(id_r AS VARCHAR) IN (SELECT * FROM new))
        )
        SELECT l AS profile_id FROM touching
        UNION SELECT r FROM touching
        UNION SELECT id_l FROM {FLIPPED}
        UNION SELECT id_r FROM {FLIPPED}
        """
    )
    # the clusters new records joined: how many records each held before tonight, and one of
    # them that stays as it was (any one: a cluster's records share their key)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ARRIVALS} AS
        SELECT r.cluster0, count(*) FILTER (WHERE NOT coalesce(a.lk_new, false)) AS held,
               any_value({{'e': r.source_extract, 'r': r.record_id}})
                   FILTER (WHERE a.lk_new IS NULL) AS kept
        FROM {RECORD_PROFILE} r
        LEFT JOIN (SELECT source_extract, record_id, lk_new FROM {ARRIVED}) a
            USING (source_extract, record_id)
        WHERE r.cluster0 IN (SELECT cluster0 FROM {ARRIVED} WHERE lk_new)
        GROUP BY r.cluster0
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {NODES} AS
        SELECT cluster0 FROM {PROFILES}
        WHERE CAST({uid} AS VARCHAR) IN (SELECT profile_id FROM lk_dirty_profiles)
        UNION SELECT cluster0 FROM {ARRIVED} WHERE NOT lk_new
        UNION SELECT cluster0 FROM {ARRIVALS} WHERE held < 2
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {KEYS} AS
        SELECT DISTINCT m.{key} AS k FROM {memory} m SEMI JOIN (
            SELECT source_extract, record_id FROM {RECORD_PROFILE}
            WHERE cluster0 IN (SELECT cluster0 FROM {NODES})
            EXCEPT SELECT source_extract, record_id FROM {REMOVED}
            UNION ALL SELECT source_extract, record_id FROM {REMOVED} WHERE structural
        ) USING (source_extract, record_id)
        """
    )
    # the memory's rows of those keys, read once here: the scope's edge, its checks and the
    # keys' inheritance all need them, and the memory holds every kept record
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {KEYED} AS SELECT m.* FROM {memory} m "
        f"SEMI JOIN {KEYS} s ON s.k = m.{key}"
    )
    con.execute(  # a removed record's row names it, not a new record given its id
        f"""
        INSERT INTO {NODES}
        SELECT DISTINCT cluster0 FROM {RECORD_PROFILE}
        SEMI JOIN {KEYED} USING (source_extract, record_id)
        ANTI JOIN {REMOVED} USING (source_extract, record_id)
        EXCEPT SELECT cluster0 FROM {NODES}
        """
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORD_PROFILES} AS SELECT * FROM {RECORD_PROFILE} "
        f"WHERE cluster0 IN (SELECT cluster0 FROM {NODES})"
    )
    extra = "".join(f", {sql} AS {identifier(c)}" for c, sql in carried.items())
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {JOINING} AS
        SELECT r.source_extract, r.record_id, 1.0::DOUBLE AS match_probability{extra},
               m.{key}
        FROM {ARRIVED} r LEFT JOIN {ARRIVALS} h USING (cluster0)
        LEFT JOIN {memory} m ON m.source_extract = h.kept.e AND m.record_id = h.kept.r
        WHERE r.lk_new AND r.cluster0 NOT IN (SELECT cluster0 FROM {NODES})
        """
    )
    if not _holds(con, key, uid):
        return None
    return Scope(
        records=con.execute(f"SELECT count(*) FROM {RECORD_PROFILES}").fetchone()[0],
        joining=con.execute(f"SELECT count(*) FROM {JOINING}").fetchone()[0],
    )


def _holds(con: duckdb.DuckDBPyConnection, key: str, uid: str) -> bool:
    """No linked pair crosses the scope's edge, every record of a key in scope is in it, and
    each joining record found its cluster's key."""
    inside = (
        f"(SELECT CAST({uid} AS VARCHAR) FROM {PROFILES} "
        f"WHERE cluster0 IN (SELECT cluster0 FROM {NODES}))"
    )
    crossing, missing, unkeyed = con.execute(
        f"""
        SELECT
            (SELECT count(*) FROM {DECISIONS} WHERE decision = 'linked'
             AND (CAST(id_l AS VARCHAR) IN {inside}) <> (CAST(id_r AS VARCHAR) IN {inside})),
            (SELECT count(*) FROM {KEYED} ANTI JOIN {RECORD_PROFILES}
             USING (source_extract, record_id) ANTI JOIN {REMOVED}
             USING (source_extract, record_id)),
            (SELECT count(*) FROM {JOINING} WHERE {key} IS NULL)
        """
    ).fetchone()
    return crossing == missing == unkeyed == 0
