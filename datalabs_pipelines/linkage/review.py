"""The review table, one schema for people and firms: uncertain pairs left for a person.

A pair scored from the entity's ``review_probability`` up to (not including) its threshold,
whose records did not end up under one key anyway, is written with its probability and match
weight, each record's extract, id and current key, and the fields a reviewer compares
(``<field>_l``, ``<field>_r``, declared per entity). People's table lives in ``pii`` (its
fields are identities); firms' in ``integrated`` (public business data).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from datalabs_pipelines.warehouse import identifier, qualified

SIDES = (("l", "first"), ("r", "second"))


def review_columns(key: str, fields: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Column → (type, description) of a review table keyed by ``key`` showing ``fields``
    (column → description)."""
    return {
        "match_probability": ("DOUBLE", "probability the two records are one entity"),
        "match_weight": ("DOUBLE", "Splink match weight (log2 Bayes factor)"),
        **{
            f"{c}_{s}": ("VARCHAR", f"{c} of the {side} record")
            for s, side in SIDES
            for c in ("source_extract", "record_id")
        },
        **{f"{key}_{s}": ("VARCHAR", f"current key of the {side} record") for s, side in SIDES},
        **{
            f"{c}_{s}": ("VARCHAR", f"{description} of the {side} record")
            for c, description in fields.items()
            for s, side in SIDES
        },
    }


def write_review(
    con: duckdb.DuckDBPyConnection,
    table: tuple[str, str],
    pairs: str,
    records: str,
    keys: str,
    key: str,
    fields: Mapping[str, str],
) -> int:
    """(Re)create ``table`` from ``pairs`` (``id_l``, ``id_r``, ``match_probability``,
    ``match_weight``: the review band, already chosen), ``records`` (``id``, ``source_extract``,
    ``record_id`` and each field, named by ``fields``' keys) and ``keys`` (``source_extract``,
    ``record_id``, ``key``); return its rows."""
    key = identifier(key)
    shown = "".join(
        f", CAST({s}.{identifier(f)} AS VARCHAR) AS {f}_{s}" for f in fields for s in ("l", "r")
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(table)} AS
        SELECT p.match_probability, p.match_weight,
               l.source_extract AS source_extract_l, l.record_id AS record_id_l,
               r.source_extract AS source_extract_r, r.record_id AS record_id_r,
               kl.{key} AS {key}_l, kr.{key} AS {key}_r{shown}
        FROM {identifier(pairs)} p
        JOIN {records} l ON l.id = p.id_l
        JOIN {records} r ON r.id = p.id_r
        JOIN {keys} kl ON kl.source_extract = l.source_extract AND kl.record_id = l.record_id
        JOIN {keys} kr ON kr.source_extract = r.source_extract AND kr.record_id = r.record_id
        WHERE kl.{key} <> kr.{key}
        ORDER BY p.match_probability DESC, record_id_l, record_id_r
        """
    )
    return con.execute(f"SELECT count(*) FROM {qualified(table)}").fetchone()[0]
