"""The one linkage driver, for people and firms alike: records → deterministic pass → Splink
scores → decisions → clusters → persistent keys → review → the model used.

What differs between the two is an :class:`Entity`: its declaration (``person.yaml``,
``procurement/vendor_linkage.yaml``: deterministic key and corroboration, comparisons,
blocking rules, thresholds, exclusive key, link guard), how its records and profiles are built,
and how its keys are kept (a ``KeySpec``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from datalabs_pipelines.linkage.clustering import CLUSTERS, build_clusters
from datalabs_pipelines.linkage.decisions import DECISIONS, decide
from datalabs_pipelines.linkage.declaration import LinkageDeclaration
from datalabs_pipelines.linkage.deterministic import EDGES0, deterministic_clusters
from datalabs_pipelines.linkage.incremental import FLIPPED, STATE, PairCache, score
from datalabs_pipelines.linkage.keys import KeyScope, KeySpec, persist_keys
from datalabs_pipelines.linkage.model_runs import record_model_use
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.prepared import (
    ARRIVED,
    REMOVED,
    KeptPreparation,
    keep_all,
    mark_keyed,
    plan,
    prepare_new,
)
from datalabs_pipelines.linkage.prepared import TEMP_TABLES as KEPT_TEMP_TABLES
from datalabs_pipelines.linkage.profiles import PROFILES, RECORD_PROFILE
from datalabs_pipelines.linkage.reestimate import Outcome, reestimate
from datalabs_pipelines.linkage.review import write_review
from datalabs_pipelines.linkage.scope import (
    JOINING,
    KEYED,
    KEYS,
    RECORD_PROFILES,
    Scope,
    clustering_scope,
)
from datalabs_pipelines.linkage.scope import TEMP_TABLES as SCOPE_TEMP_TABLES
from datalabs_pipelines.warehouse import drop_temporary, identifier, qualified

TEMP_TABLES = (
    "lk_records", "lk_nicknames", "lk_nodes0", "lk_deterministic_edges", "lk_cluster0",
    "lk_record_profile", "lk_profiles", "lk_profile_edges", "lk_decisions",
    "lk_profile_cluster0", "lk_links", "lk_nodes1", "lk_cluster1", "lk_node_values",
    "lk_contested", "lk_refused", "lk_clusters", "lk_overlap", "lk_assigned", "lk_new_keys",
    "lk_changes", "lk_record_keys", "lk_review_pairs", "lk_review_records", STATE, ARRIVED,
    REMOVED, FLIPPED,
    *SCOPE_TEMP_TABLES,
)  # fmt: skip


@dataclass(frozen=True)
class Entity:
    """What one entity's linkage supplies besides its declaration."""

    declaration: LinkageDeclaration
    # writes ``records`` (source_extract, record_id, ``node`` and every declared column the
    # deterministic pass and the exclusive key read); returns counts, ``records`` first
    build_records: Callable[[duckdb.DuckDBPyConnection], dict[str, int]]
    records: str
    node: str  # records sharing it start as one node (an agency id; firms: the record)
    # writes TEMP ``lk_profiles`` (what Splink scores) and ``lk_record_profile(source_extract,
    # record_id, cluster0, profile_id)`` from ``lk_cluster0``; returns the profiles
    build_profiles: Callable[[duckdb.DuckDBPyConnection], int]
    key_spec: KeySpec
    carried: Mapping[str, str]  # key memory column → SQL over the record ``r``
    review: tuple[str, str]  # the review table
    review_fields: Mapping[str, str]  # review column → records column
    model_runs: tuple[str, str]
    matches: tuple[str, str] | None = None  # where every decided pair is kept, if anywhere
    cache: PairCache | None = None  # where scored pairs are kept for incremental runs, if anywhere
    # how records, deterministic clusters and profiles are kept between runs, if they are
    kept: KeptPreparation | None = None

    def __post_init__(self) -> None:
        if self.kept and (self.matches or self.declaration.exclusive_key):
            # both read every deterministic edge and cluster, which a kept preparation redraws
            # only where records arrived
            raise ValueError("a kept preparation serves no entity with matches or exclusive key")


@dataclass(frozen=True)
class LinkageResult:
    records: int
    record_counts: Mapping[str, int]  # what the entity's records builder counted besides
    records_prepared: int  # records prepared tonight (all, unless the preparation was kept)
    records_removed: int  # kept records taken out with their reloaded or withdrawn deliveries
    prepared_in_full: str  # why every record was prepared tonight ('' when only new ones)
    deterministic_links: int  # drawn tonight (kept: among records sharing a key with new ones)
    profiles: int
    incremental: bool  # only pairs touching a new profile were scored (else: all)
    new_profiles: int
    pairs_compared: int  # scored by Splink in this run
    pairs_cached: int  # kept from earlier runs
    scoring_cpu_seconds: float
    records_clustered: int  # records whose cluster and key were worked out tonight
    records_joining: int  # new records that took a kept cluster's key as it stands
    clustered_in_full: str  # why every record was clustered ('' when only the scope)
    links: int
    review_pairs: int
    refused_links: int
    entities: int
    new_keys: int
    merges: int
    splits: int
    seconds: float
    model: dict[str, Any] = field(default_factory=dict)
    full_reason: str = ""  # why every pair was scored, when it was

    def as_metadata(self) -> dict[str, int | float | str]:
        plain = {k: v for k, v in vars(self).items() if k not in ("model", "record_counts")}
        return {**plain, **self.record_counts}


