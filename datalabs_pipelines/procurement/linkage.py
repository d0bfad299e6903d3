"""Vendor resolution end to end: records → FEIN pass → Splink scores → businesses → keys.

Writes, in schema ``integrated`` (or the given schema, for the NC directories in tests):
``business_records``, ``vendor_matches`` (every scored or FEIN pair with its probability and
decision), ``vendor_match_review`` (the uncertain band, not linked), ``vendor_keys`` and,
through ``keys``, the persistent assignments and the change log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.declaration import LinkageDeclaration
from datalabs_pipelines.linkage.keys import persist_keys
from datalabs_pipelines.linkage.model_runs import record_model_use
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.reestimate import Outcome, reestimate
from datalabs_pipelines.linkage.review import write_review
from datalabs_pipelines.procurement.clustering import COMPONENTS, cluster_in_sql
from datalabs_pipelines.procurement.fein import fein_pairs
from datalabs_pipelines.procurement.keys import VENDOR_KEY_SPEC
from datalabs_pipelines.procurement.sources import build_business_records
from datalabs_pipelines.warehouse import identifier

MODEL_RUNS = "vendor_linkage_models"
# what a reviewer compares: review column -> business_records column (public business data)
REVIEW_FIELDS = {
    "name": "name_raw",
    "address": "address_norm",
    "city": "city_norm",
    "zip": "zip5",
    "phone": "phone10",
}

# A pair is linked automatically only if the names agree (or one is the other's DBA):
# co-located businesses of one owner share address and phone, and must not merge unseen. Names
# agree when equal but for spaces (J R SMITH, JR SMITH), or when similar both whole and after
# their first word, so that DANIELS PRODUCTION and DANIELS TOURS, one owner's two businesses,
# do not agree on the owner's name alone.
_REST = "regexp_replace({}.name_norm, '^\\S+\\s*', '')"
NAME_AGREES = (
    "(replace(l.name_norm, ' ', '') = replace(r.name_norm, ' ', '') "
    "OR (jaro_winkler_similarity(l.name_norm, r.name_norm) >= 0.88 "
    f"AND ({_REST.format('l')} = {_REST.format('r')} "
    f"OR jaro_winkler_similarity({_REST.format('l')}, {_REST.format('r')}) >= 0.88)) "
    "OR l.name_norm = r.dba_norm OR l.dba_norm = r.name_norm OR l.dba_norm = r.dba_norm)"
)


@dataclass(frozen=True)
class LinkageResult:
    records: int
    businesses: int
    fein_links: int
    scored_pairs: int
    linked_pairs: int
    review_pairs: int
    refused_fein_conflicts: int
    new_keys: int
    merges: int
    splits: int
    model: dict[str, Any]


def _decisions(
    con: duckdb.DuckDBPyConnection, schema: str, accept: float, refused: set[tuple[str, str]]
) -> None:
    """``vendor_matches``: FEIN pairs and scored pairs, each with probability and decision."""
    con.execute("CREATE OR REPLACE TEMP TABLE _refused (uid_l VARCHAR, uid_r VARCHAR)")
    if refused:
        con.executemany("INSERT INTO _refused VALUES (?, ?)", sorted(refused))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {schema}.vendor_matches AS
        SELECT f.anchor AS uid_l, f.uid AS uid_r, 'fein' AS method,
               1.0::DOUBLE AS match_probability, NULL::DOUBLE AS match_weight,
               'linked' AS decision
        FROM _fein_pairs f
        UNION ALL
        SELECT s.uid_l, s.uid_r, 'splink', s.match_probability, s.match_weight,
               CASE WHEN l.fein IS NOT NULL AND r.fein IS NOT NULL THEN 'decided_by_fein'
                    WHEN x.uid_l IS NOT NULL THEN 'refused_fein_conflict'
                    WHEN s.match_probability >= $accept AND {NAME_AGREES} THEN 'linked'
                    ELSE 'review' END
        FROM _scored s
        JOIN {schema}.business_records l ON l.uid = s.uid_l
        JOIN {schema}.business_records r ON r.uid = s.uid_r
        LEFT JOIN _refused x ON x.uid_l = s.uid_l AND x.uid_r = s.uid_r
        ORDER BY 1, 2
        """,
        {"accept": accept},
    )


