"""The one Splink wrapper of the project: people and firms score, train and re-estimate here.

Splink runs on the DuckDB connection itself, inside a scratch catalog (``scratch.py``), on a
TEMP table of records, so its work tables (and the identities they hold) never reach the
warehouse file. What differs between people and firms is only the settings they pass in.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from datalabs_pipelines.linkage.scratch import scratch_catalog
from datalabs_pipelines.warehouse import identifier, splink_api


@contextmanager
def splink_linker(
    con: duckdb.DuckDBPyConnection,
    table: str,
    settings: Any,
    tf_lookups: Mapping[str, str] | None = None,
    blocked: str | None = None,
) -> Iterator[Any]:
    """A Splink ``Linker`` over the TEMP ``table`` with ``settings`` (a dict or a
    ``SettingsCreator``; a dict is copied, never changed), live for the block. ``tf_lookups``
    (column → TEMP table of ``column, tf_<column>``) replace the term frequencies Splink would
    compute from ``table``; ``blocked`` (a TEMP table ``match_key, join_key_l, join_key_r``)
    replaces the pairs its blocking rules would make for ``predict``."""
    from splink import Linker

    if isinstance(settings, dict):
        settings = copy.deepcopy(settings)
        settings.pop("linker_uid", None)
    with scratch_catalog(con):
        frame = splink_api(con).register(table)
        linker = Linker(frame, settings, log_level=logging.WARNING)
        for column, lookup in (tf_lookups or {}).items():
            linker.table_management.register_term_frequency_lookup(
                frame.db_api.register(lookup), column
            )
        if blocked is not None:
            linker.table_management.register_blocked_pairs_for_predict(
                frame.db_api.register(blocked)
            )
        yield linker


def predict_into(
    con: duckdb.DuckDBPyConnection,
    table: str,
    settings: Any,
    blocked: str,
    out: str,
    columns: Sequence[str],
    tf_lookups: Mapping[str, str] | None = None,
    derived: Mapping[str, str] | None = None,
) -> int:
    """Score the pairs of ``table`` listed in the TEMP table ``blocked`` (``blocking.py``) into
    TEMP ``out`` with ``columns`` of Splink's predictions and the ``derived`` ones (name → SQL
    over the predictions ``p``), with term frequencies from ``tf_lookups`` where given; return
    the pairs written."""
    out = identifier(out)
    select = ", ".join(
        [f"p.{identifier(c)}" for c in columns]
        + [f"{sql} AS {identifier(name)}" for name, sql in (derived or {}).items()]
    )
    with splink_linker(con, table, settings, tf_lookups, blocked) as linker:
        predictions = linker.inference.predict(warning_mode="never")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {out} AS "
            f"SELECT {select} FROM {predictions.physical_name} p"
        )
    return con.execute(f"SELECT count(*) FROM {out}").fetchone()[0]


def floor_m(settings: dict[str, Any], floor: float) -> dict[str, Any]:
    """``settings`` with every trained (or untrained) m probability raised to ``floor``, so a
    disagreeing field counts against a pair (at most log2(u / floor) bits) but never vetoes."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            level["m_probability"] = floor if m is None else max(float(m), floor)
    return settings
