"""Kept scores brought to tonight's term frequencies: a kept pair weighs what a full run
would weigh it tonight.

A term-frequency-adjusted comparison level adds to a pair's match weight Splink's adjustment
``w · (log2 u − log2 T)``, where ``T`` is the larger of the frequencies of the pair's two values
(at least the level's floor) among the profiles being scored. As profiles arrive, every
frequency moves, so a score kept from an earlier night drifts from what a full run gives the
same pair tonight, and a pair near the threshold could be linked in one and not the other.

So each scored pair keeps, for each comparison with such a level, the level it reached
(``tf_gamma``) and the ``T`` it was weighed with (``tf_used``, NULL when neither value had a
frequency: no adjustment). A night moves a kept weight by ``w · (log2 T − log2 T')``, ``T'``
read from tonight's frequencies of the two profiles' values, and its probability follows by
Splink's formula: the weight a full run computes, up to rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from datalabs_pipelines.warehouse import identifier

GAMMAS = "tf_gamma"  # INTEGER[]: per adjusted comparison, the level the pair reached
USED = "tf_used"  # DOUBLE[]: per adjusted comparison, the frequency it was weighed with


@dataclass(frozen=True)
class AdjustedLevel:
    gamma: int  # Splink's comparison vector value of the level
    column: str  # the column whose frequencies adjust it
    weight: float  # tf_adjustment_weight
    floor: float  # tf_minimum_u_value


@dataclass(frozen=True)
class AdjustedComparison:
    gamma_column: str  # Splink's column holding the level a pair reached
    levels: tuple[AdjustedLevel, ...]


def adjusted_comparisons(settings: Mapping[str, Any]) -> list[AdjustedComparison]:
    """The comparisons of ``settings`` with a term-frequency-adjusted level, in order. Levels
    are numbered as Splink numbers them: a null level -1, the others from the top down to 0."""
    prefix = settings.get("comparison_vector_value_column_prefix", "gamma_")
    found = []
    for comparison in settings["comparisons"]:
        levels = comparison["comparison_levels"]
        gamma = sum(1 for level in levels if not level.get("is_null_level")) - 1
        adjusted = []
        for level in levels:
            if level.get("is_null_level"):
                continue
            weight = float(level.get("tf_adjustment_weight", 1.0))
            column = level.get("tf_adjustment_column")
            is_else = str(level.get("sql_condition", "")).strip().upper() == "ELSE"
            if column and weight and not is_else:
                floor = float(level.get("tf_minimum_u_value", 0.0))
                adjusted.append(AdjustedLevel(gamma, column, weight, floor))
            gamma -= 1
        if adjusted:
            name = prefix + comparison["output_column_name"]
            found.append(AdjustedComparison(name, tuple(adjusted)))
    return found


def _frequency(left: str, right: str, floor: float) -> str:
    """SQL of ``T``: as Splink takes it, NULL when neither side has a frequency."""
    return (
        f"CASE WHEN coalesce({left}, {right}) IS NOT NULL THEN greatest(coalesce({left}, "
        f"{right}), coalesce({right}, {left}), CAST({floor!r} AS DOUBLE)) END"
    )


def scored_sql(settings: Mapping[str, Any], predictions: str = "p") -> dict[str, str]:
    """Column → SQL over Splink's ``predictions`` (scored with matching and intermediate
    columns retained) of what a pair keeps for the next nights."""
    prefix = settings.get("term_frequency_adjustment_column_prefix", "tf_")
    gammas, used = [], []
    for comparison in adjusted_comparisons(settings):
        gamma = f"{predictions}.{identifier(comparison.gamma_column)}"
        gammas.append(gamma)
        cases = " ".join(
            f"WHEN {level.gamma} THEN "
            + _frequency(
                f"{predictions}.{identifier(f'{prefix}{level.column}_l')}",
                f"{predictions}.{identifier(f'{prefix}{level.column}_r')}",
                level.floor,
            )
            for level in comparison.levels
        )
        used.append(f"CASE {gamma} {cases} END")
    return {
        GAMMAS: f"CAST([{', '.join(gammas)}] AS INTEGER[])",
        USED: f"CAST([{', '.join(used)}] AS DOUBLE[])",
    }


def retaining(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` whose predictions carry the levels and frequencies ``scored_sql`` reads."""
    if not adjusted_comparisons(settings):
        return dict(settings)
    return {
        **settings,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }


def refreshed_sql(
    settings: Mapping[str, Any],
    kept: str,
    profiles: str,
    unique_id: str,
    lookups: Mapping[str, str],
) -> str:
    """SELECT of the ``kept`` pairs (``id_l``, ``id_r``, weight, probability and the two
    lists) with weight, probability and ``tf_used`` brought to tonight's frequencies
    (``lookups``: column → TEMP table of the column and ``tf_<column>`` over ``profiles``),
    and the probability they were kept with (``kept_probability``)."""
    comparisons = adjusted_comparisons(settings)
    if not comparisons:
        return (
            f"SELECT id_l, id_r, match_weight, match_probability, {GAMMAS}, {USED}, "
            f"match_probability AS kept_probability FROM {kept}"
        )
    prefix = settings.get("term_frequency_adjustment_column_prefix", "tf_")
    uid = identifier(unique_id)
    joins = [
        f"JOIN {profiles} pl ON CAST(pl.{uid} AS VARCHAR) = k.id_l",
        f"JOIN {profiles} pr ON CAST(pr.{uid} AS VARCHAR) = k.id_r",
    ]
    frequency: dict[tuple[str, str], str] = {}
    for column in sorted({level.column for c in comparisons for level in c.levels}):
        col, tf = identifier(column), identifier(prefix + column)
        for side in ("l", "r"):
            alias = f"lk_tf{len(frequency)}"
            joins.append(f"LEFT JOIN {lookups[column]} {alias} ON {alias}.{col} = p{side}.{col}")
            frequency[(column, side)] = f"{alias}.{tf}"
    shifts, used = [], []
    for i, comparison in enumerate(comparisons, start=1):
        gamma, old = f"k.{GAMMAS}[{i}]", f"k.{USED}[{i}]"
        tonight = {
            level.gamma: _frequency(
                frequency[(level.column, "l")], frequency[(level.column, "r")], level.floor
            )
            for level in comparison.levels
        }
        whens = " ".join(f"WHEN {g} THEN {t}" for g, t in tonight.items())
        used.append(f"CASE {gamma} {whens} END")
        shift = " ".join(
            f"WHEN {level.gamma} THEN CAST({level.weight!r} AS DOUBLE) "
            f"* (log2({old}) - log2({tonight[level.gamma]}))"
            for level in comparison.levels
        )
        shifts.append(f" + coalesce(CASE {gamma} {shift} END, 0)")
    return f"""
        SELECT id_l, id_r, match_weight, {_probability("match_weight")} AS match_probability,
               {GAMMAS}, {USED}, kept_probability
        FROM (
            SELECT k.id_l, k.id_r, k.match_weight{"".join(shifts)} AS match_weight, k.{GAMMAS},
                   CAST([{", ".join(used)}] AS DOUBLE[]) AS {USED},
                   k.match_probability AS kept_probability
            FROM {kept} k {" ".join(joins)}
        )
    """


def _probability(weight: str) -> str:
    """Splink's probability of a match weight (``_combine_prior_and_mws``)."""
    return (
        f"CASE WHEN {weight} >= 0 THEN 1.0 / (1.0 + power(CAST(2 AS DOUBLE), -({weight}))) "
        f"ELSE power(CAST(2 AS DOUBLE), {weight}) / (1.0 + power(CAST(2 AS DOUBLE), {weight})) END"
    )
