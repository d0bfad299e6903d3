"""The Splink model of vendor resolution: comparisons, blocking rules, scoring.

Records are the rows of ``business_records`` (every source in one table, deduplicated as one
set, so vendor-vendor, vendor-registry and registry-registry pairs are all scored). The m and
u parameters are trained offline (``python -m datalabs_pipelines.procurement.train``) and live
in the versioned model file named in ``config.yaml``, in the format person linkage uses
(``linkage.modelfile``: Splink's settings with the match threshold and a training note); a
run only scores, it never trains.
Splink works on its own in-memory DuckDB connection, so none of its scratch tables reach the
warehouse; records go in and scored pairs come out as Arrow tables.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on

from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.warehouse import splink_api

MODEL_COLUMNS = (
    "uid", "name_norm", "dba_norm", "address_norm", "house_number", "city_norm", "zip5",
    "phone10",
)  # fmt: skip
# A name matching a trade name, as three equality rules: one rule ORing them is a join DuckDB
# cannot hash, so it compared every pair (282 s of a scale-100 run; 5 s as three rules).
_DBA_RULES = ("l.name_norm = r.dba_norm", "l.dba_norm = r.name_norm", "l.dba_norm = r.dba_norm")
_PO_BOX = "(address_norm_l LIKE 'PO BOX%' OR address_norm_r LIKE 'PO BOX%')"
_DBA_LEVEL = "(name_norm_l = dba_norm_r OR dba_norm_l = name_norm_r OR dba_norm_l = dba_norm_r)"


def _name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name_norm",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm"),
            cll.CustomLevel(_DBA_LEVEL, label_for_charts="name equals the other's DBA"),
            cll.JaroWinklerLevel("name_norm", 0.95),
            cll.JaroWinklerLevel("name_norm", 0.88),
            cll.ElseLevel(),
        ],
    )


def _address_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="address_norm",
        comparison_levels=[
            cll.NullLevel("address_norm"),
            # a PO box is where the mail goes, not where the business is: no evidence either way
            cll.CustomLevel(_PO_BOX, label_for_charts="either address is a PO box").configure(
                is_null_level=True
            ),
            cll.ExactMatchLevel("address_norm"),
            cll.And(
                cll.ExactMatchLevel("house_number"),
                cll.JaroWinklerLevel("address_norm", 0.85),
            ),
            cll.ExactMatchLevel("house_number"),
            cll.ElseLevel(),
        ],
    )


BLOCKING_RULES = [
    block_on("name_norm"),
    block_on("phone10"),
    block_on("zip5", "house_number"),
    block_on("substr(name_norm, 1, 6)", "city_norm"),
    block_on("address_norm"),
]


def settings() -> SettingsCreator:
    """The untrained specification; the model file adds the trained parameters."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            _name_comparison(),
            _address_comparison(),
            cl.ExactMatch("city_norm"),
            cl.ExactMatch("zip5"),
            cl.ExactMatch("phone10"),
        ],
        blocking_rules_to_generate_predictions=[
            *BLOCKING_RULES,
            *({"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in _DBA_RULES),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _linker(records: pa.Table, model: SettingsCreator | dict[str, Any]) -> Linker:
    db_api = splink_api(duckdb.connect())
    frame = db_api.register(records, dataset_display_name="business_records")
    return Linker(frame, model, log_level=None)


def records_arrow(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    """The model's columns of ``table`` (a validated, qualified name) as an Arrow table."""
    return con.sql(f"SELECT {', '.join(MODEL_COLUMNS)} FROM {table}").to_arrow_table()


def score_pairs(records: pa.Table, model: MatchModel, min_probability: float) -> pa.Table:
    """Scored pairs ``(uid_l, uid_r, match_weight, match_probability)`` above a floor."""
    quiet = logging.getLogger("splink")
    level, quiet.level = quiet.level, logging.WARNING
    try:
        linker = _linker(records, copy.deepcopy(model.splink_settings))
        scored = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        return (
            scored.as_duckdbpyrelation()
            .select("uid_l, uid_r, match_weight, match_probability")
            .to_arrow_table()
        )
    finally:
        quiet.level = level
