"""Reusing the last publish's audit answers (``known``): only for a system that is the same,
digest for digest; a changed mart is audited again and its attack still caught; the published
tables equal those of a publish from scratch."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.governance.disclosure_audit import audit_snapshot
from datalabs_pipelines.governance.disclosure_releases import Releases
from datalabs_pipelines.publishing.audit_memory import memory_path, read_known, write_memory
from datalabs_pipelines.publishing.snapshot import SnapshotResult, publish_snapshot
from datalabs_pipelines_tests.governance.test_disclosure_audit import T, count, declaration, dim

# Two states, each a total row over three counties: each state's hidden counties are one
# system of the audit, independent of the other state's.
STATES = declaration("c", dim("state", additive=False), dim("county", total="ALL"), count("people"))
HEADER = "state VARCHAR, county VARCHAR, people BIGINT"
SAFE_S1 = [("s1", "ALL", 40), ("s1", "A", 3), ("s1", "B", 17), ("s1", "C", 20)]
# A hidden as small, B with it: A + B = 20, each anywhere in 0..20
LEAKY_S1 = [("s1", "ALL", 40), ("s1", "A", 3), ("s1", "B", 4), ("s1", "C", 33)]
# A and B hidden: A + B = 7, each in 0..7, narrower than 10: C must go too
S2 = [("s2", "ALL", 50), ("s2", "A", 4), ("s2", "B", 12), ("s2", "C", 34)]


def load(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(f"CREATE OR REPLACE TABLE marts.c ({HEADER})")
    con.executemany("INSERT INTO marts.c VALUES (?, ?, ?)", rows)


def publish(con, target: Path, known=None) -> SnapshotResult:
    return publish_snapshot(con, target, {"c": STATES}, T, known=known)


def published(target: Path) -> list[tuple]:
    with duckdb.connect(str(target), read_only=True) as snapshot:
        return snapshot.execute("SELECT * FROM c ORDER BY ALL").fetchall()


def hidden(target: Path, state: str, county: str) -> bool:
    with duckdb.connect(str(target), read_only=True) as snapshot:
        query = "SELECT people_suppressed FROM c WHERE state = ? AND county = ?"
        return snapshot.execute(query, [state, county]).fetchone()[0]


def test_an_unchanged_mart_takes_every_answer_from_the_last_publish(con, tmp_path):
    load(con, SAFE_S1 + S2)
    first = publish(con, tmp_path / "first.duckdb")
    assert first.audit.programs > 0 and first.audit.reused == 0
    again = publish(con, tmp_path / "again.duckdb", known=first.audit.solved)
    assert again.audit.programs == 0  # no linear program: each system's answer was known
    assert again.audit.reused == len(first.audit.solved) == 2  # one system per state
    assert published(tmp_path / "again.duckdb") == published(tmp_path / "first.duckdb")


def test_a_changed_mart_is_audited_again_and_its_attack_still_caught(con, tmp_path):
    load(con, SAFE_S1 + S2)
    last_night = publish(con, tmp_path / "last_night.duckdb")
    assert not hidden(tmp_path / "last_night.duckdb", "s1", "C")
    load(con, LEAKY_S1 + S2)  # tonight s1 changed; s2 did not
    tonight = publish(con, tmp_path / "tonight.duckdb", known=last_night.audit.solved)
    scratch = publish(con, tmp_path / "scratch.duckdb")
    assert hidden(tmp_path / "tonight.duckdb", "s1", "C")  # A + B + C = 40: wide again
    assert tonight.audit.rounds == scratch.audit.rounds
    assert tonight.audit.programs > 0  # s1's systems were solved again
    assert tonight.audit.reused >= 1  # s2's system, the same as last night
    assert tonight.audit.findings == scratch.audit.findings == []
    assert published(tmp_path / "tonight.duckdb") == published(tmp_path / "scratch.duckdb")


def test_a_remembered_narrow_range_is_still_a_finding(con):
    load(con, SAFE_S1)
    con.execute("CREATE SCHEMA pub")
    con.execute(  # primary suppression only: A = 40 - 17 - 20 = 3
        "CREATE TABLE pub.c AS SELECT state, county, CASE WHEN people >= 10 THEN people END "
        "people, people < 10 people_suppressed FROM marts.c"
    )
    first = audit_snapshot(con, {"c": STATES}, T, published="pub")
    again = audit_snapshot(con, {"c": STATES}, T, published="pub", known=first.solved)
    assert again.reused == 1 and again.programs == 0
    assert [m.recoverable for m in again.marts] == [m.recoverable for m in first.marts] == [1]
    assert again.findings == first.findings and again.hide == first.hide
    # digests are keyed: another key finds none of them (the file alone cannot be matched
    # against guessed hidden counts), the same key finds them all
    keyed = audit_snapshot(con, {"c": STATES}, T, published="pub", digest_key=b"k" * 32)
    assert not set(keyed.solved) & set(first.solved)
    other = audit_snapshot(
        con, {"c": STATES}, T, published="pub", known=keyed.solved, digest_key=b"j" * 32
    )
    assert other.reused == 0 and other.programs == first.programs
    same = audit_snapshot(
        con, {"c": STATES}, T, published="pub", known=keyed.solved, digest_key=b"k" * 32
    )
    assert same.reused == 1 and same.programs == 0


def test_the_memory_file_round_trips_privately_and_forgets_another_version(tmp_path):
    path = memory_path(tmp_path / "warehouse.duckdb")
    assert path.name == "warehouse.duckdb.disclosure-audit.json"
    assert read_known(path) == {}  # no file: every system is solved
    answers = {"a" * 64: [], "b" * 64: [(2, 0.0, 7.0)]}
    write_memory(path, answers, Releases())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_known(path) == answers
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "version": "another audit"}))
    assert read_known(path) == {}
    path.write_text("not json")
    assert read_known(path) == {}


@pytest.mark.parametrize("answer", [[["x", 0, 1]], [[1, 0]], [[1, 0, float("inf")]], 3])
def test_a_malformed_answer_is_solved_again(tmp_path, answer):
    path = tmp_path / "memory.json"
    write_memory(path, {"a" * 64: [(0, 1.0, 2.0)]}, Releases())
    stored = json.loads(path.read_text())
    stored["systems"]["b" * 64] = answer
    path.write_text(json.dumps(stored))
    assert read_known(path) == {"a" * 64: [(0, 1.0, 2.0)]}