def _review(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Uncertain pairs whose records did not end up in one business anyway."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _review_pairs AS "
        "SELECT uid_l AS id_l, uid_r AS id_r, match_probability, match_weight "
        f"FROM {schema}.vendor_matches WHERE decision = 'review'"
    )
    shown = ", ".join(f"{column} AS {field}" for field, column in REVIEW_FIELDS.items())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _review_records AS "
        f"SELECT uid AS id, source_extract, record_id, {shown} FROM {schema}.business_records"
    )
    write_review(
        con,
        (schema, "vendor_match_review"),
        "_review_pairs",
        "_review_records",
        f"{schema}.vendor_keys",
        "vendor_key",
        REVIEW_FIELDS,
    )


def resolve_vendors(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    linkage: LinkageDeclaration,
    run_id: str,
    schema: str = "integrated",
    model_path: Path | None = None,
    reestimated: bool = False,
) -> LinkageResult:
    """Build every linkage table in ``schema`` from the contracts filling a business role;
    with ``reestimated``, score with the model re-estimated on these records (guard-railed)."""
    # Splink is imported here, not with the definitions: `make run` imports it in the
    # background while the raw loads run, and the code server never needs it.
    from datalabs_pipelines.procurement.splink_model import model_records, score_pairs

    schema = identifier(schema)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    records = f"{schema}.business_records"
    n_records = build_business_records(con, contracts, records)
    fein_links = fein_pairs(con, records)
    con.execute("CREATE OR REPLACE TEMP TABLE _fein_pairs (anchor VARCHAR, uid VARCHAR)")
    if fein_links:
        con.register(
            "_fein_rows",
            pa.table({"anchor": [a for a, _ in fein_links], "uid": [u for _, u in fein_links]}),
        )
        con.execute("INSERT INTO _fein_pairs SELECT * FROM _fein_rows")
        con.unregister("_fein_rows")
    path = model_path or linkage.model_path
    committed = load_model(path)
    outcome = (
        reestimate(
            con, model_records(con, records), committed, linkage.reestimation, linkage.m_floor
        )
        if reestimated
        else Outcome(committed, reestimated=False)
    )
    accept = outcome.model.threshold_match_probability
    score_pairs(con, records, outcome.model, linkage.review_probability)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _candidates AS
        SELECT s.uid_l, s.uid_r, s.match_probability FROM _scored s
        JOIN {records} l ON l.uid = s.uid_l JOIN {records} r ON r.uid = s.uid_r
        WHERE s.match_probability >= $accept AND (l.fein IS NULL OR r.fein IS NULL)
          AND {NAME_AGREES}
        """,
        {"accept": accept},
    )
    refused = cluster_in_sql(con, records, "_fein_pairs", "_candidates")
    _decisions(con, schema, accept, set(refused))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _biz_clusters AS "
        "SELECT b.source_extract, b.source_id, b.record_id, c.component AS cluster "
        f"FROM {records} b JOIN {COMPONENTS} c ON c.node = b.uid"
    )
    keys = persist_keys(con, VENDOR_KEY_SPEC, "_biz_clusters", run_id)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {schema}.vendor_keys AS
        SELECT b.source_extract, b.record_id, a.vendor_key, b.source_id, b.role
        FROM {records} b JOIN integrated.vendor_key_assignments a
          ON a.source_extract = b.source_extract AND a.source_id = b.source_id
        ORDER BY b.source_extract, b.record_id
        """
    )
    _review(con, schema)
    model = record_model_use(con, (schema, MODEL_RUNS), run_id, path, committed.version, outcome)
    counts = con.execute(
        f"""
        SELECT (SELECT count(DISTINCT vendor_key) FROM {schema}.vendor_keys),
               count(*) FILTER (WHERE method = 'splink'),
               count(*) FILTER (WHERE method = 'splink' AND decision = 'linked'),
               (SELECT count(*) FROM {schema}.vendor_match_review)
        FROM {schema}.vendor_matches
        """
    ).fetchall()[0]
    return LinkageResult(
        records=n_records,
        businesses=counts[0],
        fein_links=len(fein_links),
        scored_pairs=counts[1],
        linked_pairs=counts[2],
        review_pairs=counts[3],
        refused_fein_conflicts=len(refused),
        new_keys=keys.new_keys,
        merges=keys.merges,
        splits=keys.splits,
        model=model,
    )
