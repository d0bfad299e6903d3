"""Kept preparation: a night prepares the records that arrived, not the whole history.

Before any scoring, linkage prepares every record (``lk_records``), joins records into
deterministic clusters and reduces them to profiles (``lk_record_profile``, ``lk_profiles``):
at scale 100 with nothing new, 57 s of person linkage's 81. All three follow from the records
alone: a record's row from its own staging and identity rows; a profile from its cluster and
fields; and the deterministic clusters only grow as records are added (a rule's edges join
records sharing a key, and no record's arrival takes an edge away). So a run keeps them, in
three pii tables its asset declares, and the next run, when its sources only gained
deliveries since, prepares the new deliveries' records and redraws only what they change:

1. edges: a new record whose identity (the declared key and every column the corroboration
   reads) a kept record has joins that record's node when the identity corroborates itself (a
   full pass joins every node of an identity); for a key a new identity carries, the
   deterministic pass runs over every record carrying it. Edges between kept identities are in
   the kept clusters already.
2. clusters: connected components over kept clusters as wholes (each edge's ends stand for
   their kept cluster, or themselves when new), so a merged cluster takes the smallest label
   of its parts, as a full pass labels it;
3. profiles: for the new records and the records of clusters whose label gave way. Every other
   record keeps its cluster and profile.

A kept delivery that was reloaded, withdrawn or lost rows to a later one's duplicates (its row
count, load time or typing differs) is taken out first (``_remove_gone``): its records go, a
deterministic cluster they leave stays whole where no identity or node they carried goes
missing from it, and is dissolved (its other records prepared again with tonight's) where one
may. A full preparation runs instead, and is kept, when nothing is kept, what preparation
depends on changed (the stamp: the records' SQL, the nicknames, the deterministic rule, this
module's version), the gone deliveries held more than a third of the kept records, a source is
not staged by delivery, or the run asks for a full relink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from datalabs_pipelines.cleaning.lines import lines_table
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.linkage.declaration import Deterministic
from datalabs_pipelines.linkage.deterministic import (
    CLUSTER0,
    EDGES0,
    deterministic_edges,
    identity_columns,
)
from datalabs_pipelines.linkage.prepare import RECORDS
from datalabs_pipelines.linkage.profiles import (
    PROFILES,
    RECORD_PROFILE,
    profile_id_sql,
    profiles_select,
    write_placed_profiles,
)
from datalabs_pipelines.warehouse import (
    drop_temporary,
    identifier,
    qualified,
    quoted,
    table_columns,
    table_exists,
    transaction,
)

# Bump when what a kept record, cluster or profile holds changes in a way the stamp's inputs
# (the records' SQL, the nicknames, the rule) do not show.
KEPT_VERSION = 1

NEW_RECORDS = "lk_kept_new_records"  # TEMP: tonight's new records
KNOWN = "lk_kept_known"  # TEMP: new records whose identity a kept record has, and its node
TOUCHED = "lk_kept_touched"  # TEMP: every record carrying a key a new identity carries
LABELS = "lk_kept_labels"  # TEMP (node, label, kept): each edge end's kept cluster, or itself
SUPER_NODES = "lk_kept_super_nodes"  # TEMP (node): those labels
SUPER_EDGES = "lk_kept_super_edges"  # TEMP (node_l, node_r): the edges between labels
MERGED = "lk_kept_merged"  # TEMP (node, component): each label's cluster tonight
RELABELLED = "lk_kept_relabelled"  # TEMP (node): the labels that give way
REDRAWN = "lk_kept_clusters"  # TEMP (node, component): new and relabelled nodes' clusters
REDRAWN_RECORDS = "lk_kept_redrawn_records"  # TEMP view: new records and those relabelled
REDRAWN_PROFILES = "lk_kept_profiles"  # TEMP view: their profiles
# TEMP: tonight's new records (``lk_new``) and the kept ones relabelled or prepared again, as
# the kept records table holds them; left for the clustering's scope (``scope.py``) until the
# link ends
ARRIVED = "lk_kept_arrived"
# TEMP (source_extract, record_id, structural): the kept records of tonight's gone deliveries,
# taken out; ``structural`` where that changes a deterministic cluster or profile (the keys
# their records carried are clustered again); left for the scope and the keys
REMOVED = "lk_kept_removed"
GONE_RECORDS = "lk_kept_gone_records"  # TEMP: those records with their node, cluster, identity
UNCHANGED = "lk_kept_unchanged"  # TEMP (source_extract, record_id): delivered again as they were
REST = "lk_kept_rest"  # TEMP: the other records of the kept clusters they sat in
DISSOLVED = "lk_kept_dissolved"  # TEMP (cluster0): kept clusters a removal may split
REARRIVED = "lk_kept_rearrived"  # TEMP (source_extract, record_id): their records
RELABEL = "lk_kept_relabel"  # TEMP (old, new): kept clusters whose labelling node went
TEMP_TABLES = (
    NEW_RECORDS, KNOWN, TOUCHED, LABELS, SUPER_NODES, SUPER_EDGES, MERGED, RELABELLED, REDRAWN,
    REDRAWN_RECORDS, REDRAWN_PROFILES, GONE_RECORDS, UNCHANGED, REST, DISSOLVED,
    REARRIVED, RELABEL,
)  # fmt: skip

# beyond this share of the kept records in gone deliveries (a contract or code change retypes
# every delivery of an extract), preparing everything is the cheaper way
GONE_AT_MOST = 1 / 3

DELIVERIES_COLUMNS = {
    "source_extract": ("VARCHAR", "extract of a delivery the kept records were prepared from"),
    "delivery": ("VARCHAR", "the delivery file"),
    "version": ("VARCHAR", "its staged row count, load time and typing fingerprint"),
    "prepared_with": ("VARCHAR", "hash of what preparation depends on besides the records"),
    "keyed": (
        "BOOLEAN",
        "the key memory holds the delivery's records as they are kept (set in the transaction "
        "that writes the keys)",
    ),
}
Versions = dict[tuple[str, str], str]  # (extract, delivery) → version


@dataclass(frozen=True)
class KeptTables:
    """Where an entity keeps its prepared records, profiles and their deliveries."""

    records: tuple[str, str]  # lk_records' columns, cluster0 and profile_id
    profiles: tuple[str, str]  # lk_profiles' columns
    deliveries: tuple[str, str]  # DELIVERIES_COLUMNS


@dataclass(frozen=True)
class KeptPreparation:
    """What an entity supplies to keep its preparation between runs."""

    tables: KeptTables
    stamp: str  # hash of what preparation depends on besides the records
    # (extract, delivery) → version of every delivery the records come from; None when a
    # source is not staged by delivery
    versions: Callable[[duckdb.DuckDBPyConnection], Versions | None]
    # ``(con, deliveries=, into=)``: TEMP ``into`` from the records of the given deliveries
    # (extract → names); returns its rows
    build_new: Callable[..., int]
    # what the entity counts of ``lk_records`` (``records`` first), as its records builder does
    count: Callable[[duckdb.DuckDBPyConnection], dict[str, int]]


@dataclass(frozen=True)
class Plan:
    """What tonight prepares: only ``new`` deliveries (extract → names), after taking out the
    kept records of the ``gone`` ones (reloaded, withdrawn or changed by a later delivery's
    duplicates; a reloaded one is new too), or everything for ``full_reason``."""

    versions: Versions | None
    new: dict[str, list[str]]
    full_reason: str
    keyed: frozenset[tuple[str, str]] = frozenset()  # kept deliveries the key memory holds
    gone: dict[str, list[str]] = field(default_factory=dict)

    @property
    def keys_current(self) -> bool:
        """The key memory holds every kept record, as kept: only tonight's are new to it."""
        return not self.full_reason and set(self.keyed) == set(self.versions or {}) - {
            (extract, delivery) for extract, names in self.new.items() for delivery in names
        }


