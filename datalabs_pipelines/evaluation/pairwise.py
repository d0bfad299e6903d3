"""Pairwise precision, recall and F1 of a clustering against true entities, in SQL.

A pair of records is predicted when both carry the same predicted key and true when both
carry the same true id. Counting uses cluster sizes (n choose 2), never all pairs.
"""

from __future__ import annotations

import duckdb


def pairwise_scores(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, float | int]:
    """``relation`` has one row per record with columns ``predicted`` and ``truth``."""
    tp, predicted, true = con.execute(
        f"""
        WITH r AS (SELECT predicted, truth FROM {relation}
                   WHERE predicted IS NOT NULL AND truth IS NOT NULL),
        both_ AS (SELECT count(*) AS n FROM r GROUP BY predicted, truth),
        pred AS (SELECT count(*) AS n FROM r GROUP BY predicted),
        tru AS (SELECT count(*) AS n FROM r GROUP BY truth)
        SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM both_),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pred),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM tru)
        """
    ).fetchone()
    return scores_from_counts(tp, predicted, true)


def scores_from_counts(tp: int, predicted: int, true: int) -> dict[str, float | int]:
    """Precision, recall and F1 from counts of correct, predicted and true pairs."""
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(float(precision), 6),
        "recall": round(float(recall), 6),
        "f1": round(float(f1), 6),
        "true_pairs": int(true),
        "predicted_pairs": int(predicted),
        "correct_pairs": int(tp),
    }
