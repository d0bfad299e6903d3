"""Scoring vendor records with the committed Splink model.

Records are the rows of ``business_records`` (every source in one table, deduplicated as one
set, so vendor-vendor, vendor-registry and registry-registry pairs are all scored). What is
compared and which pairs are declared in ``vendor_linkage.yaml``; the m and u parameters are
trained offline (``python -m datalabs_pipelines.procurement.train``) into the model file it
names, in the format person linkage uses (``linkage.modelfile``). A run scores with it, or
re-estimates it within guard rails when its config asks to. Splink runs through the project's
one wrapper (``linkage.splink_session``), in a scratch catalog on the warehouse connection, as
it does for people.
"""

from __future__ import annotations

import duckdb

from datalabs_pipelines.linkage.modelfile import MatchModel
from datalabs_pipelines.linkage.splink_session import predict_into
from datalabs_pipelines.procurement.config import load_config

MODEL_RECORDS = "_biz_model_records"


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
    """TEMP ``_biz_model_records``: the declared columns of ``records``, what Splink reads."""
    columns = load_config().linkage.columns
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MODEL_RECORDS} AS "
        f"SELECT {', '.join(columns)} FROM {records}"
    )
    return MODEL_RECORDS
