"""Person linkage end to end on one connection: records → clusters → persistent keys."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.linkage.clustering import build_clusters
from datalabs_pipelines.linkage.deterministic import deterministic_clusters
from datalabs_pipelines.linkage.keys import assign_keys
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.prepare import RECORDS, build_records
from datalabs_pipelines.linkage.profiles import build_profiles
from datalabs_pipelines.linkage.scoring import score_profiles
from datalabs_pipelines.linkage.sources import PersonSource

TEMP_TABLES = (
    "lk_records", "lk_nicknames", "lk_nodes0", "lk_ssn_edges", "lk_cluster0", "lk_nodes1",
    "lk_cluster1", "lk_record_profile", "lk_profiles", "lk_profile_edges", "lk_scored_edges",
    "lk_clusters", "lk_overlap", "lk_assigned", "lk_new_keys", "lk_changes",
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
    persons: int
    new_keys: int
    merges: int
    splits: int
    seconds: float

    def as_metadata(self) -> dict[str, int | float]:
        return asdict(self)


def link_persons(
    con: duckdb.DuckDBPyConnection,
    sources: Mapping[str, tuple[Contract, PersonSource]],
    model: MatchModel,
    run_id: str,
) -> LinkageResult:
    started = time.perf_counter()
    try:
        records = build_records(con, sources)
        no_identity, unlinkable = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT has_identity), "
            f"count(*) FILTER (WHERE NOT linkable) FROM {RECORDS}"
        ).fetchone()
        deterministic = deterministic_clusters(con)
        profiles = build_profiles(con)
        scored = score_profiles(con, model)
        build_clusters(con, model.threshold_match_probability)
        keys = assign_keys(con, run_id)
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
        persons=keys.persons,
        new_keys=keys.new_keys,
        merges=keys.merges,
        splits=keys.splits,
        seconds=round(time.perf_counter() - started, 2),
    )
