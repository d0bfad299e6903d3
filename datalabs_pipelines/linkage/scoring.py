"""The probabilistic pass: score profile pairs with the model (committed or re-estimated).

Splink runs through the one wrapper (``splink_session``) on the TEMP profile table. Every
blocked pair is scored (their number is the work the step did); what becomes of a pair is
decided from its probability by ``decisions``.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from datalabs_pipelines.linkage.blocking import BLOCKED, prediction_rules, write_blocked_pairs
from datalabs_pipelines.linkage.kept_scores import GAMMAS, USED, retaining, scored_sql
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.splink_session import predict_into
from datalabs_pipelines.warehouse import identifier

PAIRS = "lk_profile_edges"


def empty_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """An empty TEMP ``lk_profile_edges``: nothing to score."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PAIRS} (unique_id_l VARCHAR, unique_id_r VARCHAR, "
        f"match_weight DOUBLE, match_probability DOUBLE, {GAMMAS} INTEGER[], {USED} DOUBLE[])"
    )


def score_profiles(
    con: duckdb.DuckDBPyConnection,
    model: MatchModel,
    unique_id: str = "unique_id",
    profiles: str = PROFILES,
    tf_lookups: Mapping[str, str] | None = None,
    new: str | None = None,
) -> int:
    """TEMP ``lk_profile_edges(unique_id_l, unique_id_r, match_weight, match_probability,
    tf_gamma, tf_used)``: every pair of the ``profiles`` (their id column is ``unique_id``) the
    model's blocking rules make (``blocking.py``; with ``new``, a boolean column of the
    profiles, only the pairs with a new profile on either side), with what a kept score needs
    to follow the term frequencies (``kept_scores``); returns their number."""
    rules = prediction_rules(model.splink_settings)
    uid = identifier(unique_id)
    try:
        if not write_blocked_pairs(con, profiles, rules, unique_id, new):
            empty_pairs(con)
            return 0
        pairs = predict_into(
            con,
            profiles,
            retaining(model.splink_settings),
            BLOCKED,
            PAIRS,
            (f"{uid}_l", f"{uid}_r", "match_weight", "match_probability"),
            tf_lookups=tf_lookups,
            derived=scored_sql(model.splink_settings),
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{BLOCKED}")
    if uid != "unique_id":
        for side in ("l", "r"):
            con.execute(f"ALTER TABLE {PAIRS} RENAME COLUMN {uid}_{side} TO unique_id_{side}")
    return pairs
