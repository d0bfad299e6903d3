"""The Splink model of vendor resolution: comparisons, blocking rules, scoring.

Records are the rows of ``business_records`` (every source in one table, deduplicated as one
set, so vendor-vendor, vendor-registry and registry-registry pairs are all scored). The m and
u parameters are trained offline (``python -m datalabs_pipelines.procurement.train``) and live
in the versioned model file named in ``config.yaml``, in the format person linkage uses
(``linkage.modelfile``: Splink's settings with the match threshold and a training note); a
run scores with it, or re-estimates it within guard rails when its config asks to.
Splink runs through the project's one wrapper (``linkage.splink_session``), in a scratch
catalog on the warehouse connection, as it does for people.
"""

from __future__ import annotations

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.splink_session import predict_into

MODEL_COLUMNS = (
    "uid", "name_norm", "dba_norm", "address_norm", "house_number", "city_norm", "zip5",
    "phone10",
)  # fmt: skip
MODEL_RECORDS = "_biz_model_records"
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


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    records: str,
    model: MatchModel,
    min_probability: float,
    out: str = "_scored",
) -> int:
    """TEMP ``out(uid_l, uid_r, match_weight, match_probability)``: every blocked pair of
    ``records`` (a validated, qualified table) at or above ``min_probability``."""
    model_records(con, records)
    return predict_into(
        con,
        MODEL_RECORDS,
        model.splink_settings,
        out,
        ("uid_l", "uid_r", "match_weight", "match_probability"),
        min_probability,
    )


def model_records(con: duckdb.DuckDBPyConnection, records: str) -> str:
    """TEMP ``_biz_model_records``: the model's columns of ``records``, what Splink reads."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MODEL_RECORDS} AS "
        f"SELECT {', '.join(MODEL_COLUMNS)} FROM {records}"
    )
    return MODEL_RECORDS
