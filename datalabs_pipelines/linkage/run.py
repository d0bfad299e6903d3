"""Person linkage end to end on one connection: records → clusters → persistent keys."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.clustering import build_clusters
from datalabs_pipelines.linkage.declaration import LinkageDeclaration, load_declaration
from datalabs_pipelines.linkage.deterministic import deterministic_clusters
from datalabs_pipelines.linkage.keys import CROSSWALK, assign_keys
from datalabs_pipelines.linkage.model_runs import record_model_use
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.prepare import RECORDS, build_records
from datalabs_pipelines.linkage.profiles import PROFILES, build_profiles
from datalabs_pipelines.linkage.reestimate import Outcome, reestimate
from datalabs_pipelines.linkage.review import write_review
from datalabs_pipelines.linkage.scoring import PAIRS, score_profiles
from datalabs_pipelines.linkage.sources import PersonSource
from datalabs_pipelines.warehouse import qualified

REVIEW = ("pii", "person_match_review")
MODEL_RUNS = ("integrated", "person_linkage_models")
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
TEMP_TABLES = (
    "lk_records", "lk_nicknames", "lk_nodes0", "lk_ssn_edges", "lk_cluster0", "lk_nodes1",
    "lk_cluster1", "lk_record_profile", "lk_profiles", "lk_profile_edges", "lk_scored_edges",
    "lk_clusters", "lk_overlap", "lk_assigned", "lk_new_keys", "lk_changes", "lk_review_pairs",
    "lk_review_records",
)  # fmt: skip


@dataclass(frozen=True)
class LinkageResult:
    records: int
    records_without_identifiers: int
    records_unlinkable: int
    ssn_links: int
    profiles: int
    pairs_compared: int
    probabilistic_links: int
    review_pairs: int
    persons: int
    new_keys: int
    merges: int
    splits: int
    seconds: float
    model: dict[str, Any] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int | float]:
        return {k: v for k, v in asdict(self).items() if k != "model"}


def link_persons(
    con: duckdb.DuckDBPyConnection,
    sources: Mapping[str, tuple[Contract, PersonSource]],
    committed: MatchModel,
    run_id: str,
    *,
    declaration: LinkageDeclaration | None = None,
    reestimated: bool = False,
) -> LinkageResult:
    """Link every person source with the ``committed`` model (the one the declaration names);
    with ``reestimated``, with that model re-estimated on these records within the
    declaration's guard rails."""
    started = time.perf_counter()
    declaration = declaration or load_declaration()
    try:
        records = build_records(con, sources)
        no_identity, unlinkable = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT has_identity), "
            f"count(*) FILTER (WHERE NOT linkable) FROM {RECORDS}"
        ).fetchone()
        deterministic = deterministic_clusters(con)
        profiles = build_profiles(con)
        outcome = Outcome(committed, reestimated=False)
        if reestimated and profiles > 1:
            outcome = reestimate(
                con, PROFILES, committed, declaration.reestimation, declaration.m_floor
            )
        model = outcome.model
        scored = score_profiles(con, model)
        build_clusters(con, model.threshold_match_probability)
        keys = assign_keys(con, run_id)
        review = _review(con, declaration.review_probability, model.threshold_match_probability)
        used = record_model_use(
            con, MODEL_RUNS, run_id, declaration.model_path, committed.version, outcome
        )
    finally:
        for table in TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    return LinkageResult(
        records=records,
        records_without_identifiers=no_identity,
        records_unlinkable=unlinkable,
        ssn_links=deterministic["ssn_links"],
        profiles=profiles,
        pairs_compared=scored.pairs_compared,
        probabilistic_links=scored.pairs_matched,
        review_pairs=review,
        persons=keys.persons,
        new_keys=keys.new_keys,
        merges=keys.merges,
        splits=keys.splits,
        seconds=round(time.perf_counter() - started, 2),
        model=used,
    )


def _review(con: duckdb.DuckDBPyConnection, floor: float, threshold: float) -> int:
    """``pii.person_match_review``: profile pairs in the review band, each profile shown by
    its first record, whose records did not end up under one key anyway."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lk_review_pairs AS "
        "SELECT unique_id_l AS id_l, unique_id_r AS id_r, match_probability, match_weight "
        f"FROM {PAIRS} WHERE match_probability >= $floor AND match_probability < $threshold",
        {"floor": floor, "threshold": threshold},
    )
    fields = ", ".join(f"p.{f}" for f in REVIEW_FIELDS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_review_records AS
        WITH first_record AS (
            SELECT profile_id, min({{'e': source_extract, 'r': record_id}}) AS f
            FROM lk_record_profile
            WHERE profile_id IN (
                SELECT id_l FROM lk_review_pairs UNION SELECT id_r FROM lk_review_pairs
            )
            GROUP BY profile_id
        )
        SELECT f.profile_id AS id, f.f.e AS source_extract, f.f.r AS record_id, {fields}
        FROM first_record f JOIN {PROFILES} p ON p.unique_id = f.profile_id
        """
    )
    return write_review(
        con,
        REVIEW,
        "lk_review_pairs",
        "lk_review_records",
        qualified(CROSSWALK),
        "person_key",
        REVIEW_FIELDS,
    )
