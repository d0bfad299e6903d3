"""SIGKILL in the middle of ingesting and of publishing; dashboards reading during a run.

The run is `datalabs run` (what `make run` does) in a subprocess, held at a named pause point
(``DATALABS_PAUSE_AT``) so that "the middle" is deterministic. After the kill the warehouse
holds every delivery entirely or not at all, the published snapshot is the previous complete
one, and the next run reaches exactly what one uninterrupted run reaches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.bench.checksums import table_checksums
from datalabs_pipelines.publishing.snapshot import temporary_files
from datalabs_pipelines_tests.conftest import FixtureGraph
from datalabs_pipelines_tests.reliability.conftest import Baseline
from datalabs_pipelines_tests.reliability.pipeline_process import (
    GUARD_SECONDS,
    copy_outputs,
    deliver_new_file,
    finish,
    inconsistencies,
    kill,
    new_site,
    start_run,
    wait_until_paused,
)

pytestmark = pytest.mark.slow


def snapshot_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM extract_quality").fetchone()[0]


class Dashboard:
    """A separate process holding the published snapshot open read-only, as a dashboard does."""

    SCRIPT = (
        "import sys, duckdb\n"
        "path = sys.argv[1]\n"
        "con = duckdb.connect(path, read_only=True)\n"
        "for command in sys.stdin:\n"
        "    if command.strip() == 'reopen':\n"
        "        con.close()\n"
        "        con = duckdb.connect(path, read_only=True)\n"
        "    print(con.execute('SELECT count(*) FROM extract_quality').fetchone()[0], flush=True)\n"
    )

    def __init__(self, snapshot: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(snapshot)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def rows(self, reopen: bool = False) -> int:
        self.process.stdin.write("reopen\n" if reopen else "count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=GUARD_SECONDS)


def test_killed_runs_lose_nothing_and_readers_never_block(
    tmp_path, uninterrupted: Baseline, fixture_graph: FixtureGraph
):
    site = new_site(tmp_path)
    copy_outputs(fixture_graph.site, site.root)  # the previous complete snapshot: 3 deliveries
    previous = site.published.read_bytes()
    with duckdb.connect(str(site.warehouse), read_only=True) as con:
        loaded_before = con.execute("SELECT * EXCLUDE (_loaded_at) FROM raw.people ORDER BY ALL")
        loaded_before = loaded_before.fetchall()
    deliver_new_file(site)
    dashboard = Dashboard(site.published)
    try:
        assert dashboard.rows() == 3

        # 1. Killed while loading the new people_2026.txt (the only file `make run` loads
        # again: the ledger holds the others): its insert is not committed.
        run = start_run(site, pause_at="ingest.before_commit:people_2026.txt")
        wait_until_paused(site, run, "ingest.before_commit")
        kill(run)
        assert inconsistencies(site.warehouse) == []
        with duckdb.connect(str(site.warehouse), read_only=True) as con:
            after = con.execute("SELECT * EXCLUDE (_loaded_at) FROM raw.people ORDER BY ALL")
            assert after.fetchall() == loaded_before  # neither lost nor doubled
        assert site.published.read_bytes() == previous

        # 2. Killed after writing the new snapshot, just before moving it into place.
        run = start_run(site, pause_at="publish.before_replace")
        wait_until_paused(site, run, "publish.before_replace")
        assert temporary_files(site.published)
        assert dashboard.rows() == 3 and dashboard.rows(reopen=True) == 3  # not swapped yet
        kill(run)
        assert site.published.read_bytes() == previous
        assert snapshot_rows(site.published) == 3  # the previous snapshot opens read-only
        assert inconsistencies(site.warehouse) == []

        # 3. The next run, while the dashboard keeps the old snapshot open, completes.
        out = finish(start_run(site))
        # The run killed while publishing held the duckdb pool slot; it is freed, not waited
        # for (the run killed while ingesting was released by the run after it).
        assert out.count("released run") == 1
        assert temporary_files(site.published) == []  # the leftover was cleaned up
        assert dashboard.rows() == 3  # the open handle still reads the old snapshot
        assert dashboard.rows(reopen=True) == 4  # reopening shows the new one
    finally:
        dashboard.close()
    assert snapshot_rows(site.published) == 4
    assert inconsistencies(site.warehouse) == []
    assert table_checksums(site.warehouse) == uninterrupted.checksums
