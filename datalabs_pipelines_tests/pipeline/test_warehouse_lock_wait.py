"""A step's connection waits for a short reader in another process instead of failing."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from datalabs_pipelines.warehouse import WarehouseResource, connect_waiting

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _reader(database, seconds: float) -> subprocess.Popen:
    """Another process holding ``database`` read-only for ``seconds``, as a sensor tick does."""
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "held"
    return reader


def test_a_connection_waits_for_a_reader_to_let_go(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    reader = _reader(database, 1.0)
    try:
        with WarehouseResource(database=str(database)).get_connection() as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")  # opened for writing all the same
    finally:
        assert reader.wait(timeout=60) == 0


def test_a_connection_gives_up_after_the_wait(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    reader = _reader(database, 30.0)
    try:
        with pytest.raises(duckdb.IOException):
            connect_waiting(str(database), {}, wait=0.5)
    finally:
        reader.kill()
        reader.wait(timeout=60)