def plan(con: duckdb.DuckDBPyConnection, kept: KeptPreparation, full_reason: str = "") -> Plan:
    """Whether the kept preparation serves tonight, and which deliveries are new."""
    versions = kept.versions(con)
    if versions is None:
        return Plan(None, {}, "a source is not staged by delivery")
    if full_reason:
        return Plan(versions, {}, full_reason)
    tables = kept.tables
    if not all(table_exists(con, t) for t in (tables.records, tables.profiles, tables.deliveries)):
        return Plan(versions, {}, "nothing kept")
    keyed = "keyed" if "keyed" in table_columns(con, tables.deliveries) else "false"
    rows = con.execute(
        f"SELECT source_extract, delivery, version, prepared_with, coalesce({keyed}, false) "
        f"FROM {qualified(tables.deliveries)}"
    ).fetchall()
    if not rows or any(row[3] != kept.stamp for row in rows):
        return Plan(versions, {}, "nothing kept" if not rows else "preparation changed")
    stored = {(extract, delivery): version for extract, delivery, version, *_ in rows}
    gone = {key for key, version in stored.items() if versions.get(key) != version}
    if _rows(stored, gone) > GONE_AT_MOST * _rows(stored, set(stored)):
        return Plan(versions, {}, "most kept records were reloaded or withdrawn")
    held = frozenset(
        (extract, delivery)
        for extract, delivery, *_, is_keyed in rows
        if is_keyed and (extract, delivery) not in gone
    )
    return Plan(
        versions,
        _by_extract((set(versions) - set(stored)) | (gone & set(versions))),
        "",
        held,
        _by_extract(gone),
    )


