"""The one definition of ``integrated.person_keys``: record → person, nothing else.

Written by the person-linkage asset (or created empty by its stand-in), read by every
integrated fact and by ``linkage_quality``; both sides and the tests take its key, table and
columns from here.
"""

import dagster as dg
import duckdb

from datalabs_pipelines.linkage.keys import CROSSWALK_COLUMNS
from datalabs_pipelines.warehouse import ensure_table

PERSON_KEYS_KEY = dg.AssetKey(["integrated", "linkage", "person_keys"])
PERSON_KEYS = ("integrated", "person_keys")
PERSON_KEYS_COLUMNS = {
    n: CROSSWALK_COLUMNS[n] for n in ("source_extract", "record_id", "person_key", "carries_ssn")
}


def ensure_person_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``integrated.person_keys`` empty when missing (a stand-in, or a test's cohort)."""
    ensure_table(con, PERSON_KEYS, {n: t for n, (t, _) in PERSON_KEYS_COLUMNS.items()})
