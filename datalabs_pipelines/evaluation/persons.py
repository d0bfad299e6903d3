"""Person linkage against the generator's truth: pairwise precision, recall, F1, per source.

A warehouse record ``<delivery file>:<line>`` of extract X is the truth row (X, delivery_file,
line_number). Records without a truth row (none in the generated sample) are left out. The
per-source scores count the pairs that have at least one record in that source.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.evaluation.pairwise import pairwise_scores, scores_from_counts
from datalabs_pipelines.evaluation.report import EVALUATORS, NotEvaluable
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
        SELECT k.source_extract, k.person_key AS predicted, t.person_id AS truth
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
        "by_source": {},
    }
    sources = con.execute(f"SELECT DISTINCT source_extract FROM {RELATION} ORDER BY 1").fetchall()
    for (source,) in sources:
        report["by_source"][source] = scores_touching(con, RELATION, source)
    return report


def scores_touching(con: duckdb.DuckDBPyConnection, relation: str, source: str) -> dict:
    """Pairwise scores over the pairs with at least one record of ``source``.

    Per group of n records, s of them from the source: C(n, 2) - C(n - s, 2) such pairs.
    """

    def touching(group_by: str) -> str:
        return (
            "(SELECT coalesce(sum(n * (n - 1) / 2 - (n - s) * (n - s - 1) / 2), 0) FROM ("
            f"SELECT count(*) AS n, count(*) FILTER (WHERE mine) AS s FROM r GROUP BY {group_by}))"
        )

    tp, predicted, true = con.execute(
        f"WITH r AS (SELECT predicted, truth, source_extract = $source AS mine FROM {relation}) "
        f"SELECT {touching('predicted, truth')}, {touching('predicted')}, {touching('truth')}",
        {"source": source},
    ).fetchone()
    return scores_from_counts(tp, predicted, true)


EVALUATORS["person_linkage"] = evaluate_persons
