"""Scores per error type, counted by hand on four records."""

import pytest

from datalabs_pipelines.evaluation.persons import by_error


def test_scores_over_pairs_touching_each_error(con):
    # truth {r1 r2 r3} {r4}; predicted {r1 r2} {r3 r4}; r2 has swapped names, r3 a mistyped SSN
    con.execute(
        "CREATE TEMP TABLE r (record_id VARCHAR, truth VARCHAR, predicted VARCHAR, "
        "defects VARCHAR[])"
    )
    con.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?)",
        [
            ("r1", "A", "x", [""]),
            ("r2", "A", "x", ["name_swap"]),
            ("r3", "A", "y", ["ssn_keying", "name_swap"]),
            ("r4", "B", "y", [""]),
        ],
    )
    scores = by_error(con, "r")
    assert set(scores) == {"name_swap", "ssn_keying"}
    # pairs touching r2 or r3: true (1,2) (1,3) (2,3); predicted (1,2) (3,4); correct (1,2)
    swap = scores["name_swap"]
    assert (swap["records"], swap["true_pairs"], swap["predicted_pairs"]) == (2, 3, 2)
    assert swap["correct_pairs"] == 1
    assert swap["recall"] == pytest.approx(1 / 3) and swap["precision"] == pytest.approx(0.5)
    # pairs touching r3: true (1,3) (2,3); predicted (3,4); none correct
    ssn = scores["ssn_keying"]
    assert (ssn["true_pairs"], ssn["predicted_pairs"], ssn["correct_pairs"]) == (2, 1, 0)
