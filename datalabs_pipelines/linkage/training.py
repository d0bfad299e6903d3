"""Train the person-match model (offline, by an engineer; never at run time).

Unsupervised, as Splink intends: u probabilities from random profile pairs, the prior from
deterministic rules, m probabilities by expectation maximisation in sessions that each block on
some fields and learn the others. The profiles are built exactly as the pipeline builds them.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.deterministic import deterministic_clusters
from datalabs_pipelines.linkage.modelfile import MatchModel, load_model, save_model
from datalabs_pipelines.linkage.prepare import build_records
from datalabs_pipelines.linkage.profiles import PROFILES, build_profiles
from datalabs_pipelines.linkage.scratch import scratch_catalog
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.linkage.spec import (
    DETERMINISTIC_RULES,
    TRAINING_BLOCKING_RULES,
    base_settings,
)
from datalabs_pipelines.warehouse import literal

DEFAULT_THRESHOLD = 0.9  # posterior; against a prior near 1e-5, about 20 bits of evidence
# No level's m probability below this: a field that disagrees counts against a pair (at most
# log2(u / M_FLOOR) bits, about 10 for an SSN) but never vetoes what every other field says.
M_FLOOR = 1e-3


def floor_m(settings: dict[str, Any], floor: float = M_FLOOR) -> dict[str, Any]:
    """``settings`` with every trained (or untrained) m probability raised to ``floor``."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            level["m_probability"] = floor if m is None else max(float(m), floor)
    return settings


def train_model(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int = 2026,
    max_pairs: float = 2e6,
    deterministic_recall: float = 0.8,
    threshold: float = DEFAULT_THRESHOLD,
    note: dict[str, Any] | None = None,
) -> MatchModel:
    """Train on the TEMP profile table already built on ``con``."""
    import splink
    from splink import DuckDBAPI, Linker

    profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
    with scratch_catalog(con):
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register(PROFILES), base_settings(), log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            DETERMINISTIC_RULES, recall=deterministic_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in TRAINING_BLOCKING_RULES:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        settings = floor_m(linker.misc.save_model_to_json())
    settings.pop("linker_uid", None)
    trained = {
        "date": dt.date.today().isoformat(),
        "splink_version": splink.__version__,
        "profiles": profiles,
        "seed": seed,
        "u_max_pairs": max_pairs,
        "deterministic_recall": deterministic_recall,
        "em_blocking_rules": TRAINING_BLOCKING_RULES,
        "m_floor": M_FLOOR,
        **(note or {}),
    }
    return MatchModel(settings, threshold, trained)


def train_on_warehouse(
    warehouse: Path,
    out: Path,
    *,
    seed: int = 2026,
    max_pairs: float = 2e6,
    threshold: float = DEFAULT_THRESHOLD,
    sample: str = "",
) -> MatchModel:
    """Build the profiles from a warehouse (attached read-only), train, write ``out``."""
    sources = person_sources(all_contracts())
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(warehouse.resolve()))} AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        records = build_records(con, sources)
        deterministic_clusters(con)
        build_profiles(con)
        model = train_model(
            con,
            seed=seed,
            max_pairs=max_pairs,
            threshold=threshold,
            note={
                "sample": sample or warehouse.name,
                "records": records,
                "sources": sorted(sources),
            },
        )
    save_model(model, out)
    return load_model(out)
