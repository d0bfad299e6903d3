"""Payment facts rebuilt only for the payment lines that changed.

A payments night brings one quarter's lines, while ``integrated.procurement_payments`` holds
every line ever paid (3.1 million at scale 100): rewriting all of them cost more than the rest
of the night's procurement work. ``integrated.procurement_payment_lines`` keeps, per line the
table was built from, its payment id, the payment it voids and a hash of its role-view row.
When nothing but the payment lines changed since the last build (vendor keys, certifications,
value maps, parameters and the SQL as they were), the lines that differ from that ledger (new,
gone or corrected) are the ones to rebuild, with every void of a payment id they carry: a void
counts on the date of the payment it reverses, the earliest line of that id in its extract.
They are computed by the table's own SQL over the role view narrowed to them and the lines of
the payments they void, and replace their rows, the ledger's with them, in one transaction. So
a night and a full build run the same SQL and leave the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from datalabs_pipelines.candidates import candidate, promote_slices, uncompressed
from datalabs_pipelines.warehouse import qualified

PAYMENTS = ("integrated", "procurement_payments")
LINES = ("integrated", "procurement_payment_lines")
KEY = ("source_extract", "record_id")
LINE = ", ".join(KEY)
# the ledger's rows for the role view's lines as they are now
LINES_NOW = f"SELECT {LINE}, payment_id, voids_payment_id, hash(r) AS row_hash FROM role_payments r"
CHANGED = "procurement_lines_changed"  # TEMP: ledger rows new (arrived) or gone (not arrived)
REBUILT = "procurement_lines_rebuilt"  # TEMP (source_extract, record_id): lines recomputed
REPLACED = "procurement_lines_replaced"  # TEMP: the lines whose fact rows leave (gone or rebuilt)
GONE = "procurement_lines_gone"  # TEMP: the lines whose ledger rows leave


def write_lines(con: duckdb.DuckDBPyConnection) -> None:
    """The ledger of a whole build: every line of ``role_payments``."""
    con.execute(f"CREATE OR REPLACE TABLE {qualified(LINES)} AS {LINES_NOW}")


def rebuild_changed(
    con: duckdb.DuckDBPyConnection, query: str, parameters: Mapping[str, Any] | None
) -> None:
    """Replace the rows of the lines that changed since the ledger (``query``: the table's
    SQL over ``role_payments``). The view ``role_payments`` is narrowed to read them and left
    so: the caller builds it again."""
    # one outer join of tonight's lines with the ledger on the line (two EXCEPTs took twice as
    # long on 3.1 million lines)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CHANGED} AS
        WITH lines_now AS ({LINES_NOW}),
        differing AS (
            SELECT n, o FROM lines_now n FULL JOIN {qualified(LINES)} o
              ON o.source_extract = n.source_extract AND o.record_id = n.record_id
            WHERE n.row_hash IS DISTINCT FROM o.row_hash
        )
        SELECT unnest(n), true AS arrived FROM differing WHERE n.record_id IS NOT NULL
        UNION ALL SELECT unnest(o), false AS arrived FROM differing WHERE o.record_id IS NOT NULL
        """
    )
    # the changed lines as they are now, and every void of a payment id a changed line carries
    # (before or after: its earliest date may have moved)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {REBUILT} AS
        SELECT {LINE} FROM {CHANGED} WHERE arrived
        UNION
        SELECT r.source_extract, r.record_id FROM role_payments r
        SEMI JOIN {CHANGED} c
          ON c.source_extract = r.source_extract AND c.payment_id = r.voids_payment_id
        """
    )
    # the SQL reads those lines and every line of the payments they void (their dates)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE procurement_lines_read AS
        WITH rebuilt AS (SELECT r.* FROM role_payments r SEMI JOIN {REBUILT} USING ({LINE}))
        FROM rebuilt
        UNION
        SELECT r.* FROM role_payments r
        SEMI JOIN rebuilt v
          ON v.source_extract = r.source_extract AND v.voids_payment_id = r.payment_id
        """
    )
    con.execute("CREATE OR REPLACE TEMP VIEW role_payments AS FROM procurement_lines_read")
    # the deltas, promoted as a fact's changed slices are (``candidates.promote_slices``)
    with uncompressed(con):
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(candidate(PAYMENTS))} AS SELECT * FROM (\n"
            f"{query}\n) SEMI JOIN {REBUILT} USING ({LINE})",
            parameters,
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(candidate(LINES))} AS "
            f"SELECT * EXCLUDE (arrived) FROM {CHANGED} WHERE arrived"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {GONE} AS SELECT {LINE} FROM {CHANGED} WHERE NOT arrived"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {REPLACED} AS FROM {GONE} UNION FROM {REBUILT}")
    promote_slices(con, [(PAYMENTS, KEY, REPLACED), (LINES, KEY, GONE)])
    for table in (CHANGED, REBUILT, GONE, REPLACED, "procurement_lines_read"):
        con.execute(f"DROP TABLE temp.main.{table}")
