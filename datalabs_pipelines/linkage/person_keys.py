"""The one definition of ``integrated.person_keys``: record → person, nothing else.

Written by the person-linkage asset (or created empty by its stand-in), read by every
integrated fact and by ``linkage_quality``; both sides and the tests take its key, table and
columns from here.
"""

import dagster as dg
import duckdb

from datalabs_pipelines.linkage.keys import CROSSWALK, CROSSWALK_COLUMNS
from datalabs_pipelines.warehouse import ensure_table, qualified, table_columns, transaction

PERSON_KEYS_KEY = dg.AssetKey(["integrated", "linkage", "person_keys"])
PERSON_KEYS = ("integrated", "person_keys")
PERSON_KEYS_COLUMNS = {
    n: CROSSWALK_COLUMNS[n] for n in ("source_extract", "record_id", "person_key", "carries_ssn")
}


def ensure_person_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``integrated.person_keys`` empty when missing (a stand-in, or a test's cohort)."""
    ensure_table(con, PERSON_KEYS, {n: t for n, (t, _) in PERSON_KEYS_COLUMNS.items()})


def write_person_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Bring ``integrated.person_keys`` to the crosswalk's records, keys and flags: only the
    rows that differ are deleted and inserted (a night changes a few hundred thousand of
    millions, and comparing is cheaper than writing them all), or the table is written whole
    when it does not exist with these columns."""
    table, crosswalk = qualified(PERSON_KEYS), qualified(CROSSWALK)
    columns = ", ".join(PERSON_KEYS_COLUMNS)
    values = [c for c in PERSON_KEYS_COLUMNS if c not in ("source_extract", "record_id")]
    differs = " OR ".join(f"k.{c} IS DISTINCT FROM c.{c}" for c in values)
    if table_columns(con, PERSON_KEYS) != set(PERSON_KEYS_COLUMNS):
        con.execute("CREATE SCHEMA IF NOT EXISTS integrated")
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {columns} FROM {crosswalk}")
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lk_person_keys_differ AS
        SELECT source_extract, record_id, {", ".join(f"c.{c}" for c in values)},
               c.record_id IS NOT NULL AS kept
        FROM (SELECT {columns} FROM {crosswalk}) c
        FULL JOIN {table} k USING (source_extract, record_id)
        WHERE {differs}
        """
    )
    with transaction(con):
        con.execute(
            f"DELETE FROM {table} k WHERE EXISTS (SELECT 1 FROM lk_person_keys_differ d "
            "WHERE d.source_extract = k.source_extract AND d.record_id = k.record_id)"
        )
        con.execute(f"INSERT INTO {table} SELECT {columns} FROM lk_person_keys_differ WHERE kept")
    con.execute("DROP TABLE lk_person_keys_differ")
