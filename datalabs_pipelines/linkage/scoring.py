"""The probabilistic pass: score profile pairs with the model (committed or re-estimated).

Splink runs through the one wrapper (``splink_session``) on the TEMP profile table. Every
blocked pair is scored (their number is the work the step did); those at or above the model's
threshold become edges between deterministic clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.splink_session import predict_into

PAIRS = "lk_profile_edges"
EDGES = "lk_scored_edges"


@dataclass(frozen=True)
class ScoringResult:
    pairs_compared: int
    pairs_matched: int


def score_profiles(con: duckdb.DuckDBPyConnection, model: MatchModel) -> ScoringResult:
    """TEMP ``lk_profile_edges`` (every scored pair) and ``lk_scored_edges(node_l, node_r,
    match_probability)`` between deterministic clusters, best pair per cluster pair."""
    profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
    columns = ("unique_id_l", "unique_id_r", "cluster0_l", "cluster0_r")
    if profiles > 1:
        predict_into(
            con,
            PROFILES,
            model.splink_settings,
            PAIRS,
            (*columns, "match_weight", "match_probability"),
        )
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {PAIRS} ({' VARCHAR, '.join(columns)} VARCHAR, "
            "match_weight DOUBLE, match_probability DOUBLE)"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {EDGES} AS
        SELECT least(cluster0_l, cluster0_r) AS node_l, greatest(cluster0_l, cluster0_r) AS node_r,
               max(match_probability) AS match_probability
        FROM {PAIRS} WHERE match_probability >= $threshold
        GROUP BY ALL
        """,
        {"threshold": model.threshold_match_probability},
    )
    compared, matched = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE match_probability >= $t) FROM {PAIRS}",
        {"t": model.threshold_match_probability},
    ).fetchone()
    return ScoringResult(pairs_compared=compared, pairs_matched=matched)
