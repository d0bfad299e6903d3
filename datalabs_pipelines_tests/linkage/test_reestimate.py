"""Run-time re-estimation within guard rails, on a hand-made population.

Two hundred people, two records each, every name unique to its person. The records of one
person agree on first name and date of birth, but four in five moved house: their ZIP codes
differ. The committed model believes a true pair shares its ZIP 95 % of the time (log2 m/u of
the ZIP's exact level: log2(0.95 / 0.01) = 6.57 bits). Blocked on the first name, EM sees only
true pairs and learns m(ZIP exact) = 0.2: log2(0.2 / 0.01) = 4.32 bits, a move of
log2(0.2 / 0.95) = -2.25 bits; the date of birth moves by log2(1.0 / 0.9) = +0.15 at most.
"""

from __future__ import annotations

import json
import math

import pytest

from datalabs_pipelines.linkage.declaration import Reestimation
from datalabs_pipelines.linkage.model_runs import model_metadata, record_model_use, refusal_summary
from datalabs_pipelines.linkage.modelfile import MODEL_FILE, MatchModel
from datalabs_pipelines.linkage.reestimate import guard, reestimate

PEOPLE = 200
MOVED = 0.8


def _exact(column: str, m: float, u: float) -> dict:
    return {
        "output_column_name": column,
        "comparison_levels": [
            {
                "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
                "label_for_charts": "null",
                "is_null_level": True,
            },
            {
                "sql_condition": f'"{column}_l" = "{column}_r"',
                "label_for_charts": "exact",
                "m_probability": m,
                "u_probability": u,
            },
            {
                "sql_condition": "ELSE",
                "label_for_charts": "else",
                "m_probability": 1 - m,
                "u_probability": 1 - u,
            },
        ],
    }


def _model() -> MatchModel:
    settings = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 0.005,
        "comparisons": [
            _exact("first_name", 0.9, 0.005),
            _exact("dob", 0.9, 0.01),
            _exact("zip", 0.95, 0.01),
        ],
        "blocking_rules_to_generate_predictions": ["l.first_name = r.first_name"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
    return MatchModel(settings, 0.9, {"note": "hand-made"})


def _people(con) -> str:
    con.execute(
        "CREATE TEMP TABLE people (unique_id VARCHAR, first_name VARCHAR, dob VARCHAR, zip VARCHAR)"
    )
    rows = []
    for i in range(PEOPLE):
        name, dob = f"N{i:04d}", f"19{i % 90 + 10}-01-{i % 28 + 1:02d}"
        moved = i < PEOPLE * MOVED
        rows += [
            (f"{i}a", name, dob, f"{10000 + i}"),
            (f"{i}b", name, dob, f"{50000 + i}" if moved else f"{10000 + i}"),
        ]
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?)", rows)
    return "people"


def _level(settings: dict, column: str, label: str) -> dict:
    comparison = next(c for c in settings["comparisons"] if c["output_column_name"] == column)
    return next(lv for lv in comparison["comparison_levels"] if lv["label_for_charts"] == label)


RULES = ["l.first_name = r.first_name"]


def test_a_drift_past_the_bound_is_refused_and_reported(con):
    committed = _model()
    outcome = reestimate(
        con,
        _people(con),
        committed,
        Reestimation(em_blocking_rules=RULES, max_abs_delta_log2_bf=1.0),
        1e-3,
    )
    assert outcome.reestimated
    refused = {(d.comparison, d.level): d.delta_log2_bf for d in outcome.refused}
    assert set(refused) == {("zip", "exact"), ("zip", "else")}
    assert refused["zip", "exact"] == pytest.approx(math.log2(0.2 / 0.95), abs=0.05)
    # the refused comparison keeps its committed parameters; the date of birth is re-estimated
    assert _level(outcome.model.splink_settings, "zip", "exact")["m_probability"] == 0.95
    assert _level(outcome.model.splink_settings, "dob", "exact")["m_probability"] > 0.95
    assert outcome.model.version != committed.version


def test_within_the_bound_the_reestimated_model_is_used(con):
    outcome = reestimate(
        con,
        _people(con),
        _model(),
        Reestimation(em_blocking_rules=RULES, max_abs_delta_log2_bf=5.0),
        1e-3,
    )
    assert outcome.refused == []
    assert _level(outcome.model.splink_settings, "zip", "exact")["m_probability"] == pytest.approx(
        1 - MOVED, abs=0.02
    )


def test_the_model_used_is_recorded_per_run_without_record_values(con):
    committed = _model()
    outcome = reestimate(
        con,
        _people(con),
        committed,
        Reestimation(em_blocking_rules=RULES, max_abs_delta_log2_bf=1.0),
        1e-3,
    )
    metadata = record_model_use(
        con, ("integrated", "models_used"), "run-1", MODEL_FILE, committed.version, outcome
    )
    record_model_use(
        con, ("integrated", "models_used"), "run-1", MODEL_FILE, committed.version, outcome
    )
    rows = con.execute(
        "SELECT run_id, committed_version, used_version, reestimated, refused "
        "FROM integrated.models_used"
    ).fetchall()
    assert len(rows) == 1  # a re-executed run replaces its row
    run_id, committed_version, used_version, reestimated, refused = rows[0]
    assert (run_id, committed_version, used_version, reestimated) == (
        "run-1",
        committed.version,
        outcome.model.version,
        True,
    )
    assert {d["comparison"] for d in json.loads(refused)} == {"zip"}
    assert all(set(d) == {"comparison", "level", "delta_log2_bf"} for d in json.loads(refused))
    assert metadata["reestimated"] and metadata["used_version"] == used_version
    # on the asset page: a table of comparison, level and move, and a warning line
    page = model_metadata(metadata)
    assert page["reestimation_refused_levels"] == 2
    assert "| zip | exact | -2.2" in page["reestimation_refused"].value
    assert refusal_summary(metadata).count("zip /") == 2


def test_guard_keeps_a_comparison_whole_when_one_level_moves_too_far():
    committed = _model().splink_settings
    estimated = json.loads(json.dumps(committed))
    _level(estimated, "dob", "exact")["m_probability"] = 0.9 * 2**0.5  # +0.5 bit: accepted
    _level(estimated, "zip", "else")["m_probability"] = 0.05 * 2**1.5  # +1.5 bits: refused
    _level(estimated, "zip", "exact")["m_probability"] = 0.85  # small, but zip stays whole
    used, refused, accepted = guard(committed, estimated, 1.0)
    assert [(d.comparison, d.level) for d in refused] == [("zip", "else")]
    assert refused[0].delta_log2_bf == pytest.approx(1.5)
    assert _level(used, "zip", "exact")["m_probability"] == 0.95
    assert _level(used, "dob", "exact")["m_probability"] == pytest.approx(0.9 * 2**0.5)
    assert max(abs(d.delta_log2_bf) for d in accepted) == pytest.approx(0.5)