def _rows(versions: Versions, deliveries: set[tuple[str, str]]) -> int:
    """The staged rows of ``deliveries``, as their versions (``rows|loaded|typed``) say."""
    return sum(int(versions[key].split("|", 1)[0]) for key in deliveries)


def _by_extract(deliveries: set[tuple[str, str]]) -> dict[str, list[str]]:
    """extract → its deliveries' names, sorted."""
    named: dict[str, list[str]] = {}
    for extract, delivery in sorted(deliveries):
        named.setdefault(extract, []).append(delivery)
    return named


def prepare_new(
    con: duckdb.DuckDBPyConnection,
    kept: KeptPreparation,
    tonight: Plan,
    node: str,
    rule: Deterministic | None,
) -> tuple[int, int, int]:
    """Bring the kept tables to what a full preparation of tonight's records would keep: take
    out the records of ``tonight``'s gone deliveries (``_remove_gone``), then prepare the
    records of its new ones; then ``lk_records``, ``lk_record_profile`` and ``lk_profiles``
    are TEMP views over the kept tables (nothing copied). One transaction: a run that fails
    leaves the kept tables as they were. Returns the records prepared tonight, the
    deterministic edges drawn and the kept records taken out."""
    tables = kept.tables
    records = qualified(tables.records)
    node = identifier(node)
    with transaction(con):
        prepared = kept.build_new(con, deliveries=tonight.new, into=NEW_RECORDS)
        removed = _remove_gone(con, tables, tonight.gone, node, rule)
        edges = _new_edges(con, records, qualified(tables.profiles), node, rule)
        _redraw(con, records, node)
        con.execute(  # a view: read once, by the placing below (a copy cost 0.9 s at scale 100)
            f"""
            CREATE OR REPLACE TEMP VIEW {REDRAWN_RECORDS} AS
            SELECT n.*, a.record_id IS NULL AS lk_new FROM {NEW_RECORDS} n
            LEFT JOIN {REARRIVED} a USING (source_extract, record_id)
            UNION ALL
            SELECT * EXCLUDE (cluster0, profile_id), false FROM {records}
            WHERE cluster0 IN (SELECT node FROM {RELABELLED})
            """
        )
        write_placed_profiles(
            con, REDRAWN_RECORDS, REDRAWN, ARRIVED, REDRAWN_PROFILES, temporary=True
        )
        relabelled = f"cluster0 IN (SELECT node FROM {RELABELLED})"
        profiles = qualified(tables.profiles)
        con.execute(f"DELETE FROM {records} WHERE {relabelled}")
        con.execute(f"INSERT INTO {records} SELECT * EXCLUDE (lk_new) FROM {ARRIVED}")
        con.execute(f"DELETE FROM {profiles} WHERE {relabelled}")
        con.execute(  # the profiles not kept already
            f"INSERT INTO {profiles} SELECT * FROM {REDRAWN_PROFILES} "
            f"WHERE unique_id NOT IN (SELECT unique_id FROM {profiles})"
        )
        # after a removal the key memory holds records no longer kept until tonight's keys are
        # written (which marks every delivery keyed): a run failing before that clusters all
        keyed = frozenset() if removed else tonight.keyed
        _write_deliveries(con, kept, tonight.versions or {}, keyed)
    drop_temporary(con, TEMP_TABLES)
    _read_kept(con, tables)
    return prepared, edges, removed


