"""Kept scores moved to tonight's term frequencies, worked out by hand on a one-comparison
model: a first-name comparison whose exact level is adjusted (weight 1, no floor)."""

import duckdb
import pytest

from datalabs_pipelines.linkage.incremental import kept_from
from datalabs_pipelines.linkage.kept_scores import (
    AdjustedComparison,
    AdjustedLevel,
    adjusted_comparisons,
    refreshed_sql,
)

SETTINGS = {
    "comparisons": [
        {
            "output_column_name": "first_name",
            "comparison_levels": [
                {"sql_condition": "first_name_l IS NULL", "is_null_level": True},
                {
                    "sql_condition": "first_name_l = first_name_r",
                    "tf_adjustment_column": "first_name",
                    "tf_adjustment_weight": 1.0,
                },
                {"sql_condition": "jaro_winkler_similarity(first_name_l, first_name_r) > 0.9"},
                {"sql_condition": "ELSE"},
            ],
        },
        {
            "output_column_name": "dob",
            "comparison_levels": [
                {"sql_condition": "dob_l IS NULL", "is_null_level": True},
                {"sql_condition": "dob_l = dob_r"},
                {"sql_condition": "ELSE"},
            ],
        },
    ]
}


def test_levels_are_numbered_as_splink_numbers_them():
    # null -1; the others from the top down: exact 2, fuzzy 1, else 0
    assert adjusted_comparisons(SETTINGS) == [
        AdjustedComparison("gamma_first_name", (AdjustedLevel(2, "first_name", 1.0, 0.0),))
    ]


def test_a_kept_weight_moves_by_the_change_of_its_frequency():
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE profiles AS SELECT * FROM (VALUES "
            "('a', 'ANA'), ('b', 'ANA'), ('c', 'BO'), ('d', 'BOB'), ('e', NULL)) "
            "t(unique_id, first_name)"
        )
        # tonight ANA is an eighth of the names (it was a quarter when the pairs were kept)
        con.execute(
            "CREATE TABLE tf AS SELECT * FROM (VALUES ('ANA', 0.125), ('BO', 0.5), "
            "('BOB', 0.375)) t(first_name, tf_first_name)"
        )
        con.execute(
            "CREATE TABLE kept AS SELECT * FROM (VALUES "
            # exact, weighed with T = 0.25: +1 bit, 1.0 -> 2.0, probability 4 / 5
            "('a', 'b', 1.0, 2.0 / 3, [2], [0.25]), "
            # fuzzy level (not adjusted): as kept
            "('c', 'd', -1.0, 1.0 / 3, [1], [NULL]), "
            # no frequency when it was kept (a missing value): as kept
            "('a', 'e', 0.0, 0.5, [-1], [NULL])"
            ") t(id_l, id_r, match_weight, match_probability, tf_gamma, tf_used)"
        )
        con.execute(
            "UPDATE kept SET tf_gamma = CAST(tf_gamma AS INTEGER[]), "
            "tf_used = CAST(tf_used AS DOUBLE[])"
        )
        rows = con.execute(
            "SELECT id_l, id_r, match_weight, match_probability, tf_used, kept_probability FROM ("
            + refreshed_sql(SETTINGS, "kept", "profiles", "unique_id", {"first_name": "tf"})
            + ") ORDER BY id_l, id_r"
        ).fetchall()
    (ab_l, ab_r, ab_w, ab_p, ab_t, ab_kept), (_, _, ae_w, ae_p, ae_t, _), cd = rows
    assert (ab_l, ab_r) == ("a", "b")
    assert ab_w == pytest.approx(2.0) and ab_p == pytest.approx(0.8)
    assert ab_t == [0.125] and ab_kept == pytest.approx(2 / 3)
    assert (ae_w, ae_p, ae_t) == (0.0, pytest.approx(0.5), [None])
    assert cd[2:5] == (-1.0, pytest.approx(1 / 3), [None])


def test_pairs_are_kept_from_a_bit_below_the_review_probability_when_frequencies_move():
    # 0.5 is weight 0; a bit below, weight -1: probability 1/3
    assert kept_from(0.5, SETTINGS) == pytest.approx(1 / 3)
    without = {"comparisons": [SETTINGS["comparisons"][1]]}
    assert kept_from(0.5, without) == 0.5  # no adjusted comparison: nothing moves