def prepare(con: duckdb.DuckDBPyConnection, entity: Entity) -> tuple[dict[str, int], int, int]:
    """Records, deterministic clusters and profiles (also what training and the blocking
    evaluation start from); returns the record counts, deterministic links and profiles."""
    counts, links = _clustered_records(con, entity)
    return counts, links, entity.build_profiles(con)


def _clustered_records(
    con: duckdb.DuckDBPyConnection, entity: Entity
) -> tuple[dict[str, int], int]:
    """Records and their deterministic clusters; returns the record counts and the links."""
    counts = entity.build_records(con)
    rule = entity.declaration.deterministic
    return counts, deterministic_clusters(con, entity.records, entity.node, rule)


@dataclass(frozen=True)
class Preparation:
    counts: dict[str, int]  # the entity's record counts, ``records`` first
    deterministic_links: int
    profiles: int
    records_prepared: int
    full_reason: str  # why every record was prepared ('' when only the new ones)
    keys_current: bool = False  # the key memory holds every kept record (only tonight's new)
    records_removed: int = 0  # kept records of reloaded or withdrawn deliveries taken out


def prepare_for_link(con: duckdb.DuckDBPyConnection, entity: Entity, full: bool) -> Preparation:
    """``prepare`` for a link: only what arrived when the entity keeps its preparation and the
    kept one serves tonight (``prepared.py``), else everything (then kept)."""
    kept = entity.kept
    if kept:
        drop_temporary(con, (entity.records, RECORD_PROFILE, PROFILES))  # a kept run's views
    tonight = plan(con, kept, "full_relink requested" if full else "") if kept else None
    if tonight is None:
        counts, links, profiles = prepare(con, entity)
        return Preparation(counts, links, profiles, counts["records"], "nothing kept")
    if tonight.full_reason:  # prepared in full, kept, then read as a night reads it
        counts, links = _clustered_records(con, entity)
        keep_all(con, kept, tonight.versions)
        profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
        return Preparation(counts, links, profiles, counts["records"], tonight.full_reason)
    prepared, links, removed = prepare_new(
        con, kept, tonight, entity.node, entity.declaration.deterministic
    )
    profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
    counts = kept.count(con)
    return Preparation(counts, links, profiles, prepared, "", tonight.keys_current, removed)


def link(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    committed: MatchModel,
    run_id: str,
    *,
    reestimated: bool = False,
    full: bool = False,
) -> LinkageResult:
    """Link the entity's records with the ``committed`` model (the one its declaration names);
    with ``reestimated``, with that model re-estimated on these records within the
    declaration's guard rails. Only pairs touching a profile the entity's cache has not seen
    are scored (``incremental.py``), unless ``full``, re-estimated or the cache is unusable."""
    started = time.perf_counter()
    declaration = entity.declaration
    try:
        prepared = prepare_for_link(con, entity, full)
        counts, profiles = prepared.counts, prepared.profiles
        outcome = Outcome(committed, reestimated=False)
        if reestimated and profiles > 1:
            outcome = reestimate(
                con, PROFILES, committed, declaration.reestimation, declaration.m_floor
            )
        model = outcome.model
        forced = ""
        if reestimated:
            forced = "re-estimation requested"
        elif full:
            forced = "full_relink requested"
        scoring = score(
            con,
            model,
            declaration,
            entity.cache,
            full_reason=forced,
            content_known=prepared.keys_current,
        )
        decide(con, declaration, model.threshold_match_probability)
        scope, clustered_in_full = _scope(con, entity, prepared, scoring.incremental)
        refused = build_clusters(
            con,
            entity.records,
            entity.node,
            declaration.exclusive_key,
            entity.carried,
            RECORD_PROFILES if scope else RECORD_PROFILE,
        )
        kept = entity.kept
        keys = persist_keys(
            con,
            entity.key_spec,
            CLUSTERS,
            run_id,
            KeyScope(KEYS, KEYED, JOINING) if scope else None,
            (lambda c: mark_keyed(c, kept)) if kept else None,
            REMOVED if kept and not prepared.full_reason else None,
        )
        if entity.matches:
            _keep_matches(con, entity)
        review = _review(con, entity, scoped=scope is not None)
        links = con.execute(
            f"SELECT count(*) FROM {DECISIONS} WHERE decision = 'linked'"
        ).fetchone()[0]
        used = record_model_use(
            con, entity.model_runs, run_id, declaration.model_path, committed.version, outcome
        )
    finally:
        drop_temporary(con, (*TEMP_TABLES, *KEPT_TEMP_TABLES))
    return LinkageResult(
        records=counts["records"],
        record_counts={k: v for k, v in counts.items() if k != "records"},
        records_prepared=prepared.records_prepared,
        records_removed=prepared.records_removed,
        prepared_in_full=prepared.full_reason,
        deterministic_links=prepared.deterministic_links,
        profiles=profiles,
        incremental=scoring.incremental,
        new_profiles=scoring.new_profiles,
        pairs_compared=scoring.pairs_compared,
        pairs_cached=scoring.pairs_cached,
        scoring_cpu_seconds=scoring.scoring_cpu_seconds,
        full_reason=scoring.full_reason,
        records_clustered=scope.records if scope else counts["records"],
        records_joining=scope.joining if scope else 0,
        clustered_in_full=clustered_in_full,
        links=links,
        review_pairs=review,
        refused_links=refused,
        entities=keys.persons,
        new_keys=keys.new_keys,
        merges=keys.merges,
        splits=keys.splits,
        seconds=round(time.perf_counter() - started, 2),
        model=used,
    )


