"""Vendor-to-firm matching scored against the generator's truth (``firm_records.csv``).

Every staged vendor-master and certified-firms record that the truth knows carries its
predicted ``vendor_key`` and its true ``firm_id``; pairwise precision, recall and F1 are
computed over all those records (vendor duplicates, vendor-registry links and one firm's
several certifications alike), and separately over vendor-to-registry pairs only, the links
that decide certified spend, per error type (pairs touching a record with that defect), and
beside them plain Splink's (``baseline.py``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.evaluation.baseline import firm_baseline_report
from datalabs_pipelines.evaluation.pairwise import pairwise_scores
from datalabs_pipelines.evaluation.persons import by_error
from datalabs_pipelines.evaluation.report import NotEvaluable, model_used
from datalabs_pipelines.warehouse import table_exists


def _labelled(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> None:
    truth = truth_dir / "firm_records.csv"
    if not truth.is_file():
        raise NotEvaluable(f"no truth file {truth}")
    if not table_exists(con, ("integrated", "vendor_keys")):
        raise NotEvaluable("integrated.vendor_keys is missing: run the procurement assets")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _vendor_eval AS
        SELECT k.source_extract, k.record_id, k.vendor_key AS predicted, t.firm_id AS truth,
               string_split(coalesce(t.defect, ''), ';') AS defects
        FROM integrated.vendor_keys k
        JOIN read_csv($path, all_varchar = true) t
          ON t.extract = k.source_extract
         AND t.delivery_file || ':' || t.line_number = k.record_id
        WHERE k.source_extract IN ('vendor_master', 'certified_firms')
        """,
        {"path": str(truth_dir / "firm_records.csv")},
    )


def _cross_pairs(con: duckdb.DuckDBPyConnection) -> dict[str, float | int]:
    """Pairs of one vendor record and one registry record only."""
    tp, predicted, true = con.execute(
        """
        WITH v AS (SELECT * FROM _vendor_eval WHERE source_extract = 'vendor_master'),
             c AS (SELECT * FROM _vendor_eval WHERE source_extract = 'certified_firms')
        SELECT count(*) FILTER (WHERE v.predicted = c.predicted AND v.truth = c.truth),
               count(*) FILTER (WHERE v.predicted = c.predicted),
               count(*) FILTER (WHERE v.truth = c.truth)
        FROM v JOIN c ON v.predicted = c.predicted OR v.truth = c.truth
        """
    ).fetchall()[0]
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        "true_pairs": true,
        "predicted_pairs": predicted,
        "correct_pairs": tp,
    }


def evaluate_vendor_matching(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict:
    _labelled(con, truth_dir)
    report = pairwise_scores(con, "_vendor_eval")
    report["records"] = con.execute("SELECT count(*) FROM _vendor_eval").fetchall()[0][0]
    report["vendor_to_registry"] = _cross_pairs(con)
    report["model_used"] = model_used(con, ("integrated", "vendor_linkage_models"))
    report["by_error"] = by_error(con, "_vendor_eval")
    if table_exists(con, ("integrated", "business_records")):
        report["baseline"] = firm_baseline_report(con, "_vendor_eval")
    return report
