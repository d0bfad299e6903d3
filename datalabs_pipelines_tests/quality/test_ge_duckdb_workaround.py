"""The Great Expectations workaround still matches upstream: delete it when these fail."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from datalabs_pipelines.quality.ge_duckdb_workaround import PINNED_VERSION

# GE on DuckDB without the workaround, in a fresh process (the workaround is process-wide).
PLAIN_GE = """
import sys, warnings, duckdb, logging
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import great_expectations as gx
path = sys.argv[1]
with duckdb.connect(path) as con:
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
context = gx.get_context(mode="ephemeral")
context.variables.progress_bars = {"globally": False, "metric_calculations": False}
source = context.data_sources.add_sql(name="w", connection_string=f"duckdb:///{path}")
batch = source.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table(
    "whole"
).get_batch()
result = batch.validate(gx.expectations.ExpectTableRowCountToBeBetween(min_value=10))
print("works" if result.success else "fails")
"""


def test_the_pinned_version_is_installed():
    assert version("great-expectations") == PINNED_VERSION


def test_plain_great_expectations_still_fails_on_duckdb(tmp_path):
    """If this fails, GE reads DuckDB results on its own: delete ``ge_duckdb_workaround``."""
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_GE, str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.stdout.strip().splitlines()[-1] == "fails", out.stderr[-2000:]


def test_with_the_workaround_the_same_check_passes_and_frees_the_file(tmp_path):
    import duckdb

    from datalabs_pipelines.contracts.model import Contract
    from datalabs_pipelines.quality.expectations import evaluate

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE TABLE staging.t AS SELECT 'r' || range AS record_id FROM range(10)")
    contract = Contract.model_validate(
        {
            "name": "t",
            "agency": "a",
            "domain": "safety_net",
            "description": "d",
            "owners": ["team:t"],
            "file_pattern": "*",
            "cadence": "monthly",
            "grain": "g",
            "format": {"kind": "delimited"},
            "columns": [{"source": "R", "name": "record", "description": "r"}],
            "primary_key": ["record"],
            "expectations": [{"type": "row_count", "min": 10, "max": 10}],
            "agreement": {"name": "a", "permitted_purposes": ["x"], "expires": "2030-01-01"},
        }
    )
    [outcome] = evaluate(path, "staging.t", contract)
    assert outcome.passed and outcome.error is None
    with duckdb.connect(str(path), config={"threads": 1}) as con:  # another config: no clash
        assert con.execute("SELECT count(*) FROM staging.t").fetchone()[0] == 10
