"""Blocked pairs: the profile pairs Splink scores, found here and registered with it.

Each declared blocking rule's own join finds its pairs, and each pair is kept once, under the
first rule that makes it, with the smaller id on the left: what Splink's blocking gives
(``dedupe_only``), numbered as it numbers them. Splink's own blocking excludes from each rule's
join the pairs of every earlier rule by evaluating all their conditions again on every pair it
joins; plain joins and a first rule per pair cost less (scale 100, every profile: 10.3 against
11.4 s in the step, 13.7 against 19.1 s alone on the heavy error profile; a night's pairs with a
new profile: 1.5 s for what took a candidate search 1.7 s and Splink's blocking 0.7 s). Splink
then scores the pairs through its public API (``register_blocked_pairs_for_predict``).

Restricted to pairs with a new profile (``new``: a boolean column of the profiles), each rule's
join filters the new side first, so a night's cost follows what arrived.
"""

from __future__ import annotations

from typing import Any

import duckdb

from datalabs_pipelines.warehouse import identifier

BLOCKED = "lk_blocked_pairs"
"""TEMP (match_key, join_key_l, join_key_r): the pairs to score, as Splink's blocking writes
them."""


def prediction_rules(settings: dict[str, Any]) -> list[str]:
    """The SQL of the settings' blocking rules for predictions, in order (a rule exploding an
    array, which no declaration makes, is refused: its pairs are not its join's)."""
    rules = settings["blocking_rules_to_generate_predictions"]
    if any(isinstance(rule, dict) and rule.get("arrays_to_explode") for rule in rules):
        raise ValueError("blocking rules that explode arrays are not supported (blocking.py)")
    return [rule["blocking_rule"] if isinstance(rule, dict) else rule for rule in rules]


def write_blocked_pairs(
    con: duckdb.DuckDBPyConnection,
    profiles: str,
    rules: list[str],
    unique_id: str,
    new: str | None = None,
) -> int:
    """TEMP ``lk_blocked_pairs``: every pair of ``profiles`` (ids in ``unique_id``) a rule makes,
    once, under the first rule that makes it; with ``new``, only the pairs with a profile whose
    ``new`` column is true on either side. Returns their number."""
    uid = identifier(unique_id)
    joins = [
        f"SELECT {number} AS rule, {pair} FROM {profiles} l JOIN {profiles} r "
        f"ON ({rule}){side} WHERE {condition}"
        for number, rule in enumerate(rules or ["1=1"])  # no rule: every pair, as in Splink
        for side, pair, condition in _joins(rule, uid, new)
    ]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {BLOCKED} AS "
        "SELECT CAST(min(rule) AS VARCHAR) AS match_key, join_key_l, join_key_r "
        f"FROM ({' UNION ALL '.join(joins)}) GROUP BY join_key_l, join_key_r"
    )
    return con.execute(f"SELECT count(*) FROM {BLOCKED}").fetchone()[0]


def _joins(rule: str, uid: str, new: str | None) -> list[tuple[str, str, str]]:
    """How a rule's pairs are found: (the join's filter on a new side, the pair's ids, the
    join's condition). Over every profile, one join keeping the pairs whose left id is the
    smaller, as Splink does. With a new side: a rule that ``symmetric_rules`` proves unchanged
    when ``l`` and ``r`` swap needs one join, the new profile on the left, its pairs turned so
    the smaller id is on the left; any other is joined with each side new in turn."""
    as_is = f"l.{uid} AS join_key_l, r.{uid} AS join_key_r"
    ordered = f"l.{uid} < r.{uid}"
    if new is None:
        return [("", as_is, ordered)]
    # imported here: its SQL parser costs every run's process a tenth of a second to load, and
    # only a night's scoring uses it
    from datalabs_pipelines.linkage.symmetric_rules import is_symmetric

    flag = identifier(new)
    if is_symmetric(rule):
        turned = f"least(l.{uid}, r.{uid}) AS join_key_l, greatest(l.{uid}, r.{uid}) AS join_key_r"
        return [(f" AND l.{flag}", turned, f"l.{uid} <> r.{uid}")]
    return [(f" AND {side}.{flag}", as_is, ordered) for side in ("l", "r")]
