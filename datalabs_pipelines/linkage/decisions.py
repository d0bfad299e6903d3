"""What becomes of each scored pair, as the declaration says: linked, review, or decided by
the exclusive key.

From the declared ``review_probability`` up, every scored pair gets a decision: where both
profiles carry the declared ``exclusive_key`` it decides alone (``decided_by_<key>``: equal
values are joined by the deterministic pass, different ones stay apart); otherwise a pair at or
above the model's threshold that also meets the declared ``link_guard`` is ``linked``; the rest
go to ``review``. Clustering may later refuse a link that would join two values of the exclusive
key (``refused_<key>_conflict``).
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.declaration import LinkageDeclaration
from datalabs_pipelines.linkage.profiles import PROFILES
from datalabs_pipelines.linkage.scoring import PAIRS
from datalabs_pipelines.warehouse import identifier

DECISIONS = "lk_decisions"  # TEMP (id_l, id_r, match_probability, match_weight, decision)


def decided_label(key: str) -> str:
    return f"decided_by_{key}"


def refused_label(key: str) -> str:
    return f"refused_{key}_conflict"


def decide(con: duckdb.DuckDBPyConnection, declaration: LinkageDeclaration, accept: float) -> None:
    """TEMP ``lk_decisions``: every scored pair from the review probability up, decided."""
    guard = f"({declaration.link_guard})" if declaration.link_guard else "true"
    cases = f"WHEN s.match_probability >= $accept AND {guard} THEN 'linked'"
    params: dict[str, object] = {"accept": accept, "floor": declaration.review_probability}
    if key := declaration.exclusive_key:
        key = identifier(key)
        cases = f"WHEN l.{key} IS NOT NULL AND r.{key} IS NOT NULL THEN $decided {cases}"
        params["decided"] = decided_label(key)
    profiles = ""
    if declaration.link_guard or declaration.exclusive_key:
        uid = identifier(declaration.unique_id)
        profiles = (
            f"JOIN {PROFILES} l ON l.{uid} = s.unique_id_l "
            f"JOIN {PROFILES} r ON r.{uid} = s.unique_id_r"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {DECISIONS} AS
        SELECT s.unique_id_l AS id_l, s.unique_id_r AS id_r, s.match_probability,
               s.match_weight, CASE {cases} ELSE 'review' END AS decision
        FROM {PAIRS} s {profiles}
        WHERE s.match_probability >= $floor
        """,
        params,
    )
