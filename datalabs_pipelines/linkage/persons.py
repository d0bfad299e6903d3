"""People's entity: what person linkage passes to the one driver (``run.py``) besides
``person.yaml``: its records (``prepare.py``), profiles (``profiles.py``), keys (``keys.py``:
the crosswalk, random keys) and review table."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.declaration import LinkageDeclaration, load_declaration
from datalabs_pipelines.linkage.incremental import PairCache
from datalabs_pipelines.linkage.keys import PERSON_KEY_SPEC
from datalabs_pipelines.linkage.prepare import RECORDS, build_records
from datalabs_pipelines.linkage.profiles import build_profiles
from datalabs_pipelines.linkage.run import Entity
from datalabs_pipelines.linkage.sources import PersonSource

REVIEW = ("pii", "person_match_review")
MODEL_RUNS = ("integrated", "person_linkage_models")
CACHE = PairCache(("pii", "person_scored_profiles"), ("pii", "person_scored_pairs"))
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
    records = build_records(con, sources)
    no_identity, unlinkable = con.execute(
        f"SELECT count(*) FILTER (WHERE NOT has_identity), "
        f"count(*) FILTER (WHERE NOT linkable) FROM {RECORDS}"
    ).fetchone()
    return {
        "records": records,
        "records_without_identifiers": no_identity,
        "records_unlinkable": unlinkable,
    }


def person_entity(
    sources: Mapping[str, tuple[Contract, PersonSource]],
    declaration: LinkageDeclaration | None = None,
) -> Entity:
    """Person linkage of ``sources`` as ``declaration`` (default: ``person.yaml``) says."""
    return Entity(
        declaration=declaration or load_declaration(),
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
    )