def _remove_gone(
    con: duckdb.DuckDBPyConnection,
    tables: KeptTables,
    gone: Mapping[str, Sequence[str]],
    node: str,
    rule: Deterministic | None,
) -> int:
    """Take out of the kept tables the records of the ``gone`` deliveries (every kept record of
    their extracts that no staged row of another delivery backs) that tonight's new records
    do not bring again as they were (those stay, and leave tonight's new records), so that
    they hold what a full preparation of the other deliveries would keep; TEMP
    ``lk_kept_removed`` says which records went and whether that changed a cluster or profile.
    Returns their number.

    A deterministic cluster is a component of nodes joined through identities (the key and
    every column the corroboration reads). Taking a record out keeps the cluster whole when
    its node still carries its identity, or when its node goes with it, carried that identity
    alone, and the identity, corroborating itself, stays in the cluster (its other nodes stay
    joined to its smallest one). A cluster where some record does neither is dissolved: its
    other records are prepared again with tonight's new ones (``lk_kept_rearrived``), which
    redraws them as a full pass would, across every record carrying their keys. A cluster kept
    whole takes the smallest of its nodes left when its labelling node went, and loses the
    profiles only its removed records had."""
    records = qualified(tables.records)
    profiles = qualified(tables.profiles)
    if not gone:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {REARRIVED} (source_extract VARCHAR, record_id VARCHAR)"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {REMOVED} "
            "(source_extract VARCHAR, record_id VARCHAR, structural BOOLEAN)"
        )
        return 0
    columns = identity_columns(rule)
    narrow = ", ".join(dict.fromkeys(["source_extract", "record_id", node, "cluster0",
                                      "profile_id", *columns]))  # fmt: skip
    params: dict[str, object] = {}
    parts = []
    for i, (extract, deliveries) in enumerate(sorted(gone.items())):
        params[f"e{i}"] = extract
        names = []
        for d, delivery in enumerate(deliveries):
            params[f"g{i}_{d}"] = delivery
            names.append(f"$g{i}_{d}")
        parts.append(
            f"SELECT {narrow} FROM {records} ANTI JOIN (SELECT record_id FROM "
            f"staging.{identifier(extract)} WHERE _delivery NOT IN ({', '.join(names)})) "
            f"USING (record_id) WHERE source_extract = $e{i}"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {GONE_RECORDS} AS {' UNION ALL '.join(parts)}", params
    )
    # a record delivered again as it was stays kept, and is not new tonight
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {UNCHANGED} AS
        SELECT source_extract, record_id FROM (
            SELECT * EXCLUDE (cluster0, profile_id) FROM {records}
            SEMI JOIN {GONE_RECORDS} USING (source_extract, record_id)
            INTERSECT SELECT * FROM {NEW_RECORDS}
        )
        """
    )
    for table in (GONE_RECORDS, NEW_RECORDS):
        con.execute(
            f"DELETE FROM {table} USING {UNCHANGED} u "
            f"WHERE {table}.source_extract = u.source_extract AND {table}.record_id = u.record_id"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {REST} AS
        SELECT {narrow} FROM {records}
        ANTI JOIN {GONE_RECORDS} USING (source_extract, record_id)
        WHERE cluster0 IN (SELECT cluster0 FROM {GONE_RECORDS})
        """
    )
    _dissolved(con, node, rule)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REARRIVED} AS SELECT source_extract, record_id "
        f"FROM {REST} WHERE cluster0 IN (SELECT cluster0 FROM {DISSOLVED})"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {RELABEL} AS
        SELECT cluster0 AS old, min({node}) AS new FROM {REST}
        WHERE cluster0 NOT IN (SELECT cluster0 FROM {DISSOLVED})
        GROUP BY cluster0 HAVING NOT bool_or({node} = cluster0)
        """
    )
    # redrawn: dissolved, relabelled, or gone with its last record
    redrawn = (
        f"(SELECT cluster0 FROM {DISSOLVED} UNION ALL SELECT old FROM {RELABEL} "
        f"UNION ALL (SELECT cluster0 FROM {GONE_RECORDS} EXCEPT SELECT cluster0 FROM {REST}))"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {REMOVED} AS
        WITH size AS (SELECT cluster0, count(*) AS n FROM {REST} GROUP BY cluster0)
        SELECT g.source_extract, g.record_id,
               g.cluster0 IN {redrawn} OR coalesce(s.n, 0) < 2
               OR coalesce(g.profile_id NOT IN (
                   SELECT profile_id FROM {REST} WHERE profile_id IS NOT NULL
               ), false) AS structural
        FROM {GONE_RECORDS} g LEFT JOIN size s USING (cluster0)
        """
    )
    removed = con.execute(f"SELECT count(*) FROM {REMOVED}").fetchone()[0]
    if not removed:
        return 0
    con.execute(
        f"INSERT INTO {NEW_RECORDS} BY NAME SELECT * EXCLUDE (cluster0, profile_id) "
        f"FROM {records} SEMI JOIN {REARRIVED} USING (source_extract, record_id)"
    )
    # profiles: those of redrawn clusters all go (relabelled ones come back under their new
    # label, dissolved ones with tonight's records); elsewhere those no record has any more
    con.execute(
        f"""
        DELETE FROM {profiles} WHERE cluster0 IN {redrawn} OR unique_id IN (
            SELECT profile_id FROM {GONE_RECORDS} EXCEPT SELECT profile_id FROM {REST}
        )
        """
    )
    con.execute(
        f"DELETE FROM {records} USING {GONE_RECORDS} g "
        f"WHERE {records}.source_extract = g.source_extract AND {records}.record_id = g.record_id"
    )
    con.execute(f"DELETE FROM {records} WHERE cluster0 IN (SELECT cluster0 FROM {DISSOLVED})")
    con.execute(
        f"""
        UPDATE {records} SET cluster0 = m.new, profile_id = CASE WHEN has_identity
            THEN {profile_id_sql("m.new", "")} END
        FROM {RELABEL} m WHERE {records}.cluster0 = m.old
        """
    )
    placed = f"(SELECT * FROM {records} WHERE cluster0 IN (SELECT new FROM {RELABEL})) r"
    con.execute(f"INSERT INTO {profiles} {profiles_select(placed, 'r.cluster0')}")
    return removed


