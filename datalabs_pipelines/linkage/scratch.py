"""A private in-memory catalog for Splink's work tables.

Splink creates its tables in the connection's current catalog. Switching to an attached
in-memory catalog keeps them (and the identities they hold) out of the warehouse file, and
detaching it on the way out removes them all, whatever happened in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

SCRATCH = "lk_scratch"


@contextmanager
def scratch_catalog(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """Make ``lk_scratch`` the current catalog for the block; TEMP tables stay visible."""
    home = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    con.execute(f"USE {SCRATCH}")
    try:
        yield SCRATCH
    finally:
        con.execute(f'USE "{home.replace(chr(34), chr(34) * 2)}"')
        con.execute(f"DETACH {SCRATCH}")
