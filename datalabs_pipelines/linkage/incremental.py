"""Incremental scoring: tonight Splink scores only the pairs that touch a profile it has not
scored before; every other pair's score is kept from the run that scored it.

A run keeps, in two tables its asset declares, the profiles it scored (id and a hash of every
column Splink reads, stamped with what it was scored with: model version and declaration) and
its scored pairs from a bit below the review probability up (what decisions read, and a
margin). The next run builds records, deterministic clusters and profiles as always; a profile
whose id and content are not in the cache is new. Each declared blocking rule's own join finds
its pairs with a new profile on either side (``blocking.py``: the new side filtered before the
join), each pair kept once under the first rule that makes it: exactly the pairs the full run
would compare among them. Splink scores those pairs reading only their profiles, with term
frequencies computed over all of tonight's profiles and registered through its public API, as
the full run would score them. Cached pairs whose two profiles are still there join
them, their scores moved to tonight's term frequencies (names grow more or less common as data
arrive: ``kept_scores``), so each is what a full run would give it tonight; the rest
(decisions, clusters, keys) runs on the union as after a full scoring.

A full scoring runs instead when there is no cache, the cache predates the frequencies it now
keeps, the model or the declaration changed (the stamp differs), the run re-estimates, or the
run asks for it (``full_relink``; the monthly schedule). Pairs are kept from a bit below the
review probability (``kept_from``), so one that tonight's frequencies lift above it reaches
the review table as in a full run; only a pair scored more than a bit below it and lifted
that far since would miss it (never the links: the threshold is bits higher).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from datalabs_pipelines.linkage.declaration import LinkageDeclaration
from datalabs_pipelines.linkage.kept_scores import (
    GAMMAS,
    USED,
    adjusted_comparisons,
    refreshed_sql,
)
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.scoring import PAIRS, empty_pairs, score_profiles
from datalabs_pipelines.warehouse import (
    identifier,
    qualified,
    table_columns,
    table_exists,
    transaction,
)

NEW = "lk_new"  # the column marking tonight's new profiles (TEMP copy of the profiles)
STATE = "lk_profile_state"  # TEMP (profile_id, content, new)
MARKED = "lk_profiles_marked"  # TEMP: the profiles, whether each is new, and its content
CONTENT = "lk_content"  # the column of ``lk_profiles_marked`` holding the content
# TEMP (id_l, id_r): kept pairs that tonight's term frequencies carry across the model's
# threshold, linked before and not now or the other way (their clusters must be redrawn)
FLIPPED = "lk_flipped_pairs"
REFRESHED = "lk_kept_pairs"  # TEMP: the kept pairs at tonight's frequencies
# pairs are kept from this far below the review probability: a night's frequencies move a kept
# weight by hundredths of a bit, a month's by tenths
KEPT_BELOW_FLOOR_BITS = 1.0

SCORED_PROFILES_COLUMNS = {
    "profile_id": ("VARCHAR", "id of a profile the last run scored (a hash, no value)"),
    "content": ("VARCHAR", "MD5 of every column Splink read of the profile"),
    "scored_with": ("VARCHAR", "hash of the model version and the declaration it was scored with"),
}
SCORED_PAIRS_COLUMNS = {
    "id_l": ("VARCHAR", "profile id of one side"),
    "id_r": ("VARCHAR", "profile id of the other side"),
    "match_weight": ("DOUBLE", "Splink match weight at the last run's term frequencies"),
    "match_probability": ("DOUBLE", "Splink match probability at the last run's term frequencies"),
    GAMMAS: (
        "INTEGER[]",
        "per term-frequency-adjusted comparison, the level the pair reached (Splink's gamma)",
    ),
    USED: (
        "DOUBLE[]",
        "per term-frequency-adjusted comparison, the frequency the pair was weighed with "
        "(NULL: no adjustment)",
    ),
}


@dataclass(frozen=True)
class PairCache:
    """Where an entity keeps its scored profiles and pairs between runs."""

    profiles: tuple[str, str]
    pairs: tuple[str, str]


@dataclass(frozen=True)
class Scoring:
    """What the probabilistic pass did: ``incremental`` or full, ``new_profiles`` (all of
    them when full), ``pairs_compared`` (scored by Splink tonight), ``pairs_cached``."""

    incremental: bool
    new_profiles: int
    pairs_compared: int
    pairs_cached: int
    full_reason: str
    scoring_cpu_seconds: float = 0.0  # CPU of the process while scoring (DuckDB threads too)


def stamp(model: MatchModel, declaration: LinkageDeclaration) -> str:
    """What a cached score depends on besides its two profiles: the model's parameters and
    blocking, and the declaration (comparisons, thresholds)."""
    body = model.version + declaration.model_dump_json(exclude={"base_dir"})
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def score(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    declaration: LinkageDeclaration,
    cache: PairCache | None,
    *,
    full_reason: str = "",
    content_known: bool = False,
) -> Scoring:
    """TEMP ``lk_profile_edges`` as ``scoring.score_profiles`` writes it, incrementally when
    the cache allows and no ``full_reason`` is given; then the cache holds tonight's profiles
    and pairs. ``content_known``: a profile the cache names is as it was scored (a kept
    preparation the last keyed run read), so only the others' content is hashed."""
    started = time.process_time()
    result = _score(con, model, declaration, cache, full_reason, content_known)
    return replace(result, scoring_cpu_seconds=round(time.process_time() - started, 2))


