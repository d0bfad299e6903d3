"""What a mart's SQL may use besides the warehouse: shared macros, cohorts, reference tables.

``prepare`` runs the shared ``sql_macros.sql`` (``most_frequent``) and ``macros.sql`` (the
Wilson interval, the half-up median of cents), the
``cohorts/<name>.sql`` files the mart declares (table macros that define a cohort once for
every mart and grain that counts it: benefit spells, program exits and their outcomes,
graduates and theirs) and loads every ``reference/*.csv`` as a temporary table ``ref_<stem>``
on the connection, so each mart states a formula or a cohort once and joins names to codes
without a download at run time. A cohort file binds its tables when it runs, so only marts
that read those tables declare it, in the order its macros use one another. The date the run
is judged on is the variable ``run_date`` (``getvariable('run_date')``): a mart that needs
"today" (an age) reads it, never the clock, so a run scheduled for one day gives that day's
answer whenever it runs.
"""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from datalabs_pipelines.run_context import run_date
from datalabs_pipelines.sql_macros import create_sql_macros
from datalabs_pipelines.warehouse import identifier

MARTS_DIR = Path(__file__).parent
MACROS = MARTS_DIR / "macros.sql"
REFERENCE_DIR = MARTS_DIR / "reference"
COHORTS_DIR = MARTS_DIR / "cohorts"


def reference_files() -> list[Path]:
    return sorted(REFERENCE_DIR.glob("*.csv"))


def cohort_file(name: str) -> Path:
    return COHORTS_DIR / f"{name}.sql"


def prepare(
    con: duckdb.DuckDBPyConnection, cohorts: Sequence[str] = (), on: dt.date | None = None
) -> None:
    """Create the macros, the ``cohorts``' table macros and the ``ref_*`` tables on ``con``
    (temporary: this session only), and set ``run_date`` to ``on`` (default: today in the
    state's time zone)."""
    con.execute("SET VARIABLE run_date = ?::DATE", [on or run_date()])
    create_sql_macros(con)
    con.execute(MACROS.read_text())
    for name in cohorts:
        con.execute(cohort_file(name).read_text())
    for path in reference_files():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {identifier('ref_' + path.stem)} AS "
            "SELECT * FROM read_csv($path, header = true, all_varchar = true)",
            {"path": str(path)},
        )
