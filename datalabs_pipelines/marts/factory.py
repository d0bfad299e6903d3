"""Build a Dagster asset from a mart declaration and the SQL file beside it."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.quality.results import ensure_results_table


def mart_key(declaration: MartDeclaration) -> dg.AssetKey:
    return dg.AssetKey(["marts", declaration.domain, declaration.name])


def _deps(declaration: MartDeclaration, contracts: Sequence[Contract]) -> list[dg.AssetKey]:
    keys: list[dg.AssetKey] = []
    for dep in declaration.deps:
        if dep == "staging/*":
            keys += [dg.AssetKey(["staging", c.agency, c.name]) for c in contracts]
        else:
            keys.append(dg.AssetKey.from_user_string(dep))
    return keys


def build_mart_asset(
    declaration: MartDeclaration, contracts: Sequence[Contract]
) -> dg.AssetsDefinition:
    schema = {c.name: (c.type, c.description) for c in declaration.columns}
    key = mart_key(declaration)

    @dg.asset(
        key=key,
        deps=_deps(declaration, contracts),
        description=(
            f"{declaration.description} Source: {', '.join(declaration.deps) or 'none'}. "
            f"Grain: {declaration.grain} Target: `marts.{declaration.name}` (published)."
        ),
        group_name="marts",
        kinds={"duckdb", "sql"},
        owners=declaration.owners,
        tags={"domain": declaration.domain, "classification": "public"},
        metadata={
            "dagster/column_schema": column_schema(schema),
            "purpose": declaration.purpose,
            "sources": ", ".join(declaration.sources) or "none",
        },
        pool="duckdb",
    )
    def _mart(warehouse: DuckDBResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            ensure_results_table(con)
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(declaration.sql_path.read_text())
            built = [
                (name, dtype)
                for name, dtype in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                    [declaration.name],
                ).fetchall()
            ]
            declared = [(c.name, c.type) for c in declaration.columns]
            if [n for n, _ in built] != [n for n, _ in declared]:
                raise dg.Failure(
                    f"marts.{declaration.name} has columns {[n for n, _ in built]} but "
                    f"{declaration.sql_path.with_suffix('.yaml')} declares "
                    f"{[n for n, _ in declared]}"
                )
            return dg.MaterializeResult(metadata=table_metadata(con, ("marts", declaration.name)))

    return _mart
