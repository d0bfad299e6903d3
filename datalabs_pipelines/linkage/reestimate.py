"""Re-estimate a committed model on the data at hand, within declared guard rails.

Opt-in per run (``reestimate: true`` in the run config of a linkage asset): Splink's expectation
maximisation runs on the current records, starting from the committed m probabilities, with u
and the prior kept as committed. Every level's log2 Bayes factor (log2 m/u) is compared with
the committed one; a comparison any of whose levels moved by more than the declared bound keeps
its committed parameters whole (its levels are coupled: their m probabilities sum to one), and
the refusal is reported by comparison, level and size of the move, never with a record value.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import duckdb

from datalabs_pipelines.linkage.declaration import Reestimation
from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.splink_session import floor_m, splink_linker


@dataclass(frozen=True)
class Drift:
    comparison: str
    level: str
    delta_log2_bf: float


@dataclass(frozen=True)
class Outcome:
    """The model a run used, and what re-estimation did to it."""

    model: MatchModel
    reestimated: bool
    refused: list[Drift] = field(default_factory=list)
    accepted: list[Drift] = field(default_factory=list)
    failure: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        return {
            "reestimated": self.reestimated,
            "reestimation_refused": [vars(d) for d in self.refused],
            "reestimation_largest_accepted_delta_log2_bf": max(
                (abs(d.delta_log2_bf) for d in self.accepted), default=0.0
            ),
            **({"reestimation_failure": self.failure} if self.failure else {}),
        }


def _log2_bf(level: dict[str, Any]) -> float | None:
    m, u = level.get("m_probability"), level.get("u_probability")
    if level.get("is_null_level") or not m or not u:
        return None
    return math.log2(float(m) / float(u))


def guard(
    committed: dict[str, Any], estimated: dict[str, Any], bound: float
) -> tuple[dict[str, Any], list[Drift], list[Drift]]:
    """Settings to use: ``estimated``, except each comparison with a level whose log2 Bayes
    factor moved by more than ``bound`` from ``committed``, which stays committed. Returns the
    settings, the refused moves and the accepted ones."""
    used = copy.deepcopy(estimated)
    refused: list[Drift] = []
    accepted: list[Drift] = []
    before = {c["output_column_name"]: c for c in committed["comparisons"]}
    for i, comparison in enumerate(used["comparisons"]):
        name = comparison["output_column_name"]
        moves = []
        for old, new in zip(
            before[name]["comparison_levels"], comparison["comparison_levels"], strict=True
        ):
            a, b = _log2_bf(old), _log2_bf(new)
            if a is not None and b is not None:
                moves.append(Drift(name, old.get("label_for_charts", ""), round(b - a, 6)))
        too_far = [d for d in moves if abs(d.delta_log2_bf) > bound]
        if too_far:
            used["comparisons"][i] = copy.deepcopy(before[name])
            refused += too_far
        else:
            accepted += moves
    return used, refused, accepted


def reestimate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    model: MatchModel,
    rules: Reestimation,
    m_floor: float,
) -> Outcome:
    """Re-estimate ``model`` on the TEMP ``table`` and keep what stays within the bound."""
    try:
        with splink_linker(con, table, model.splink_settings) as linker:
            for rule in rules.em_blocking_rules:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
            estimated = floor_m(linker.misc.save_model_to_json(), m_floor)
    except Exception as error:  # noqa: BLE001 - a failed re-estimation falls back, reported
        return Outcome(model, reestimated=False, failure=type(error).__name__)
    estimated.pop("linker_uid", None)
    used, refused, accepted = guard(model.splink_settings, estimated, rules.max_abs_delta_log2_bf)
    trained = {**model.trained, "reestimated_on": "current warehouse"}
    return Outcome(
        MatchModel(used, model.threshold_match_probability, trained),
        reestimated=True,
        refused=refused,
        accepted=accepted,
    )
