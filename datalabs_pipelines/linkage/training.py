"""Train the person-match model (offline, by an engineer; never at run time).

The comparisons, blocking rules and prior rules are those ``person.yaml`` declares.
Unsupervised, as Splink intends: u probabilities from random profile pairs, the prior from
near-certain rules, m probabilities by expectation maximisation in sessions that each block on
some fields and learn the others. The profiles are built exactly as the pipeline builds them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.linkage.declaration import load_declaration
from datalabs_pipelines.linkage.modelfile import MatchModel, load_model, save_model
from datalabs_pipelines.linkage.persons import person_entity
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.run import prepare
from datalabs_pipelines.linkage.sources import person_sources
from datalabs_pipelines.linkage.splink_session import floor_m, splink_linker
from datalabs_pipelines.warehouse import literal

DEFAULT_THRESHOLD = 0.9  # posterior; against a prior near 1e-5, about 20 bits of evidence
# No level's m probability below this (declared in person.yaml): a field that disagrees counts
# against a pair (at most log2(u / M_FLOOR) bits, about 10 for an SSN) but never vetoes.
M_FLOOR = load_declaration().m_floor


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

    declaration = load_declaration()
    em_rules = declaration.reestimation.em_blocking_rules
    profiles = con.execute(f"SELECT count(*) FROM {PROFILES}").fetchone()[0]
    with splink_linker(con, PROFILES, declaration.splink_settings()) as linker:
        linker.training.estimate_probability_two_random_records_match(
            declaration.prior_rules, recall=deterministic_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        settings = floor_m(linker.misc.save_model_to_json(), M_FLOOR)
    settings.pop("linker_uid", None)
    trained = {
        "date": dt.date.today().isoformat(),
        "splink_version": splink.__version__,
        "profiles": profiles,
        "seed": seed,
        "u_max_pairs": max_pairs,
        "deterministic_recall": deterministic_recall,
        "em_blocking_rules": em_rules,
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
        counts, _, _ = prepare(con, person_entity(sources))
        model = train_model(
            con,
            seed=seed,
            max_pairs=max_pairs,
            threshold=threshold,
            note={
                "sample": sample or warehouse.name,
                "records": counts["records"],
                "sources": sorted(sources),
            },
        )
    save_model(model, out)
    return load_model(out)
