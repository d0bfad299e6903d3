"""marts.linkage_quality from its declaration (YAML) and SQL beside this module.

A minimal asset until the generic mart factory (which also applies the disclosure gate at
publish) reads the same two files.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import yaml
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.sql import run_sql_file

DECLARATION = Path(__file__).parent / "linkage_quality.yaml"


def build_linkage_quality(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """The mart, or nothing when some of its source contracts are absent."""
    spec = yaml.safe_load(DECLARATION.read_text(encoding="utf-8"))
    if not set(spec["sources"]) <= {c.name for c in contracts}:
        return []
    name = spec["name"]
    columns = {c["name"]: (c["type"], c["description"].strip()) for c in spec["columns"]}

    @dg.asset(
        key=dg.AssetKey(["marts", spec["domain"], name]),
        description=(
            f"{spec['description'].strip()} Source: "
            + ", ".join(f"`{d}`" for d in spec["deps"])
            + f". Grain: {spec['grain']} Target: `marts.{name}` (published)."
        ),
        deps=[dg.AssetKey(d.split("/")) for d in spec["deps"]],
        group_name="marts",
        kinds={"duckdb", "sql"},
        owners=spec["owners"],
        tags={"domain": spec["domain"], "classification": "public", "purpose": spec["purpose"]},
        metadata={"dagster/column_schema": column_schema(columns)},
        pool="duckdb",
    )
    def linkage_quality(warehouse: DuckDBResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            run_sql_file(con, f"{name}.sql")
            return dg.MaterializeResult(metadata=table_metadata(con, ("marts", name)))

    return [linkage_quality]
