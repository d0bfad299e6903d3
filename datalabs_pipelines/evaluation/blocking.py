"""How many pairs each blocking rule of the person model makes, and which true pairs they reach.

The probabilistic pass scores only the profile pairs some blocking rule makes; a true pair no
rule makes is lost whatever the model says. Profiles are built as the pipeline builds them;
a pair is true when both profiles belong to one true person, and counted only when the
deterministic pass left the two apart (those are the pairs blocking must find). The share
reached is also given per error type: over the true pairs with a profile whose records carry
that defect tag of the truth (``defects`` of ``relation``).
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.blocking import prediction_rules
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.persons import person_entity
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.run import prepare
from datalabs_pipelines.linkage.sources import person_sources


def blocking_report(con: duckdb.DuckDBPyConnection, relation: str, model: MatchModel) -> dict:
    """Per rule: pairs made, true pairs among them; overall: share of true pairs reached."""
    prepare(con, person_entity(person_sources(all_contracts())))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE eval_profile_truth AS
        SELECT rp.profile_id AS unique_id, t.truth,
               list_filter(list_distinct(flatten(list(t.defects))), d -> d <> '') AS defects
        FROM lk_record_profile rp JOIN {relation} t USING (source_extract, record_id)
        WHERE rp.profile_id IS NOT NULL
        GROUP BY rp.profile_id, t.truth
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE eval_true_pairs AS
        SELECT a.unique_id AS id_l, b.unique_id AS id_r,
               list_distinct(flatten(list(a.defects || b.defects))) AS defects
        FROM eval_profile_truth a JOIN eval_profile_truth b
          ON a.truth = b.truth AND a.unique_id < b.unique_id
        JOIN {PROFILES} l ON l.unique_id = a.unique_id
        JOIN {PROFILES} r ON r.unique_id = b.unique_id
        WHERE l.cluster0 <> r.cluster0
        GROUP BY a.unique_id, b.unique_id
        """
    )
    true_pairs = con.execute("SELECT count(*) FROM eval_true_pairs").fetchone()[0]
    con.execute("CREATE OR REPLACE TEMP TABLE eval_reached (id_l VARCHAR, id_r VARCHAR)")
    rules = []
    for sql in prediction_rules(model.splink_settings):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE eval_rule_pairs AS "
            f"SELECT l.unique_id AS id_l, r.unique_id AS id_r FROM {PROFILES} l "
            f"JOIN {PROFILES} r ON l.unique_id < r.unique_id AND ({sql})"
        )
        pairs, new, true_made = con.execute(
            "SELECT (SELECT count(*) FROM eval_rule_pairs), "
            "(SELECT count(*) FROM eval_rule_pairs ANTI JOIN eval_reached USING (id_l, id_r)), "
            "(SELECT count(*) FROM eval_rule_pairs SEMI JOIN eval_true_pairs USING (id_l, id_r))"
        ).fetchone()
        con.execute("INSERT INTO eval_reached SELECT * FROM eval_rule_pairs")
        rules.append({"rule": sql, "pairs": pairs, "new_pairs": new, "true_pairs": true_made})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_true_reached AS "
        "SELECT * FROM eval_true_pairs "
        "SEMI JOIN (SELECT DISTINCT id_l, id_r FROM eval_reached) USING (id_l, id_r)"
    )
    reached = con.execute("SELECT count(*) FROM eval_true_reached").fetchone()[0]
    return {
        "true_pairs_left_by_deterministic_pass": true_pairs,
        "true_pairs_reached": reached,
        "share_reached": _share(reached, true_pairs),
        "pairs": sum(rule["new_pairs"] for rule in rules),
        "rules": rules,
        "by_error": reach_by_error(con, "eval_true_pairs", "eval_true_reached"),
    }


def reach_by_error(con: duckdb.DuckDBPyConnection, true_pairs: str, reached: str) -> dict:
    """Per defect tag: the true pairs (``id_l``, ``id_r``, ``defects``) with a profile carrying
    it, how many of them are in ``reached`` and their share."""
    rows = con.execute(
        f"""
        SELECT tag, count(*), count(r.id_l)
        FROM (SELECT id_l, id_r, unnest(defects) AS tag FROM {true_pairs}) t
        LEFT JOIN (SELECT DISTINCT id_l, id_r FROM {reached}) r USING (id_l, id_r)
        GROUP BY tag ORDER BY tag
        """
    ).fetchall()
    return {
        tag: {"true_pairs": n, "reached": k, "share_reached": _share(k, n)} for tag, n, k in rows
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 1.0
