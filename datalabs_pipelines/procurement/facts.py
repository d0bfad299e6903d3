"""Certified spend facts: certifications in time, payments and awards on vendor keys, flags.

Runs ``sql/macros.sql`` (the fiscal-year formula and what payments and awards share), then the
query of each SQL file in ``sql/`` into its table (declared by the YAML beside it), in
dependency order, after ``linkage`` built ``vendor_keys``.
The SQL reads roles (``role_payments``, ...), never an extract: the views are built here from
the contracts. When nothing it reads changed since the last build (a night that brought wage
or benefit files only), the tables stay as they are (``candidates.inputs_fingerprint``); when
only payment lines changed (a payments night), the payments table is rebuilt for the lines that
changed (``payment_lines``), the small tables built from it whole, and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.candidates import built_from, inputs_fingerprint, mark_built_from
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.procurement.config import ProcurementConfig
from datalabs_pipelines.procurement.payment_lines import (
    LINES,
    PAYMENTS,
    rebuild_changed,
    write_lines,
)
from datalabs_pipelines.procurement.reference import write_reference_tables
from datalabs_pipelines.warehouse import table_exists

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
ROLES = ("vendor_master", "certified_firm_registry", "payments", "awards")
# the steps whose rows follow the payment lines (they read them, or a table built from them);
# the others read nothing a payments night changes, and such a night keeps their tables
FOLLOW_PAYMENTS = frozenset(
    {"procurement_payments", "procurement_fiscal_years", "procurement_flags"}
)
# what the SQL reads besides the role views: linkage's tables and the reference tables
READ = (
    "integrated.vendor_keys",
    "integrated.business_records",
    "integrated.value_maps",
    "integrated.procurement_programs",
    "integrated.procurement_parameters",
)
SCHEMA = "integrated"
# the fingerprints of a build: of all its inputs on the last table, and of every input but the
# payment lines on the payments table
LAST = (SCHEMA, STEPS[-1][0])


def build_facts(
    con: duckdb.DuckDBPyConnection, config: ProcurementConfig, contracts: Sequence[Contract]
) -> bool:
    """Build the tables of ``STEPS`` unless their inputs are those of their last build;
    return whether it ran. When only payment lines changed, the payments table is rebuilt for
    those lines alone (``payment_lines``), and only the tables that follow it after it."""
    write_reference_tables(con, config, contracts)
    build_role_views(con, contracts, ROLES)
    sql = {name: (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8") for name, _ in STEPS}
    macros = (SQL_DIR / "macros.sql").read_text(encoding="utf-8")
    others = [f"role_{r}" for r in ROLES if r != "payments"]
    context = inputs_fingerprint(con, [*others, *READ], [macros, *sql.values()])
    fingerprint = inputs_fingerprint(con, ["role_payments"], [context])
    built = all(table_exists(con, (SCHEMA, name)) for name, _ in STEPS)
    if built and built_from(con, LAST) == fingerprint:
        return False
    by_lines = built and table_exists(con, LINES) and built_from(con, PAYMENTS) == context
    mark_built_from(con, LAST, None)
    mark_built_from(con, PAYMENTS, None)
    con.execute(macros)
    for name, dated in STEPS:
        parameters = {"fy_start": config.fiscal_year_start_month} if dated else None
        if by_lines and name not in FOLLOW_PAYMENTS:
            continue
        if (SCHEMA, name) == PAYMENTS and by_lines:
            try:
                rebuild_changed(con, sql[name], parameters)
            finally:
                build_role_views(con, contracts, ["payments"])
            continue
        con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{name} AS\n{sql[name]}", parameters)
        if (SCHEMA, name) == PAYMENTS:
            write_lines(con)
    mark_built_from(con, PAYMENTS, context)
    mark_built_from(con, LAST, fingerprint)
    return True
