"""Build a Dagster asset from a mart declaration and the SQL file beside it.

It sits above both ``marts`` (the declarations and their SQL) and ``governance`` (which reads
the declarations), so that neither package imports the other back.

Before the SQL runs, the step assesses the mart (``marts.status``): a required source whose
agreement does not permit the purpose blocks it (its table is dropped, so nothing publishes
it); an optional one is left out, saying so; a required source not delivered makes it "not
measurable" (an empty table, never zeros); a source held back by a failing check keeps the
mart's last good table (stale). Every outcome is a materialization with ``status`` and
``reason`` (which the ``mart_status`` asset writes to ``marts.mart_status``), so the publish
step always runs and assembles the snapshot mart by mart.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import (
    LINEAGE_KEY,
    column_lineage,
    column_schema,
    freshness_of,
    table_metadata,
)
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.contracts.roles import build_role_views
from datalabs_pipelines.governance.agreement_check import (
    agreement_check_result,
    agreement_check_spec,
)
from datalabs_pipelines.governance.agreements import evaluate_agreements, sources_used
from datalabs_pipelines.marts.coverage import withhold_below_coverage
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.marts.environment import prepare
from datalabs_pipelines.marts.status import (
    BLOCKED,
    FRESH,
    NOT_MEASURABLE,
    Assessment,
    assess,
)
from datalabs_pipelines.quality.extract_status import EXTRACT_STATUS_KEY, extract_statuses
from datalabs_pipelines.run_context import SCHEDULED_TIME_TAG, run_date
from datalabs_pipelines.warehouse import identifier, table_exists, transaction, warehouse_pool


def mart_key(declaration: MartDeclaration) -> dg.AssetKey:
    return dg.AssetKey(["marts", declaration.domain, declaration.name])


def _deps(declaration: MartDeclaration, contracts: Sequence[Contract]) -> list[dg.AssetKey]:
    keys = [EXTRACT_STATUS_KEY]  # every mart is assessed from it
    for dep in declaration.deps:
        if dep == "staging/*":
            keys += [dg.AssetKey(["staging", c.agency, c.name]) for c in contracts]
        else:
            keys.append(dg.AssetKey.from_user_string(dep))
    return list(dict.fromkeys(keys))


def _create_empty(con: duckdb.DuckDBPyConnection, declaration: MartDeclaration) -> None:
    """A mart that cannot be measured: its declared columns, no rows (never zeros)."""
    body = ", ".join(f"{identifier(c.name)} {c.type}" for c in declaration.columns)
    con.execute(f"CREATE OR REPLACE TABLE marts.{identifier(declaration.name)} ({body})")


def _build(
    con: duckdb.DuckDBPyConnection,
    declaration: MartDeclaration,
    verdict: Assessment,
    contracts: Sequence[Contract],
    on: dt.date,
) -> str | None:
    """Run the mart's SQL (over the warehouse, the macros, reference tables and role views),
    drop what excluded sources gave, withhold rates whose link coverage is below the declared
    minimum; return the period it runs through."""
    name = f"marts.{identifier(declaration.name)}"
    prepare(con, declaration.cohorts, on)
    build_role_views(con, contracts, declaration.read_roles)
    con.execute(declaration.sql_path.read_text())
    built = [
        n
        for (n,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
            [declaration.name],
        ).fetchall()
    ]
    declared = [c.name for c in declaration.columns]
    if built != declared:
        raise dg.Failure(
            f"marts.{declaration.name} has columns {built} but "
            f"{declaration.sql_path.with_suffix('.yaml')} declares {declared}"
        )
    if verdict.excluded and declaration.source_column:
        con.execute(
            f"DELETE FROM {name} WHERE {identifier(declaration.source_column)} "
            "IN (SELECT unnest(?::VARCHAR[]))",
            [verdict.excluded],
        )
    if verdict.nulled:
        sets = ", ".join(f"{identifier(c)} = NULL" for c in verdict.nulled)
        con.execute(f"UPDATE {name} SET {sets}")
    withhold_below_coverage(con, declaration)
    if declaration.period is None:
        return None
    latest = con.execute(f"SELECT max({identifier(declaration.period)}) FROM {name}").fetchone()[0]
    return None if latest is None else str(latest)


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
        freshness_policy=freshness_of(sources_used(declaration, contracts) or contracts),
        pool=warehouse_pool(declaration.name),
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        on = run_date(context.run.tags.get(SCHEDULED_TIME_TAG))
        findings = evaluate_agreements(declaration, contracts, on)
        # One transaction: the mart is replaced whole or not at all, and on DuckLake its two
        # dozen statements are one catalog round trip and one commit instead of one each.
        with warehouse.get_connection() as con, transaction(con):
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            verdict = assess(declaration, findings, extract_statuses(con))
            data_through = None
            if verdict.status == FRESH:
                data_through = _build(con, declaration, verdict, contracts, on)
            elif verdict.status == NOT_MEASURABLE:
                _create_empty(con, declaration)
            elif verdict.status == BLOCKED:
                con.execute(f"DROP TABLE IF EXISTS marts.{identifier(declaration.name)}")
            metadata = (
                table_metadata(con, ("marts", declaration.name))
                if table_exists(con, ("marts", declaration.name))
                else {"dagster/row_count": 0}
            )
        if verdict.status != FRESH:
            context.log.warning(f"marts.{declaration.name} {verdict.status}: {verdict.reason}")
        if lineage:
            metadata[LINEAGE_KEY] = lineage
        yield dg.MaterializeResult(
            metadata={
                **metadata,
                "status": verdict.status,
                "reason": verdict.reason or "",
                "data_through": data_through or "",
                "sources_left_out": ", ".join(verdict.excluded) or "none",
            }
        )
        yield agreement_check_result(key, findings, on, verdict.excluded)

    return _mart