def _score(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    declaration: LinkageDeclaration,
    cache: PairCache | None,
    full_reason: str,
    content_known: bool,
) -> Scoring:
    if cache is None:
        compared = score_profiles(con, model, declaration.unique_id)
        return Scoring(False, _count(con, PROFILES), compared, 0, "no cache declared")
    scored_with = stamp(model, declaration)
    reason = full_reason or _full_reason(con, cache, scored_with)
    _profile_state(con, declaration.unique_id, None if reason else cache, content_known)
    if reason:
        compared = score_profiles(con, model, declaration.unique_id)
        result = Scoring(False, _count(con, PROFILES), compared, 0, reason)
    else:
        result = _score_new(con, model, declaration.unique_id, cache)
    keep_from = kept_from(declaration.review_probability, model.splink_settings)
    _save(con, cache, scored_with, keep_from, content_known and not reason)
    return result


def kept_from(floor: float, settings: dict[str, Any]) -> float:
    """The probability from which scored pairs are kept: the review probability, less
    ``KEPT_BELOW_FLOOR_BITS`` when term frequencies move kept scores (a pair just below the
    floor that tonight's frequencies lift above it then reaches the review table, as in a
    full run)."""
    if floor <= 0 or floor >= 1 or not adjusted_comparisons(settings):
        return floor
    weight = math.log2(floor / (1 - floor)) - KEPT_BELOW_FLOOR_BITS
    return 2**weight / (1 + 2**weight)


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


def _full_reason(con: duckdb.DuckDBPyConnection, cache: PairCache, scored_with: str) -> str:
    """Why tonight must score everything, or '' when the cache can be used."""
    if not (table_exists(con, cache.profiles) and table_exists(con, cache.pairs)):
        return "no cache"
    stamps = con.execute(f"SELECT DISTINCT scored_with FROM {qualified(cache.profiles)}").fetchall()
    if not stamps:
        return "no cache"
    if stamps != [(scored_with,)]:
        return "model or declaration changed"
    if not {GAMMAS, USED} <= table_columns(con, cache.pairs):
        return "the cache keeps no term frequencies"
    return ""


def _profile_state(
    con: duckdb.DuckDBPyConnection, unique_id: str, cache: PairCache | None, content_known: bool
) -> None:
    """TEMP ``lk_profile_state(profile_id, content, new)``: tonight's profiles, new unless
    ``cache`` holds the same id with the same content (``content_known``: the same id; then
    only a new profile's content is hashed, the only one saved). With a cache, first TEMP
    ``lk_profiles_marked``: the profiles, whether each is new and its content, what the
    incremental scoring searches; the state is read from it, not joined again."""
    content = "md5(CAST(p AS VARCHAR))"
    if cache is None:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {STATE} AS "
            f"SELECT CAST(p.{identifier(unique_id)} AS VARCHAR) AS profile_id, "
            f"{content} AS content, true AS new FROM {PROFILES} p"
        )
        return
    uid = f"CAST(p.{identifier(unique_id)} AS VARCHAR)"
    same = f"c.profile_id = {uid}" + ("" if content_known else f" AND c.content = {content}")
    hashed = f"CASE WHEN c.profile_id IS NULL THEN {content} END" if content_known else content
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MARKED} AS "
        f"SELECT p.*, c.profile_id IS NULL AS {NEW}, {hashed} AS {CONTENT} "
        f"FROM {PROFILES} p LEFT JOIN {qualified(cache.profiles)} c ON {same}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STATE} AS SELECT {uid} AS profile_id, "
        f"{CONTENT} AS content, {NEW} AS new FROM {MARKED} p"
    )


