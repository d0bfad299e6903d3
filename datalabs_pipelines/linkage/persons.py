"""People's entity: what person linkage passes to the one driver (``run.py``) besides
``person.yaml``: its records (``prepare.py``), profiles (``profiles.py``), keys (``keys.py``:
the crosswalk, random keys) and review table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import partial

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.declaration import LinkageDeclaration, load_declaration
from datalabs_pipelines.linkage.incremental import PairCache
from datalabs_pipelines.linkage.keys import PERSON_KEY_SPEC
from datalabs_pipelines.linkage.prepare import NICKNAMES_CSV, RECORDS, build_records, records_sql
from datalabs_pipelines.linkage.prepared import (
    KEPT_VERSION,
    KeptPreparation,
    KeptTables,
    delivery_versions,
)
from datalabs_pipelines.linkage.profiles import COLUMNS, FIELDS, build_profiles
from datalabs_pipelines.linkage.run import Entity
from datalabs_pipelines.linkage.sources import PersonSource

REVIEW = ("pii", "person_match_review")
MODEL_RUNS = ("integrated", "person_linkage_models")
CACHE = PairCache(("pii", "person_scored_profiles"), ("pii", "person_scored_pairs"))
KEPT = KeptTables(
    ("pii", "person_prepared_records"),
    ("pii", "person_prepared_profiles"),
    ("pii", "person_prepared_deliveries"),
)
# what a reviewer compares (the table lives in pii: these are identities)
REVIEW_FIELDS = {
    "first_name": "first name",
    "last_name": "last name",
    "middle_name": "middle name",
    "dob": "date of birth",
    "ssn": "SSN",
    "zip": "ZIP code",
    "sex": "sex",
}


def _records(
    con: duckdb.DuckDBPyConnection, sources: Mapping[str, tuple[Contract, PersonSource]]
) -> dict[str, int]:
    build_records(con, sources)
    return _counts(con)


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    records, no_identity, unlinkable = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT has_identity), "
        f"count(*) FILTER (WHERE NOT linkable) FROM {RECORDS}"
    ).fetchone()
    return {
        "records": records,
        "records_without_identifiers": no_identity,
        "records_unlinkable": unlinkable,
    }


def _kept(
    sources: Mapping[str, tuple[Contract, PersonSource]], declaration: LinkageDeclaration
) -> KeptPreparation:
    """How person linkage keeps its preparation: stamped with everything preparation reads
    besides the records (their SQL, the nicknames, the deterministic rule, the profile
    fields, the kept tables' version)."""
    params: dict[str, object] = {}
    body = {
        "sql": records_sql(sources, params),
        "params": {k: str(v) for k, v in params.items()},
        "nicknames": hashlib.sha256(NICKNAMES_CSV.read_bytes()).hexdigest(),
        "rule": declaration.deterministic.model_dump_json() if declaration.deterministic else "",
        "profiles": [FIELDS, COLUMNS],
        "version": KEPT_VERSION,
    }
    stamp = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return KeptPreparation(
        tables=KEPT,
        stamp=stamp,
        versions=partial(delivery_versions, contracts=[c for c, _ in sources.values()]),
        build_new=partial(build_records, sources=sources),
        count=_counts,
    )


def person_entity(
    sources: Mapping[str, tuple[Contract, PersonSource]],
    declaration: LinkageDeclaration | None = None,
) -> Entity:
    """Person linkage of ``sources`` as ``declaration`` (default: ``person.yaml``) says."""
    declaration = declaration or load_declaration()
    return Entity(
        declaration=declaration,
        build_records=partial(_records, sources=sources),
        records=RECORDS,
        node="node0",
        build_profiles=build_profiles,
        key_spec=PERSON_KEY_SPEC,
        carried={"carries_ssn": "r.ssn IS NOT NULL"},
        review=REVIEW,
        review_fields={f: f for f in REVIEW_FIELDS},
        model_runs=MODEL_RUNS,
        cache=CACHE,
        kept=_kept(sources, declaration),
    )