def _dissolved(con: duckdb.DuckDBPyConnection, node: str, rule: Deterministic | None) -> None:
    """TEMP ``lk_kept_dissolved(cluster0)``: the kept clusters a removed record may split (see
    ``_remove_gone``). Without a rule a cluster is one node, which no removal splits."""
    if rule is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {DISSOLVED} (cluster0 VARCHAR)")
        return
    columns = identity_columns(rule)
    key, listed = columns[0], ", ".join(columns)
    x_columns = ", ".join(f"l.{c}" for c in columns)

    def same(a: str, b: str) -> str:
        return " AND ".join(f"{a}.{c} IS NOT DISTINCT FROM {b}.{c}" for c in columns)

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {DISSOLVED} AS
        WITH x AS (  -- each removed record with a key, l and r both the record
            SELECT l.cluster0, l.{node}, {x_columns},
                   coalesce({rule.corroborated_by or "true"}, false) AS corroborates
            FROM {GONE_RECORDS} l JOIN {GONE_RECORDS} r USING (source_extract, record_id)
            WHERE l.{key} IS NOT NULL
        ),
        kept_pairs AS (SELECT DISTINCT {node}, {listed} FROM {REST} WHERE {key} IS NOT NULL),
        lost AS (  -- its node no longer carries its identity
            SELECT x.* FROM x ANTI JOIN kept_pairs p ON p.{node} = x.{node} AND {same("p", "x")}
        ),
        spread AS (  -- nodes that carried more than one identity
            SELECT {node} FROM (
                SELECT DISTINCT {node}, {listed} FROM (
                    SELECT {node}, {listed} FROM {REST}
                    UNION ALL SELECT {node}, {listed} FROM {GONE_RECORDS}
                ) WHERE {key} IS NOT NULL
            ) GROUP BY {node} HAVING count(*) > 1
        ),
        alive AS (SELECT DISTINCT cluster0, {listed} FROM {REST} WHERE {key} IS NOT NULL)
        SELECT cluster0 FROM lost
        WHERE NOT corroborates OR {node} IN (SELECT {node} FROM {REST})
           OR {node} IN (SELECT {node} FROM spread)
        UNION
        SELECT l.cluster0 FROM lost l
        ANTI JOIN alive a ON a.cluster0 = l.cluster0 AND {same("a", "l")}
        """
    )


def _read_kept(con: duckdb.DuckDBPyConnection, tables: KeptTables) -> None:
    """TEMP views ``lk_records``, ``lk_record_profile`` and ``lk_profiles`` over the kept
    tables, named with their catalog so that Splink, working in its scratch catalog, reads
    them too."""
    catalog = quoted(con.execute("SELECT current_database()").fetchone()[0])
    records = f"{catalog}.{qualified(tables.records)}"
    drop_temporary(con, (RECORDS, RECORD_PROFILE, PROFILES))
    con.execute(
        f"CREATE TEMP VIEW {RECORDS} AS SELECT * EXCLUDE (cluster0, profile_id) FROM {records}"
    )
    con.execute(
        f"CREATE TEMP VIEW {RECORD_PROFILE} AS "
        f"SELECT source_extract, record_id, cluster0, profile_id FROM {records}"
    )
    con.execute(f"CREATE TEMP VIEW {PROFILES} AS FROM {catalog}.{qualified(tables.profiles)}")


def _new_edges(
    con: duckdb.DuckDBPyConnection,
    records: str,
    profiles: str,
    node: str,
    rule: Deterministic | None,
) -> int:
    """TEMP ``lk_deterministic_edges``: with the kept clusters, they join what a full pass
    joins. A new record whose identity (the key and every column the corroboration reads) a
    kept record has, and which corroborates itself, joins that record's cluster (a full pass
    joins every node of the identity; a cluster's label is one of its nodes). The kept
    profiles are searched, not the records: every record carrying the key has a profile, and
    a person's many records share a few. For a key carried by a new identity, the
    deterministic pass runs over every record carrying it (edges between two kept identities
    are in the kept clusters already)."""
    if rule is None:
        return deterministic_edges(con, NEW_RECORDS, node, None)
    condition = rule.corroborated_by or "true"
    columns = identity_columns(rule)
    key = columns[0]
    same = " AND ".join(f"r.{c} IS NOT DISTINCT FROM l.{c}" for c in columns[1:]) or "true"
    read = ", ".join(dict.fromkeys([node, *columns]))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {KNOWN} AS
        SELECT l.record_id, l.source_extract, CAST(l.{node} AS VARCHAR) AS node_l,
               min(r.cluster0) AS node_r, bool_or({condition}) AS corroborates
        FROM {NEW_RECORDS} l JOIN {profiles} r ON r.{key} = l.{key} AND {same}
        GROUP BY ALL
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {TOUCHED} AS
        WITH fresh AS (
            SELECT l.{key} FROM {NEW_RECORDS} l
            ANTI JOIN {KNOWN} k USING (source_extract, record_id)
            WHERE l.{key} IS NOT NULL
        )
        SELECT {read} FROM {records} WHERE {key} IN (SELECT {key} FROM fresh)
        UNION ALL
        SELECT {read} FROM {NEW_RECORDS} WHERE {key} IN (SELECT {key} FROM fresh)
        """
    )  # only what the deterministic pass reads: a record's row is wide
    deterministic_edges(con, TOUCHED, node, rule)
    con.execute(
        f"INSERT INTO {EDGES0} SELECT node_l, node_r FROM {KNOWN} "
        "WHERE corroborates AND node_l <> node_r"
    )
    return con.execute(f"SELECT count(*) FROM {EDGES0}").fetchone()[0]