def _score_new(
    con: duckdb.DuckDBPyConnection, model: MatchModel, unique_id: str, cache: PairCache
) -> Scoring:
    """Score the pairs touching a new profile; add the cached pairs whose two profiles are
    still there and unchanged, at tonight's term frequencies.

    Splink scores the pairs the declared rules make with a new profile (``blocking.py``: each
    rule's join filters the new side first), registered as its blocked pairs, reading only
    their profiles, with term frequencies computed over all of tonight's profiles as Splink
    computes them (both through its public API), so each pair gets the score a full run would
    give it at a cost that follows what arrived."""
    new = _count(con, STATE, "new")
    compared = 0
    lookups = _term_frequencies(con, model.splink_settings)
    try:
        if new:
            compared = score_profiles(con, model, unique_id, MARKED, lookups, NEW)
        else:
            empty_pairs(con)
        _refresh_kept(con, model, unique_id, cache, lookups)
    finally:
        for table in (MARKED, REFRESHED, *lookups.values()):
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    cached = _count(con, PAIRS) - compared
    return Scoring(True, new, compared, cached, "")


def _refresh_kept(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    unique_id: str,
    cache: PairCache,
    lookups: dict[str, str],
) -> None:
    """Add to the scored pairs the cached pairs whose two profiles are still there and
    unchanged, at tonight's term frequencies (``kept_scores``); TEMP ``lk_flipped_pairs``:
    those the move carries across the model's threshold."""
    kept = (
        f"(SELECT c.* FROM {qualified(cache.pairs)} c "
        f"JOIN {STATE} l ON l.profile_id = c.id_l AND NOT l.new "
        f"JOIN {STATE} r ON r.profile_id = c.id_r AND NOT r.new)"
    )
    settings = model.splink_settings
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REFRESHED} AS "
        f"{refreshed_sql(settings, kept, PROFILES, unique_id, lookups)}"
    )
    con.execute(
        f"INSERT INTO {PAIRS} SELECT id_l, id_r, match_weight, match_probability, {GAMMAS}, "
        f"{USED} FROM {REFRESHED}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {FLIPPED} AS SELECT id_l, id_r FROM {REFRESHED} "
        "WHERE (kept_probability >= $accept) <> (match_probability >= $accept)",
        {"accept": model.threshold_match_probability},
    )


def _term_frequencies(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> dict[str, str]:
    """TEMP ``lk_tf_<column>(<column>, tf_<column>)`` over all of tonight's profiles for each
    term-frequency column of ``settings``, computed as Splink computes its own (the share of
    the non-null values); column → table."""
    prefix = settings.get("term_frequency_adjustment_column_prefix", "tf_")
    columns = {
        level["tf_adjustment_column"]
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }
    lookups = {}
    for column in sorted(columns):
        table, col = f"lk_tf_{column}", identifier(column)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {col}, "
            f"CAST(count(*) AS DOUBLE) / (SELECT count({col}) FROM {PROFILES}) "
            f"AS {identifier(prefix + column)} FROM {PROFILES} WHERE {col} IS NOT NULL "
            f"GROUP BY {col}"
        )
        lookups[column] = table
    return lookups


def _save(
    con: duckdb.DuckDBPyConnection,
    cache: PairCache,
    scored_with: str,
    floor: float,
    in_place: bool,
) -> None:
    """The cache after tonight: every profile scored and the pairs from ``floor`` up (what
    decisions can read, and a margin below: ``kept_from``), in one transaction (profiles
    without their pairs would be taken as scored). ``in_place``: the
    cached profiles tonight still has are kept as they are, the others deleted, the new ones
    added (when the cache held tonight's profiles by id: ``content_known``)."""
    for schema in {cache.profiles[0], cache.pairs[0]}:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(schema)}")
    profiles = qualified(cache.profiles)
    with transaction(con):
        if in_place:
            con.execute(
                f"DELETE FROM {profiles} WHERE profile_id NOT IN (SELECT profile_id FROM {STATE})"
            )
            con.execute(
                f"INSERT INTO {profiles} SELECT profile_id, content, $stamp FROM {STATE} WHERE new",
                {"stamp": scored_with},
            )
        else:
            con.execute(
                f"CREATE OR REPLACE TABLE {profiles} AS SELECT profile_id, content, "
                f"$stamp AS scored_with FROM {STATE} ORDER BY profile_id",
                {"stamp": scored_with},
            )
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(cache.pairs)} AS "
            "SELECT CAST(unique_id_l AS VARCHAR) AS id_l, CAST(unique_id_r AS VARCHAR) AS id_r, "
            f"match_weight, match_probability, {GAMMAS}, {USED} FROM {PAIRS} "
            "WHERE match_probability >= $floor ORDER BY id_l, id_r",
            {"floor": floor},
        )