def _scope(
    con: duckdb.DuckDBPyConnection, entity: Entity, prepared: Preparation, incremental: bool
) -> tuple[Scope | None, str]:
    """Tonight's clustering scope (``scope.py``), or None and why every record is clustered."""
    if not entity.kept:
        return None, "no kept preparation"
    if prepared.full_reason:
        return None, "every record was prepared"
    if not prepared.keys_current:
        return None, "the key memory does not hold every kept record"
    if not incremental:
        return None, "every pair was scored"
    found = clustering_scope(con, entity.key_spec, entity.declaration.unique_id, entity.carried)
    return found, "" if found else "a check of the scope failed"


def _keep_matches(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """``entity.matches``: the deterministic links (method: the key) and every decided scored
    pair (method ``splink``), with probability and decision; nodes are records here."""
    uid = identifier(entity.declaration.unique_id)
    rule = entity.declaration.deterministic
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(entity.matches)} AS
        SELECT node_l AS {uid}_l, node_r AS {uid}_r, $method AS method,
               1.0::DOUBLE AS match_probability, NULL::DOUBLE AS match_weight,
               'linked' AS decision
        FROM {EDGES0}
        UNION ALL
        SELECT id_l, id_r, 'splink', match_probability, match_weight, decision FROM {DECISIONS}
        ORDER BY 1, 2
        """,
        {"method": rule.key if rule else "deterministic"},
    )


def _review(con: duckdb.DuckDBPyConnection, entity: Entity, scoped: bool) -> int:
    """The review table: pairs decided ``review`` whose records did not end up under one key
    anyway, each profile shown by its first record (its key read from the memory: ``scoped``,
    tonight's clusters hold only the scope's records)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_review_pairs AS "
        "SELECT id_l, id_r, match_probability, match_weight "
        f"FROM {DECISIONS} WHERE decision = 'review'"
    )
    shown = ", ".join(
        f"r.{identifier(column)} AS {identifier(f)}" for f, column in entity.review_fields.items()
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_review_records AS
        WITH first_record AS (
            SELECT profile_id, min({{'e': source_extract, 'r': record_id}}) AS f
            FROM lk_record_profile
            WHERE profile_id IN (
                SELECT id_l FROM lk_review_pairs UNION SELECT id_r FROM lk_review_pairs
            )
            GROUP BY profile_id
        )
        SELECT f.profile_id AS id, f.f.e AS source_extract, f.f.r AS record_id, {shown}
        FROM first_record f
        JOIN {entity.records} r ON r.source_extract = f.f.e AND r.record_id = f.f.r
        """
    )
    spec = entity.key_spec
    key = identifier(spec.key)
    # the keys of the records shown, not of every record
    shown_clusters = (
        "(SELECT source_extract, record_id FROM lk_review_records)"
        if scoped
        else f"(SELECT * FROM {CLUSTERS} SEMI JOIN lk_review_records "
        "USING (source_extract, record_id))"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_record_keys AS "
        f"SELECT c.source_extract, c.record_id, m.{key} FROM {shown_clusters} c "
        f"JOIN {qualified(spec.memory)} m USING ({', '.join(map(identifier, spec.identity))})"
    )
    return write_review(
        con,
        entity.review,
        "lk_review_pairs",
        "lk_review_records",
        "lk_record_keys",
        spec.key,
        entity.review_fields,
    )