def _redraw(con: duckdb.DuckDBPyConnection, records: str, node: str) -> None:
    """TEMP ``lk_kept_clusters(node, component)`` for the new records' nodes and the kept nodes
    whose cluster changes, and TEMP ``lk_kept_relabelled(node)``: the kept clusters' labels that
    give way. Components run over clusters, not nodes: each edge's ends stand for their kept
    cluster (labelled by its smallest node) or, when new, for themselves, so each merged
    cluster takes the smallest of their labels, as a full pass labels it."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LABELS} AS
        WITH ends AS (
            SELECT node_l AS node FROM {EDGES0} UNION SELECT node_r FROM {EDGES0}
            UNION SELECT CAST({node} AS VARCHAR) FROM {NEW_RECORDS}
        ),
        held AS (
            SELECT DISTINCT CAST({node} AS VARCHAR) AS node, cluster0 FROM {records}
            WHERE CAST({node} AS VARCHAR) IN (SELECT node FROM ends)
        )
        SELECT e.node, coalesce(h.cluster0, e.node) AS label, h.cluster0 IS NOT NULL AS kept
        FROM ends e LEFT JOIN held h USING (node)
        """
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SUPER_NODES} AS SELECT DISTINCT label AS node FROM {LABELS}"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {SUPER_EDGES} AS
        SELECT a.label AS node_l, b.label AS node_r FROM {EDGES0} e
        JOIN {LABELS} a ON a.node = e.node_l JOIN {LABELS} b ON b.node = e.node_r
        """
    )
    connected_components(con, SUPER_NODES, SUPER_EDGES, MERGED)
    con.execute(  # only kept clusters' labels: a new node is in no kept table to relabel
        f"CREATE OR REPLACE TEMP TABLE {RELABELLED} AS "
        f"SELECT node FROM {MERGED} WHERE node <> component "
        f"AND node IN (SELECT label FROM {LABELS} WHERE kept)"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {REDRAWN} AS
        SELECT DISTINCT CAST(r.{node} AS VARCHAR) AS node, m.component
        FROM {records} r JOIN {MERGED} m ON m.node = r.cluster0
        WHERE r.cluster0 IN (SELECT node FROM {RELABELLED})
        UNION
        SELECT l.node, m.component FROM {LABELS} l JOIN {MERGED} m ON m.node = l.label
        WHERE l.node IN (SELECT CAST({node} AS VARCHAR) FROM {NEW_RECORDS})
        """
    )


