"""Build a Dagster asset from a mart declaration and the SQL file beside it.

It sits above both ``marts`` (the declarations and their SQL) and ``governance`` (which reads
the declarations), so that neither package imports the other back.

Every mart carries the blocking ``agreement_permits_purpose`` check: it is evaluated from the
contracts alone, before the SQL runs, and a mart whose sources' agreements do not permit its
purpose (or have expired on the run date) is not built, so nothing downstream publishes it.
"""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.governance.agreement_check import (
    SCHEDULED_TIME_TAG,
    agreement_check_result,
    agreement_check_spec,
)
from datalabs_pipelines.governance.agreements import evaluate_agreements, run_date
from datalabs_pipelines.governance.lineage import LINEAGE_KEY, column_lineage
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.marts.environment import prepare


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
    lineage = column_lineage(declaration.lineage) if declaration.lineage else None

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
            **({LINEAGE_KEY: lineage} if lineage else {}),
        },
        check_specs=[agreement_check_spec(key, declaration)],
        pool="duckdb",
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        on = run_date(context.run.tags.get(SCHEDULED_TIME_TAG))
        agreement = agreement_check_result(key, evaluate_agreements(declaration, contracts, on), on)
        if not agreement.passed:
            yield agreement
            raise dg.Failure(
                description=f"Not building marts.{declaration.name}: {agreement.description}"
            )
        with warehouse.get_connection() as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            prepare(con)
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
            metadata = table_metadata(con, ("marts", declaration.name))
        if lineage:
            metadata[LINEAGE_KEY] = lineage
        yield dg.MaterializeResult(metadata=metadata)
        yield agreement

    return _mart
