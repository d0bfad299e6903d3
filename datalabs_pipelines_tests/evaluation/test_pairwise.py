"""Pairwise scores on clusterings small enough to count by hand."""

import pytest

from datalabs_pipelines.evaluation.pairwise import pairwise_scores


def scores(con, rows):
    con.execute("CREATE OR REPLACE TEMP TABLE r (predicted VARCHAR, truth VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, ?)", rows)
    return pairwise_scores(con, "r")


def test_perfect_clustering(con):
    s = scores(con, [("a", "1"), ("a", "1"), ("b", "2")])
    assert (s["precision"], s["recall"], s["f1"]) == (1.0, 1.0, 1.0)


def test_split_and_merge_counted_by_hand(con):
    # truth: {r1 r2 r3} {r4 r5}; predicted: {r1 r2} {r3 r4 r5}
    # true pairs 3 + 1 = 4; predicted pairs 1 + 3 = 4; correct: (r1 r2) and (r4 r5) = 2
    s = scores(con, [("a", "1"), ("a", "1"), ("b", "1"), ("b", "2"), ("b", "2")])
    assert (s["true_pairs"], s["predicted_pairs"], s["correct_pairs"]) == (4, 4, 2)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(0.5)


def test_all_singletons_have_no_pairs(con):
    s = scores(con, [("a", "1"), ("b", "1")])
    assert s["predicted_pairs"] == 0 and s["recall"] == 0.0 and s["precision"] == 1.0
