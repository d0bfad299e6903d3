"""Blocked pairs found here are the pairs Splink's blocking gives, numbered as it numbers them:
over every profile (a full scoring) and with a new profile on either side (a night's).

Eight hand-made profiles and two rules, one the same with its sides swapped and one not; the
oracle walks every ordered pair as Splink's blocking defines them (smaller id on the left, the
first rule that holds), and a few pairs are worked out by hand.
"""

import duckdb
import pytest

from datalabs_pipelines.linkage.blocking import BLOCKED, prediction_rules, write_blocked_pairs

# (id, last name, date-of-birth key, ZIP, new): a, c, g and h arrive tonight
PROFILES = [
    ("a", "SMITH", "0101", "60601", True),
    ("b", "SMITH", "0101", "60602", False),
    ("c", "SMITH", "0101", "60601", True),
    ("d", "JONES", "0202", "60601", False),
    ("e", "JONES", "0303", "60601", False),
    ("f", "SMITH", "0202", "60601", False),
    ("g", "YOUNG", "0404", "60601", True),
    ("h", "ADAMS", "0505", "60601", True),
]
SYMMETRIC = "l.last_name = r.last_name AND l.dob_key = r.dob_key"
ONE_WAY = "l.zip = r.zip AND l.last_name <= r.last_name"  # holds for (l, r), not always (r, l)
HOLDS = {
    SYMMETRIC: lambda a, b: a[1] == b[1] and a[2] == b[2],
    ONE_WAY: lambda a, b: a[3] == b[3] and a[1] <= b[1],
}


def splinks_blocking(rules: list[str], new_only: bool) -> dict[tuple[str, str], str]:
    """Each pair with the smaller id on the left for which a rule holds (and, ``new_only``, one
    side is new), under the first such rule."""
    pairs = {}
    for a in PROFILES:
        for b in PROFILES:
            if a[0] < b[0] and (not new_only or a[4] or b[4]):
                first = next((str(i) for i, rule in enumerate(rules) if HOLDS[rule](a, b)), None)
                if first is not None:
                    pairs[(a[0], b[0])] = first
    return pairs


def blocked(rules: list[str], new: str | None) -> dict[tuple[str, str], str]:
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE profiles (unique_id VARCHAR, last_name VARCHAR, dob_key VARCHAR, "
        "zip VARCHAR, lk_new BOOLEAN)"
    )
    con.executemany("INSERT INTO profiles VALUES (?, ?, ?, ?, ?)", PROFILES)
    written = write_blocked_pairs(con, "profiles", rules, "unique_id", new)
    rows = con.execute(f"SELECT match_key, join_key_l, join_key_r FROM {BLOCKED}").fetchall()
    assert written == len(rows)
    return {(left, right): rule for rule, left, right in rows}


@pytest.mark.parametrize("rules", [[SYMMETRIC, ONE_WAY], [ONE_WAY, SYMMETRIC]])
def test_pairs_with_a_new_profile_are_splinks_blocked_pairs_restricted_to_them(rules):
    found = blocked(rules, "lk_new")
    assert found == splinks_blocking(rules, new_only=True)
    # by hand: a-c meets both rules and comes once, under the first; d-g only one way round
    assert found[("a", "c")] == "0" and found[("d", "g")] == str(rules.index(ONE_WAY))
    assert ("d", "f") not in found  # ONE_WAY holds, but neither is new
    assert not any("h" in pair for pair in found)  # ADAMS sorts first, but h's id last


@pytest.mark.parametrize("rules", [[SYMMETRIC, ONE_WAY], [ONE_WAY, SYMMETRIC]])
def test_pairs_over_every_profile_are_splinks_blocked_pairs(rules):
    found = blocked(rules, None)
    assert found == splinks_blocking(rules, new_only=False)
    assert found[("d", "f")] == str(rules.index(ONE_WAY)) and ("b", "d") not in found


def test_no_rule_pairs_every_profile_as_splink_does():
    assert len(blocked([], None)) == len(PROFILES) * (len(PROFILES) - 1) // 2


def test_rules_are_read_in_order_and_an_exploding_rule_is_refused():
    settings = {"blocking_rules_to_generate_predictions": [{"blocking_rule": ONE_WAY}, SYMMETRIC]}
    assert prediction_rules(settings) == [ONE_WAY, SYMMETRIC]
    exploding = {"blocking_rule": ONE_WAY, "arrays_to_explode": ["zips"]}
    with pytest.raises(ValueError, match="explode"):
        prediction_rules({"blocking_rules_to_generate_predictions": [exploding]})
