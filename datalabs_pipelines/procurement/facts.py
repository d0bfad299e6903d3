"""Certified spend facts: certifications in time, payments and awards on vendor keys, flags.

Runs ``sql/macros.sql`` (the fiscal-year formula and what payments and awards share), then the
SQL files in ``sql/``, each beside the YAML that declares its table, in dependency order, after
``linkage`` built ``vendor_keys``.
The SQL reads roles (``role_payments``, ...), never an extract: the views are built here from
the contracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.procurement.config import ProcurementConfig
from datalabs_pipelines.procurement.reference import write_reference_tables

SQL_DIR = Path(__file__).parent / "sql"
# file → does it take the fiscal-year start month
STEPS = (
    ("certifications", False),
    ("procurement_businesses", False),
    ("procurement_payments", True),
    ("procurement_awards", True),
    ("procurement_fiscal_years", True),
    ("procurement_flags", False),
)


def build_facts(
    con: duckdb.DuckDBPyConnection, config: ProcurementConfig, contracts: Sequence[Contract]
) -> None:
    write_reference_tables(con, config, contracts)
    build_role_views(
        con, contracts, ("vendor_master", "certified_firm_registry", "payments", "awards")
    )
    con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
    for name, dated in STEPS:
        sql = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
        con.execute(sql, {"fy_start": config.fiscal_year_start_month} if dated else None)
