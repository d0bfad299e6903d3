"""Person linkage against the generator's truth: pairwise precision, recall, F1, per source,
per error type, and beside them plain Splink's on the same fields.

A warehouse record ``<delivery file>:<line>`` of extract X is the truth row (X, delivery_file,
line_number). Records without a truth row (none in the generated sample) are left out. The
per-source scores count the pairs that have at least one record in that source; the per-error
scores the pairs that have at least one record carrying that error (the truth's defect tags).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.evaluation.baseline import baseline_report
from datalabs_pipelines.evaluation.blocking import blocking_report
from datalabs_pipelines.evaluation.pairwise import pairwise_scores, scores_from_counts
from datalabs_pipelines.evaluation.report import EVALUATORS, NotEvaluable, model_used
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.warehouse import table_exists

PERSON_KEYS = ("integrated", "person_keys")
RELATION = "eval_person_pairs"


def evaluate_persons(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict:
    truth = truth_dir / "person_records.csv"
    if not truth.exists():
        raise NotEvaluable(f"no {truth}")
    if not table_exists(con, PERSON_KEYS):
        raise NotEvaluable("integrated.person_keys is missing: person linkage has not run")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {RELATION} AS
        SELECT k.source_extract, k.record_id, k.person_key AS predicted,
               t.person_id AS truth, string_split(coalesce(t.defect, ''), ';') AS defects
        FROM integrated.person_keys k
        JOIN read_csv($truth, header = true, all_varchar = true) t
          ON t.extract = k.source_extract
         AND t.delivery_file || ':' || t.line_number = k.record_id
        """,
        {"truth": str(truth)},
    )
    records, unmatched = con.execute(
        f"SELECT (SELECT count(*) FROM {RELATION}), "
        f"(SELECT count(*) FROM integrated.person_keys) - (SELECT count(*) FROM {RELATION})"
    ).fetchone()
    report: dict = {
        **pairwise_scores(con, RELATION),
        "records": records,
        "records_without_truth": unmatched,
        "model_used": model_used(con, ("integrated", "person_linkage_models")),
        "by_source": {},
    }
    sources = con.execute(f"SELECT DISTINCT source_extract FROM {RELATION} ORDER BY 1").fetchall()
    for (source,) in sources:
        report["by_source"][source] = scores_touching(con, RELATION, "source_extract = $v", source)
    report["by_error"] = by_error(con, RELATION)
    report["blocking"] = blocking_report(con, RELATION, load_model())
    report["baseline"] = baseline_report(con, RELATION)
    return report


def by_error(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, dict]:
    """Scores over the pairs touching a record with each defect tag, with the tag's records."""
    tags = con.execute(
        f"SELECT tag, count(*) FROM (SELECT unnest(defects) AS tag FROM {relation}) "
        "WHERE tag <> '' GROUP BY tag ORDER BY tag"
    ).fetchall()
    return {
        tag: {"records": n, **scores_touching(con, relation, "list_contains(defects, $v)", tag)}
        for tag, n in tags
    }


def scores_touching(con: duckdb.DuckDBPyConnection, relation: str, mine: str, value: str) -> dict:
    """Pairwise scores over the pairs with at least one record where ``mine`` (a SQL predicate
    with the parameter ``$v``) holds.

    Per group of n records, s of them marked: C(n, 2) - C(n - s, 2) such pairs.
    """

    def touching(group_by: str) -> str:
        return (
            "(SELECT coalesce(sum(n * (n - 1) / 2 - (n - s) * (n - s - 1) / 2), 0) FROM ("
            f"SELECT count(*) AS n, count(*) FILTER (WHERE mine) AS s FROM r GROUP BY {group_by}))"
        )

    tp, predicted, true = con.execute(
        f"WITH r AS (SELECT predicted, truth, {mine} AS mine FROM {relation}) "
        f"SELECT {touching('predicted, truth')}, {touching('predicted')}, {touching('truth')}",
        {"v": value},
    ).fetchone()
    return scores_from_counts(tp, predicted, true)


EVALUATORS["person_linkage"] = evaluate_persons
