"""What a mart's SQL may use besides the warehouse: shared macros and reference tables.

``prepare`` runs ``macros.sql`` (the Wilson interval, the half-up median of cents) and loads
every ``reference/*.csv`` as a temporary table ``ref_<stem>`` on the connection, so each mart
states a formula once and joins names to codes without a download at run time.
"""

from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import identifier

MARTS_DIR = Path(__file__).parent
MACROS = MARTS_DIR / "macros.sql"
REFERENCE_DIR = MARTS_DIR / "reference"


def reference_files() -> list[Path]:
    return sorted(REFERENCE_DIR.glob("*.csv"))


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros and the ``ref_*`` tables on ``con`` (temporary: this session only)."""
    con.execute(MACROS.read_text())
    for path in reference_files():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {identifier('ref_' + path.stem)} AS "
            "SELECT * FROM read_csv($path, header = true, all_varchar = true)",
            {"path": str(path)},
        )