def keep_all(
    con: duckdb.DuckDBPyConnection, kept: KeptPreparation, versions: Versions | None
) -> None:
    """Keep tonight's full preparation (``lk_records`` placed by ``lk_cluster0``), with the
    deliveries it comes from (none when a source is not staged by delivery: the next run then
    cannot take it for its own); then ``lk_records``, ``lk_record_profile`` and
    ``lk_profiles`` are the views over the kept tables that a night reads."""
    tables = kept.tables
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(tables.records[0])}")
    with transaction(con):
        write_placed_profiles(
            con, RECORDS, CLUSTER0, qualified(tables.records), qualified(tables.profiles)
        )
        _write_deliveries(con, kept, versions or {})
    _read_kept(con, tables)


def delivery_versions(
    con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract]
) -> Versions | None:
    """(extract, delivery) → version of every delivery staged for ``contracts``: its staged
    row count (a later delivery's duplicates can take rows away), when it was loaded (a
    correction reloads it) and the fingerprint it was typed under. None when an extract is not
    staged by delivery (no ``_delivery`` column or no staged lines)."""
    versions: Versions = {}
    for contract in contracts:
        staging, lines = ("staging", contract.name), lines_table(contract)
        if not (table_exists(con, staging) and table_exists(con, lines)):
            return None
        has_delivery = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? AND column_name = '_delivery'",
            list(staging),
        ).fetchone()[0]
        if not has_delivery:
            return None
        rows = con.execute(
            f"""
            SELECT s._delivery, s.n || '|' || coalesce(CAST(l.loaded AS VARCHAR), '') || '|'
                   || coalesce(l.typed, '')
            FROM (SELECT _delivery, count(*) AS n FROM {qualified(staging)} GROUP BY ALL) s
            LEFT JOIN (
                SELECT _delivery, max(_loaded_at) AS loaded,
                       array_to_string(list_sort(list(DISTINCT _staged_with)), ',') AS typed
                FROM {qualified(lines)} GROUP BY ALL
            ) l USING (_delivery)
            """
        ).fetchall()
        versions.update({(contract.name, delivery): version for delivery, version in rows})
    return versions


def _write_deliveries(
    con: duckdb.DuckDBPyConnection,
    kept: KeptPreparation,
    versions: Versions,
    keyed: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """The deliveries the kept records now come from, stamped, and whether the key memory
    holds their records (``keyed``) as they stay kept."""
    table = qualified(kept.tables.deliveries)
    columns = ", ".join(f"{c} {t}" for c, (t, _) in DELIVERIES_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
    keys = sorted(versions)
    con.execute(
        f"INSERT INTO {table} SELECT unnest($extracts), unnest($deliveries), unnest($versions), "
        "$stamp, unnest($keyed)",
        {
            "extracts": [e for e, _ in keys],
            "deliveries": [d for _, d in keys],
            "versions": [versions[k] for k in keys],
            "stamp": kept.stamp,
            "keyed": [k in keyed for k in keys],
        },
    )


def mark_keyed(con: duckdb.DuckDBPyConnection, kept: KeptPreparation) -> None:
    """The key memory now holds every kept record: run in the transaction that writes it."""
    con.execute(f"UPDATE {qualified(kept.tables.deliveries)} SET keyed = true")
