"""Plain Splink on the same fields: the reference the project's linkages are judged against.

A simple Splink 5 model as its documentation teaches it: standard comparisons for first and
last name, date of birth, SSN and ZIP, the prior from two deterministic rules, u from random
pairs, m by expectation maximisation on the data at hand, blocking on a few fields, clusters at
a match probability of 0.9. It reads the records exactly as the pipeline prepares them (names
split, SSN placeholders dropped) but none of the pipeline's agency ids, nicknames or rules.
Distinct field combinations are scored once (forty wage records under one name are one row).
Firms likewise: name, address, city, ZIP and phone of ``business_records`` as the pipeline
normalized them, without FEINs, DBA names or the pipeline's guards.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.evaluation.pairwise import pairwise_scores
from datalabs_pipelines.linkage.prepare import RECORDS, build_records
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.linkage.splink_session import splink_linker

THRESHOLD = 0.9
FIELDS = ("first_name", "last_name", "dob", "ssn", "zip")
RELATION = "eval_baseline_pairs"


def _settings() -> object:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.LevenshteinAtThresholds("ssn", [1, 2]),
            cl.ExactMatch("zip"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("dob"),
            block_on("ssn"),
            block_on("zip", "last_name"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def baseline_clusters(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``eval_baseline(source_extract, record_id, cluster)`` for every person record."""
    from splink import block_on

    build_records(con, person_sources(all_contracts()))
    key = ", ".join(f"coalesce(CAST({f} AS VARCHAR), chr(0))" for f in FIELDS)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_baseline_profiles AS "
        f"SELECT DISTINCT md5(concat_ws(chr(31), {key})) AS unique_id, {', '.join(FIELDS)} "
        f"FROM {RECORDS} WHERE has_identity"
    )
    with splink_linker(con, "eval_baseline_profiles", _settings()) as linker:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("ssn", "dob"), block_on("first_name", "last_name", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        for rule in (block_on("dob"), block_on("first_name", "last_name")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, THRESHOLD
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE eval_baseline_cluster AS "
            f"SELECT unique_id, cluster_id FROM {clusters.physical_name}"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE eval_baseline AS
        SELECT r.source_extract, r.record_id,
               coalesce(c.cluster_id, r.source_extract || ':' || r.record_id) AS cluster
        FROM {RECORDS} r
        -- one equality, so a hash join: a condition on r alone beside it (r.has_identity AND
        -- ...) made it a nested loop, 280 s for 100,000 records
        LEFT JOIN eval_baseline_cluster c
          ON c.unique_id = CASE WHEN r.has_identity THEN md5(concat_ws(chr(31), {key})) END
        """
    )


def baseline_report(con: duckdb.DuckDBPyConnection, relation: str) -> dict:
    """Plain Splink's scores over the records of ``relation`` (columns as in ``persons.py``),
    overall and per error type."""
    from datalabs_pipelines.evaluation.persons import by_error

    baseline_clusters(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RELATION} AS "
        f"SELECT r.* REPLACE (b.cluster AS predicted) FROM {relation} r "
        "JOIN eval_baseline b USING (source_extract, record_id)"
    )
    return {
        "model": f"plain Splink, {', '.join(FIELDS)}, threshold {THRESHOLD}",
        **pairwise_scores(con, RELATION),
        "by_error": by_error(con, RELATION),
    }


FIRM_FIELDS = ("name_norm", "address_norm", "city_norm", "zip5", "phone10")


def firm_baseline_report(con: duckdb.DuckDBPyConnection, relation: str) -> dict:
    """Plain Splink over ``integrated.business_records``, scored on the records of
    ``relation`` (``source_extract``, ``record_id``, ``truth``, ``defects``)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    from datalabs_pipelines.evaluation.persons import by_error

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_norm"),
            cl.ExactMatch("address_norm"),
            cl.ExactMatch("city_norm"),
            cl.ExactMatch("zip5"),
            cl.ExactMatch("phone10"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_norm"),
            block_on("phone10"),
            block_on("zip5", "address_norm"),
        ],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_firm_records AS "
        f"SELECT uid, source_extract, record_id, {', '.join(FIRM_FIELDS)} "
        "FROM integrated.business_records"
    )
    with splink_linker(con, "eval_firm_records", settings) as linker:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_norm", "zip5"), block_on("phone10")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        for rule in (block_on("zip5"), block_on("substr(name_norm, 1, 4)")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, THRESHOLD
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE eval_firm_baseline AS "
            f"SELECT source_extract, record_id, cluster_id FROM {clusters.physical_name}"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE eval_firm_baseline_pairs AS "
        f"SELECT r.* REPLACE (b.cluster_id AS predicted) FROM {relation} r "
        "JOIN eval_firm_baseline b USING (source_extract, record_id)"
    )
    return {
        "model": f"plain Splink, {', '.join(FIRM_FIELDS)}, threshold {THRESHOLD}",
        **pairwise_scores(con, "eval_firm_baseline_pairs"),
        "by_error": by_error(con, "eval_firm_baseline_pairs"),
    }
