"""What every asset built from a contract shares: owners, tags, kinds, schemas, column
lineage, previews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import dagster as dg
import duckdb

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.warehouse import qualified

CADENCE_WINDOWS = {
    "daily": dt.timedelta(days=2),
    "weekly": dt.timedelta(days=9),
    "monthly": dt.timedelta(days=35),
    "quarterly": dt.timedelta(days=100),
    "annual": dt.timedelta(days=380),
}
PREVIEW_ROWS = 5
LINEAGE_KEY = "dagster/column_lineage"


def asset_key(layer: str, contract: Contract, table: str | None = None) -> dg.AssetKey:
    return dg.AssetKey([layer, contract.agency, table or contract.name])


def tags(contract: Contract, classification: str) -> dict[str, str]:
    return {"domain": contract.domain, "classification": classification, "agency": contract.agency}


def freshness(contract: Contract) -> dg.FreshnessPolicy:
    """A delivery is overdue when its cadence window (plus grace) passes without one."""
    return freshness_of([contract])


def freshness_of(contracts: Iterable[Contract]) -> dg.FreshnessPolicy:
    """The policy of an asset built from ``contracts``: the window of the most frequent one
    (an asset is stale once its fastest source has a delivery it has not absorbed)."""
    windows = [CADENCE_WINDOWS[c.cadence] for c in contracts]
    window = min(windows, default=CADENCE_WINDOWS["annual"])
    return dg.FreshnessPolicy.time_window(fail_window=window, warn_window=window * 0.8)


def column_schema(columns: Mapping[str, tuple[str, str]]) -> dg.TableSchema:
    """``columns``: name → (SQL type, description)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=sql_type, description=description)
            for name, (sql_type, description) in columns.items()
        ]
    )


def parse_ref(ref: str) -> dg.TableColumnDep:
    """``'staging/agency/table:column'`` → a column dependency."""
    key, _, column = ref.rpartition(":")
    if not key or not column:
        raise ValueError(f"{ref!r} is not 'layer/agency/table:column'")
    return dg.TableColumnDep(asset_key=dg.AssetKey.from_user_string(key), column_name=column)


def column_lineage(mapping: Mapping[str, Iterable[str]]) -> dg.TableColumnLineage:
    """Column → references (``layer/agency/table:column``) it derives from, the value of
    ``LINEAGE_KEY``; columns with no references are left out."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [parse_ref(r) for r in refs] for column, refs in mapping.items() if refs
        }
    )


def table_metadata(
    con: duckdb.DuckDBPyConnection, table: tuple[str, str], preview: bool = True
) -> dict[str, object]:
    """Row count and, for tables that hold no direct identifiers, a small preview."""
    name = qualified(table)
    metadata: dict[str, object] = {
        "dagster/row_count": con.execute(f"SELECT count(*) FROM {name}").fetchone()[0],
        "dagster/table_name": name,
    }
    if preview:
        cursor = con.execute(f"SELECT * FROM {name} LIMIT {PREVIEW_ROWS}")
        header = [d[0] for d in cursor.description]
        metadata["preview"] = dg.MetadataValue.md(markdown_table(header, cursor.fetchall()))
    return metadata


def markdown_table(header: list[str], rows: list[tuple]) -> str:
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")[:40]

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def latest_report(
    instance: dg.DagsterInstance, key: dg.AssetKey
) -> tuple[dict[str, object], dt.datetime] | None:
    """The metadata values of ``key``'s latest materialization and when it happened (local
    time, as DuckDB's ``now()::TIMESTAMP``); None if it never materialized. The assets that
    write a table about other assets (staging reports, mart status) read their reports here."""
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    return metadata, dt.datetime.fromtimestamp(event.timestamp)
