"""The configuration and the contracts' value maps as small tables, for the SQL to join."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import write_value_maps
from datalabs_pipelines.procurement.config import ProcurementConfig
from datalabs_pipelines.warehouse import transaction


def write_reference_tables(
    con: duckdb.DuckDBPyConnection, config: ProcurementConfig, contracts: Sequence[Contract]
) -> None:
    """``integrated.procurement_programs``, ``value_maps``, ``procurement_parameters``."""
    with transaction(con):  # one commit for the three tables
        con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
        con.execute(
            "CREATE OR REPLACE TABLE integrated.procurement_programs "
            "(program VARCHAR, goal_pct DOUBLE, description VARCHAR)"
        )
        con.executemany(
            "INSERT INTO integrated.procurement_programs VALUES (?, ?, ?)",
            [(code, p.goal_pct, p.description) for code, p in sorted(config.programs.items())],
        )
        write_value_maps(con, contracts, "integrated.value_maps")
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
