"""Vendor resolution end to end: records → FEIN pass → Splink scores → businesses → keys.

Writes, in schema ``integrated`` (or the given schema, for the NC directories in tests):
``business_records``, ``vendor_matches`` (every scored or FEIN pair with its probability and
decision), ``vendor_match_review`` (the uncertain band, not linked), ``vendor_keys`` and,
through ``keys``, the persistent assignments and the change log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.procurement.clustering import COMPONENTS, cluster_in_sql
from datalabs_pipelines.procurement.config import Linkage
from datalabs_pipelines.procurement.fein import fein_pairs
from datalabs_pipelines.procurement.keys import Member, persist_keys
from datalabs_pipelines.procurement.sources import build_business_records
from datalabs_pipelines.warehouse import identifier

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
    key_changes: dict[str, int]


def _decisions(
    con: duckdb.DuckDBPyConnection, schema: str, linkage: Linkage, refused: set[tuple[str, str]]
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
        {"accept": linkage.accept_probability},
    )


def _review(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Uncertain pairs whose records did not end up in one business anyway."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {schema}.vendor_match_review AS
        SELECT m.match_probability, m.match_weight,
               l.source_extract AS source_extract_l, l.record_id AS record_id_l,
               r.source_extract AS source_extract_r, r.record_id AS record_id_r,
               kl.vendor_key AS vendor_key_l, kr.vendor_key AS vendor_key_r,
               l.name_raw AS name_l, r.name_raw AS name_r,
               l.address_norm AS address_l, r.address_norm AS address_r,
               l.city_norm AS city_l, r.city_norm AS city_r, l.zip5 AS zip_l, r.zip5 AS zip_r,
               l.phone10 AS phone_l, r.phone10 AS phone_r
        FROM {schema}.vendor_matches m
        JOIN {schema}.business_records l ON l.uid = m.uid_l
        JOIN {schema}.business_records r ON r.uid = m.uid_r
        JOIN {schema}.vendor_keys kl ON kl.source_extract = l.source_extract
             AND kl.record_id = l.record_id
        JOIN {schema}.vendor_keys kr ON kr.source_extract = r.source_extract
             AND kr.record_id = r.record_id
        WHERE m.decision = 'review' AND kl.vendor_key <> kr.vendor_key
        ORDER BY m.match_probability DESC, record_id_l, record_id_r
        """
    )


def resolve_vendors(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    linkage: Linkage,
    run_id: str,
    schema: str = "integrated",
    model_path: Path | None = None,
) -> LinkageResult:
    """Build every linkage table in ``schema`` from the contracts filling a business role."""
    # Splink is imported here, not with the definitions: `make run` imports it in the
    # background while the raw loads run, and the code server never needs it.
    from datalabs_pipelines.procurement.splink_model import records_arrow, score_pairs

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
    scored = score_pairs(
        records_arrow(con, records),
        load_model(model_path or linkage.model_path),
        linkage.review_probability,
    )
    con.register("_scored_rows", scored)
    con.execute("CREATE OR REPLACE TEMP TABLE _scored AS SELECT * FROM _scored_rows")
    con.unregister("_scored_rows")
    rows = con.execute(
        f"SELECT uid, fein, source_extract, source_id, record_id FROM {records}"
    ).fetchall()
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _candidates AS
        SELECT s.uid_l, s.uid_r, s.match_probability FROM _scored s
        JOIN {records} l ON l.uid = s.uid_l JOIN {records} r ON r.uid = s.uid_r
        WHERE s.match_probability >= $accept AND (l.fein IS NULL OR r.fein IS NULL)
          AND {NAME_AGREES}
        """,
        {"accept": linkage.accept_probability},
    )
    refused = cluster_in_sql(con, records, "_fein_pairs", "_candidates")
    _decisions(con, schema, linkage, set(refused))
    root_of = dict(con.execute(f"SELECT node, component FROM {COMPONENTS}").fetchall())
    members: dict[str, list[Member]] = defaultdict(list)
    for uid, _, extract, source_id, record_id in rows:
        members[root_of[uid]].append(Member(extract, source_id, record_id))
    changes = persist_keys(con, members, run_id)
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
        key_changes=changes,
    )
