"""Which blocking rules the incremental scoring may join from one side only."""

from __future__ import annotations

import pytest

from datalabs_pipelines.linkage.symmetric_rules import is_symmetric

SYMMETRIC = [
    "l.a = r.a",
    "l.a = r.a AND l.b = r.b AND l.c = r.c",
    "l.a = r.a AND l.cluster0 <> r.cluster0",
    "left(l.a, 1) = left(r.a, 1) AND year(l.dob) = year(r.dob)",
    "levenshtein(l.x, r.x) <= 2",
    "damerau_levenshtein(l.x, r.x) <= 2",
    "jaro_winkler_similarity(l.a, r.a) > 0.9",
    "abs(year(l.dob) - year(r.dob)) <= 1",
    "(l.b IS NULL OR r.b IS NULL) AND l.a = r.a",
    "CASE WHEN l.a = r.a THEN l.s IS NULL OR r.s IS NULL ELSE false END",
    "l.first_name = r.surname AND l.surname = r.first_name",  # swapped names, both ways
    "l.a = 'x' AND r.a = 'x'",
]
ASYMMETRIC = [
    "l.a = r.b",
    "l.a < r.a",
    "l.y - r.y <= 1",
    "l.a = r.a AND l.b IS NULL",
    "substr(l.a, 1, 3) = substr(r.b, 1, 3)",
    "CASE WHEN l.a = r.a THEN l.s IS NULL ELSE false END",
    "jaro_winkler_similarity(l.a, r.b) > 0.9",
    "l.a = 'x' AND r.a = 'y'",
    "l.a = r.a AND (l.b = r.b AND l.c = r.d)",
    "some_udf(l.a, r.a)",  # an unknown function's arguments keep their order
    "l.a = r.a AND (",  # does not parse
]


@pytest.mark.parametrize("rule", SYMMETRIC)
def test_rules_the_same_with_sides_swapped_are_symmetric(rule):
    assert is_symmetric(rule)


@pytest.mark.parametrize("rule", ASYMMETRIC)
def test_rules_that_differ_or_cannot_be_shown_equal_are_not(rule):
    assert not is_symmetric(rule)
