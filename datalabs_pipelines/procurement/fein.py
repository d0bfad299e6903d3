"""The FEIN pass: records that carry the same FEIN are the same business, with certainty.

Where both records of a pair carry a FEIN, the FEIN decides alone: equal links them, different
keeps them apart, whatever their names say (see ``clustering``).
"""

from __future__ import annotations

import duckdb


def fein_pairs(con: duckdb.DuckDBPyConnection, records: str) -> list[tuple[str, str]]:
    """One pair per record with a FEIN shared by a record of lower uid: (anchor, record).

    ``records`` is a validated, qualified table name with ``uid`` and ``fein`` columns.
    Linking each record to its FEIN group's first record is enough for connected components.
    """
    return con.execute(
        f"""
        WITH groups AS (
            SELECT uid, min(uid) OVER (PARTITION BY fein) AS anchor
            FROM {records} WHERE fein IS NOT NULL
        )
        SELECT anchor, uid FROM groups WHERE uid <> anchor ORDER BY anchor, uid
        """
    ).fetchall()
