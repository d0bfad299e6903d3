"""Vendor resolution: firms' entity for the one linkage driver (``linkage/run.py``).

What firms pass besides ``vendor_linkage.yaml`` (FEIN pass, exclusive FEIN, names-agree guard,
comparisons, blocking rules, thresholds): their records (``business_records``, every record its
own node and profile), their keys (``keys.py``) and their review table. Writes, in schema
``integrated``: ``business_records``, ``vendor_scored_profiles`` and ``vendor_scored_pairs``
(what the next run need not score again), ``vendor_matches`` (every FEIN link and scored pair with
its probability and decision), ``vendor_match_review`` (the uncertain band and pairs the guard
stopped, not linked), ``vendor_keys`` and, through the key persistence, the assignments and the
change log. When nothing it reads changed since its last run (a night of wage or benefit files
only), ``resolve_vendors_if_changed`` keeps every table as it is, as certified spend does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines import linkage as linkage_package
from datalabs_pipelines import procurement as procurement_package
from datalabs_pipelines.candidates import built_from, inputs_fingerprint, mark_built_from
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.linkage.declaration import LinkageDeclaration
from datalabs_pipelines.linkage.deterministic import CLUSTER0
from datalabs_pipelines.linkage.incremental import PairCache
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.run import Entity, LinkageResult, link
from datalabs_pipelines.procurement.keys import VENDOR_KEY_SPEC
from datalabs_pipelines.procurement.sources import BUSINESS_ROLES, build_business_records
from datalabs_pipelines.warehouse import identifier

RECORDS = "integrated.business_records"
# carries the fingerprint of what the last resolution read (rewritten by every resolution)
RESOLVED_FROM = ("integrated", "vendor_keys")
# scores kept for incremental runs (ids, hashes and scores of public business records)
CACHE = PairCache(("integrated", "vendor_scored_profiles"), ("integrated", "vendor_scored_pairs"))
# what a reviewer compares: review column -> business_records column (public business data)
REVIEW_FIELDS = {
    "name": "name_raw",
    "address": "address_norm",
    "city": "city_norm",
    "zip": "zip5",
    "phone": "phone10",
}


def vendor_profiles(
    con: duckdb.DuckDBPyConnection, linkage: LinkageDeclaration, records: str = RECORDS
) -> str:
    """TEMP ``lk_profiles``: the declared columns of ``records``, what Splink reads (every
    record is its own profile)."""
    columns = ", ".join(identifier(c) for c in linkage.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PROFILES} AS SELECT {columns} FROM {records}")
    return PROFILES


def _profiles(con: duckdb.DuckDBPyConnection, linkage: LinkageDeclaration) -> int:
    vendor_profiles(con, linkage)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_record_profile AS "
        "SELECT b.source_extract, b.record_id, c.component AS cluster0, b.uid AS profile_id "
        f"FROM {RECORDS} b JOIN {CLUSTER0} c ON c.node = b.uid"
    )
    return con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]


def vendor_entity(contracts: Sequence[Contract], linkage: LinkageDeclaration) -> Entity:
    """Vendor resolution of the contracts filling a business role, as ``linkage`` says."""

    def records(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
        return {"records": build_business_records(con, contracts, RECORDS)}

    return Entity(
        declaration=linkage,
        build_records=records,
        records=RECORDS,
        node="uid",
        build_profiles=lambda con: _profiles(con, linkage),
        key_spec=VENDOR_KEY_SPEC,
        carried={"source_id": "r.source_id"},
        review=("integrated", "vendor_match_review"),
        review_fields=REVIEW_FIELDS,
        model_runs=("integrated", "vendor_linkage_models"),
        matches=("integrated", "vendor_matches"),
        cache=CACHE,
    )


def resolve_vendors(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    linkage: LinkageDeclaration,
    run_id: str,
    reestimated: bool = False,
    full: bool = False,
) -> LinkageResult:
    """Build every vendor-resolution table from the contracts filling a business role; with
    ``reestimated``, score with the model re-estimated on these records (guard-railed); only
    pairs touching a record not scored before unless ``full`` (``linkage/incremental.py``)."""
    entity = vendor_entity(contracts, linkage)
    model = load_model(linkage.model_path)
    result = link(con, entity, model, run_id, reestimated=reestimated, full=full)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE integrated.vendor_keys AS
        SELECT b.source_extract, b.record_id, a.vendor_key, b.source_id, b.role
        FROM {RECORDS} b JOIN integrated.vendor_key_assignments a
          ON a.source_extract = b.source_extract AND a.source_id = b.source_id
        ORDER BY b.source_extract, b.record_id
        """
    )
    return result


def _code_texts() -> list[str]:
    """The code a resolution runs (the linkage driver and the business records' SQL): an
    upgrade that changes it resolves again although the records did not change."""
    folders = (Path(linkage_package.__file__).parent, Path(procurement_package.__file__).parent)
    files = [f for folder in folders for f in sorted(folder.glob("*.py"))]
    return [f.read_text(encoding="utf-8") for f in files]


def resolution_inputs(
    con: duckdb.DuckDBPyConnection, contracts: Sequence[Contract], linkage: LinkageDeclaration
) -> str:
    """Fingerprint of everything a resolution reads: the business roles' rows, the
    declaration, the model file and the code."""
    build_role_views(con, contracts, BUSINESS_ROLES)
    texts = [linkage.model_dump_json(), linkage.model_path.read_text(encoding="utf-8")]
    return inputs_fingerprint(con, [f"role_{r}" for r in BUSINESS_ROLES], [*texts, *_code_texts()])


def resolve_vendors_if_changed(
    con: duckdb.DuckDBPyConnection,
    contracts: Sequence[Contract],
    linkage: LinkageDeclaration,
    run_id: str,
    reestimated: bool = False,
    full: bool = False,
) -> LinkageResult | None:
    """``resolve_vendors``, unless its inputs are those of its last run (then None: every
    table stays as it is). Re-estimation and ``full`` always resolve."""
    fingerprint = resolution_inputs(con, contracts, linkage)
    if not (reestimated or full) and built_from(con, RESOLVED_FROM) == fingerprint:
        return None
    result = resolve_vendors(con, contracts, linkage, run_id, reestimated, full)
    mark_built_from(con, RESOLVED_FROM, fingerprint)
    return result
