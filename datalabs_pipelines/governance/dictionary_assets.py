"""Dictionary assets: ``marts.data_dictionary`` (published with the marts) and its HTML page."""

from collections.abc import Sequence
from dataclasses import replace

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from datalabs_pipelines.assets_common import column_schema, table_metadata
from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.snapshot import as_of, open_snapshot, table_names
from datalabs_pipelines.dictionary_links import PAGE_NAME, dictionary_link
from datalabs_pipelines.governance.dictionary import (
    ENTRY_COLUMNS,
    Entry,
    as_rows,
    build_entries,
    may_show_examples,
)
from datalabs_pipelines.governance.dictionary_page import render_dictionary
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.marts.status import mart_statuses
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.warehouse import (
    identifier,
    qualified,
    table_exists,
    transaction,
    warehouse_pool,
)

DICTIONARY_TABLE = ("marts", "data_dictionary")
DICTIONARY_KEY = dg.AssetKey(["marts", "platform", "data_dictionary"])
DICTIONARY_PAGE_KEY = dg.AssetKey(["published", "platform", "dictionary"])
OWNERS = ["team:data_platform"]
EXAMPLES = 3


def dictionary_spec(deps: Sequence[dg.AssetKey]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=DICTIONARY_KEY,
        deps=list(deps),
        description=(
            "The data dictionary: every table and column of the raw, staging, pii, integrated "
            "and marts layers with description, type, classification, source and owner, and "
            "every metric's definition. Source: the contracts, the mart declarations and the "
            "asset definitions; example values from public mart dimensions. Grain: one row per "
            "table column. Target: `marts.data_dictionary` (published)."
        ),
        group_name="marts",
        kinds={"duckdb", "python"},
        owners=OWNERS,
        tags={"domain": "platform", "classification": "public"},
        metadata={"dagster/column_schema": column_schema(ENTRY_COLUMNS)},
    )


def _with_examples(con: duckdb.DuckDBPyConnection, entry: Entry) -> Entry:
    schema, table = entry.table_name.split(".")
    if entry.layer != "marts" or not may_show_examples(entry):
        return entry
    if (schema, table) == DICTIONARY_TABLE or not table_exists(con, (schema, table)):
        return entry
    column = identifier(entry.column_name)
    values = con.execute(
        f"SELECT DISTINCT {column}::VARCHAR FROM {qualified((schema, table))} "
        f"WHERE {column} IS NOT NULL ORDER BY 1 LIMIT {EXAMPLES}"
    ).fetchall()
    examples = ", ".join(v for (v,) in values)
    return replace(entry, examples=examples or None)


def write_dictionary(con: duckdb.DuckDBPyConnection, entries: list[Entry]) -> int:
    """Replace ``marts.data_dictionary`` with ``entries``; return its row count."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    body = ", ".join(f"{name} {sql_type}" for name, (sql_type, _) in ENTRY_COLUMNS.items())
    # one statement over one list per column (row by row, executemany took seconds)
    columns = list(zip(*as_rows(entries), strict=True)) or [() for _ in ENTRY_COLUMNS]
    lists = ", ".join(f"unnest($c{i}::{t}[])" for i, (t, _) in enumerate(ENTRY_COLUMNS.values()))
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TABLE {qualified(DICTIONARY_TABLE)} ({body})")
        con.execute(
            f"INSERT INTO {qualified(DICTIONARY_TABLE)} SELECT {lists}",
            {f"c{i}": list(values) for i, values in enumerate(columns)},
        )
    return len(entries)


def build_dictionary_asset(
    specs: Sequence[dg.AssetSpec],
    contracts: Sequence[Contract],
    declarations: Sequence[MartDeclaration],
    deps: Sequence[dg.AssetKey],
) -> dg.AssetsDefinition:
    """``specs``: every other asset; the dictionary describes itself too."""
    own = dictionary_spec(deps)

    @dg.multi_asset(name="data_dictionary", specs=[own], pool=warehouse_pool(DICTIONARY_TABLE[1]))
    def data_dictionary(warehouse: DuckDBResource) -> dg.MaterializeResult:
        entries = build_entries([*specs, own], contracts, declarations)
        with warehouse.get_connection() as con:
            with transaction(con):  # reads only: on DuckLake one catalog round trip, not dozens
                notes = {
                    f"marts.{mart}": f" This run: {status}: {reason}."
                    for mart, _, status, reason, *_ in mart_statuses(con)
                    if reason
                }
                entries = [
                    replace(e, table_description=e.table_description + notes[e.table_name])
                    if e.table_name in notes
                    else e
                    for e in entries
                ]
                entries = [_with_examples(con, e) for e in entries]
            write_dictionary(con, entries)
            metadata = table_metadata(con, DICTIONARY_TABLE, preview=False)
        tables = sorted({e.table_name for e in entries})
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "tables": len(tables),
                "page": dictionary_link(),
            }
        )

    return data_dictionary


def read_entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    if "data_dictionary" not in table_names(con):
        return []
    cursor = con.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM main.data_dictionary")
    return [Entry(*row) for row in cursor.fetchall()]


def build_dictionary_page_asset(snapshot: dg.AssetKey) -> dg.AssetsDefinition:
    @dg.asset(
        key=DICTIONARY_PAGE_KEY,
        deps=[snapshot],
        group_name="published",
        kinds={"html"},
        owners=OWNERS,
        tags={"domain": "platform", "classification": "public"},
    )
    def dictionary_page(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        """The data dictionary as a self-contained HTML page. Source: `data_dictionary` in
        the published snapshot (read-only). Grain: one section per table, one row per column.
        Target: `data/published/dictionary.html`, replaced atomically."""
        settings = get_settings()
        with open_snapshot(settings.published_path) as con:
            entries = read_entries(con)
            moment = as_of(con, settings.published_path)
        target = write_atomic(
            settings.published_dir / PAGE_NAME, render_dictionary(entries, moment)
        )
        context.log.info(f"wrote {target} ({len(entries)} columns)")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(target)),
                "url": dg.MetadataValue.url(target.as_uri()),
                "columns_described": len(entries),
                "data_as_of": moment.isoformat(),
            }
        )

    return dictionary_page
