"""The configuration as small warehouse tables, so mart SQL joins goals and thresholds."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.procurement.config import ProcurementConfig


def write_reference_tables(con: duckdb.DuckDBPyConnection, config: ProcurementConfig) -> None:
    """``integrated.procurement_programs``, ``certification_types``, ``procurement_parameters``."""
    con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
    con.execute(
        "CREATE OR REPLACE TABLE integrated.procurement_programs "
        "(program VARCHAR, goal_pct DOUBLE, description VARCHAR)"
    )
    con.executemany(
        "INSERT INTO integrated.procurement_programs VALUES (?, ?, ?)",
        [(code, p.goal_pct, p.description) for code, p in sorted(config.programs.items())],
    )
    con.execute(
        "CREATE OR REPLACE TABLE integrated.certification_types "
        "(certification_type VARCHAR, ownership VARCHAR, program VARCHAR)"
    )
    con.executemany(
        "INSERT INTO integrated.certification_types VALUES (?, ?, ?)",
        [
            (code.strip().upper(), t.ownership, t.program)
            for code, t in sorted(config.certification_types.items())
        ],
    )
    con.execute(
        "CREATE OR REPLACE TABLE integrated.procurement_parameters AS SELECT "
        "$fy::INTEGER AS fiscal_year_start_month, $threshold::DOUBLE AS disparity_threshold, "
        "$min_firms::INTEGER AS min_available_firms",
        {
            "fy": config.fiscal_year_start_month,
            "threshold": config.disparity.threshold,
            "min_firms": config.disparity.min_available_firms,
        },
    )
