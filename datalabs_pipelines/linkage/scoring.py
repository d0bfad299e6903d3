"""The probabilistic pass: score profile pairs with the committed Splink model.

Splink runs on the DuckDB connection itself, inside a scratch catalog, on the TEMP profile
table. Every blocked pair is scored (their number is the work the step did); those at or above
the model's threshold become edges between deterministic clusters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.scratch import scratch_catalog

EDGES = "lk_scored_edges"


@dataclass(frozen=True)
class ScoringResult:
    pairs_compared: int
    pairs_matched: int


def score_profiles(con: duckdb.DuckDBPyConnection, model: MatchModel) -> ScoringResult:
    """TEMP ``lk_profile_edges`` (every scored pair) and ``lk_scored_edges(node_l, node_r,
    match_probability)`` between deterministic clusters, best pair per cluster pair."""
    from splink import Linker

    from datalabs_pipelines.warehouse import splink_api

    profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_profile_edges (unique_id_l VARCHAR, "
        "unique_id_r VARCHAR, cluster0_l VARCHAR, cluster0_r VARCHAR, match_probability DOUBLE)"
    )
    if profiles > 1:
        with scratch_catalog(con):
            db_api = splink_api(con)
            frame = db_api.register(PROFILES)
            linker = Linker(frame, model.splink_settings, log_level=logging.WARNING)
            predictions = linker.inference.predict(warning_mode="never")
            con.execute(
                "INSERT INTO lk_profile_edges SELECT unique_id_l, unique_id_r, cluster0_l, "
                f"cluster0_r, match_probability FROM {predictions.physical_name}"
            )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {EDGES} AS
        SELECT least(cluster0_l, cluster0_r) AS node_l, greatest(cluster0_l, cluster0_r) AS node_r,
               max(match_probability) AS match_probability
        FROM lk_profile_edges WHERE match_probability >= $threshold
        GROUP BY ALL
        """,
        {"threshold": model.threshold_match_probability},
    )
    compared = con.execute("SELECT count(*) FROM lk_profile_edges").fetchone()[0]
    matched = con.execute(
        "SELECT count(*) FROM lk_profile_edges WHERE match_probability >= $t",
        {"t": model.threshold_match_probability},
    ).fetchone()[0]
    return ScoringResult(pairs_compared=compared, pairs_matched=matched)
