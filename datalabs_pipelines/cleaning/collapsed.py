"""``staging.collapsed_lines``: per delivery, the identical lines the live staging table collapsed.

Each staging asset reports its counts in its materialization's metadata when it promotes its
candidate (the counts belong to the live table); the ``staging_reports`` asset writes them here.
Read by the ``extract_quality`` mart and the run summary.
"""

from collections.abc import Iterable, Mapping, Sequence

import dagster as dg
import duckdb

from datalabs_pipelines.cleaning.staging import Collapsed
from datalabs_pipelines.warehouse import ensure_table, qualified

COLLAPSED = ("staging", "collapsed_lines")
COLLAPSED_KEY = dg.AssetKey(["staging", "platform", "collapsed_lines"])
COLLAPSED_SCHEMA = {
    "extract": ("VARCHAR", "extract (contract) name"),
    "delivery": ("VARCHAR", "delivery file"),
    "lines_collapsed": ("BIGINT", "lines collapsed into an identical earlier line"),
    "amount_collapsed": ("DECIMAL(18, 2)", "the contract's amount over the collapsed lines"),
}
COLLAPSED_COLUMNS = {name: sql_type for name, (sql_type, _) in COLLAPSED_SCHEMA.items()}


def collapsed_metadata(collapsed: Iterable[Collapsed]) -> dg.MetadataValue:
    """The ``collapsed`` metadata entry of a staging materialization that promoted."""
    return dg.MetadataValue.json(
        [
            {
                "delivery": c.delivery,
                "lines": c.lines,
                "amount": None if c.amount is None else str(c.amount),
            }
            for c in collapsed
        ]
    )


def write_collapsed(
    con: duckdb.DuckDBPyConnection, reported: Mapping[str, Sequence[Mapping]]
) -> None:
    """Replace the rows of each extract in ``reported`` (extract → its ``collapsed`` entries);
    other extracts (held back: their live table did not change) keep theirs."""
    ensure_table(con, COLLAPSED, COLLAPSED_COLUMNS)
    for extract, entries in reported.items():
        con.execute(f"DELETE FROM {qualified(COLLAPSED)} WHERE extract = ?", [extract])
        rows = [(extract, e["delivery"], e["lines"], e["amount"]) for e in entries]
        if rows:
            con.executemany(f"INSERT INTO {qualified(COLLAPSED)} VALUES (?, ?, ?, ?)", rows)
