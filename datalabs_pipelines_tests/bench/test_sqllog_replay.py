"""The SQL recorder (inert when off) and the bare replay of what it recorded."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb
import pandas as pd
import pytest

from datalabs_pipelines.bench import sqllog
from datalabs_pipelines.bench.replay import Statement, read_log, replay, rewrite
from datalabs_pipelines.linkage.components import connected_components
from datalabs_pipelines.privacy_tokens import hmac_hex, hmac_pads, install_hmac_macro


@pytest.mark.parametrize(
    "value",
    [
        None,
        [1, "a", 2.5, True],
        {"d": dt.date(2024, 1, 2), "t": dt.datetime(2024, 1, 2, 3, 4, 5)},
        [decimal.Decimal("1.50"), b"\x00\xff"],
    ],
)
def test_parameters_survive_json(value):
    import json

    assert sqllog.decode(json.loads(json.dumps(sqllog.encode(value)))) == value


def test_recording_is_inert_when_off(monkeypatch):
    monkeypatch.delenv(sqllog.ENV, raising=False)
    with duckdb.connect() as con:
        assert sqllog.recording(con) is con


def test_recording_logs_statements_and_frames(tmp_path, monkeypatch):
    log = tmp_path / "sql.jsonl"
    monkeypatch.setenv(sqllog.ENV, str(log))
    with duckdb.connect() as raw:
        con = sqllog.recording(raw)
        con.execute("CREATE TABLE t (x INTEGER, d DATE)")
        con.execute("INSERT INTO t VALUES ($x, $d)", {"x": 1, "d": dt.date(2024, 5, 6)})
        con.executemany("INSERT INTO t VALUES (?, ?)", [[2, None], [3, None]])
        con.register("_frame", pd.DataFrame({"x": [4, 5]}))
        con.execute("INSERT INTO t SELECT x, NULL FROM _frame")
        con.unregister("_frame")
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 5
    statements = read_log(log)
    assert [s.op for s in statements] == [
        "execute",
        "execute",
        "executemany",
        "register",
        "execute",
        "unregister",
        "execute",
    ]
    assert statements[1].params == {"x": 1, "d": dt.date(2024, 5, 6)}
    assert all(s.seconds >= 0 for s in statements)
    assert len({s.session for s in statements}) == 1

    result = replay(statements, tmp_path / "replay.duckdb")
    assert (result.statements, result.failed) == (7, 0)
    with duckdb.connect(str(tmp_path / "replay.duckdb")) as con:
        # a registered frame's columns are kept for the replay, never its rows
        assert con.execute("SELECT sum(x) FROM t").fetchone()[0] == 6


def test_registered_frames_and_the_hmac_key_stay_out_of_the_log_folder(tmp_path, monkeypatch):
    key = bytes(range(100, 132))
    folder = tmp_path / "log"
    folder.mkdir()
    monkeypatch.setenv(sqllog.ENV, str(folder / "sql.jsonl"))
    with duckdb.connect() as raw:
        con = sqllog.recording(raw)
        con.register("_people", pd.DataFrame({"ssn": ["CANARY-SSN-778"], "n": [1]}))
        install_hmac_macro(con, key)
        token = con.execute("SELECT dl_hmac(ssn) FROM _people").fetchone()[0]
    assert token == hmac_hex(key, "CANARY-SSN-778")
    inner, outer = hmac_pads(key)
    written = b"".join(p.read_bytes() for p in folder.iterdir())
    for secret in (
        b"CANARY-SSN-778",
        key.hex().encode(),
        inner.hex().encode(),
        outer.hex().encode(),
    ):
        assert secret not in written
    for secret in (key, inner, outer):
        assert secret not in written
    statements = read_log(folder / "sql.jsonl")
    assert replay(statements, tmp_path / "r.duckdb").failed == 0  # under a key of its own


def test_a_replay_tokenizes_every_session_under_one_key(tmp_path, monkeypatch):
    """Two staging connections tokenize the same SSN; linkage relies on the tokens agreeing,
    so the replay must agree too (its key is its own, but one for the whole replay)."""
    log = tmp_path / "sql.jsonl"
    monkeypatch.setenv(sqllog.ENV, str(log))
    with duckdb.connect(str(tmp_path / "run.duckdb")) as raw:
        for extract in ("wages", "snap"):
            con = sqllog.recording(raw.cursor())
            install_hmac_macro(con, bytes(range(32)))
            con.execute(f"CREATE TABLE {extract} AS SELECT dl_hmac('123456789') AS ssn_token")
    replay(read_log(log), tmp_path / "r.duckdb")
    with duckdb.connect(str(tmp_path / "r.duckdb")) as con:
        tokens = con.execute("SELECT * FROM wages UNION ALL SELECT * FROM snap").fetchall()
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    assert tokens[0][0] != hmac_hex(bytes(range(32)), "123456789")  # not the run's key


def test_connected_components_replay_as_they_ran(tmp_path, monkeypatch):
    """The replay computes their labels again (the log keeps no frame's rows): replayed
    empty, every node would stay its own component and the replay would link other pairs."""
    log = tmp_path / "sql.jsonl"
    monkeypatch.setenv(sqllog.ENV, str(log))
    with duckdb.connect(str(tmp_path / "run.duckdb")) as raw:
        con = sqllog.recording(raw)
        con.execute("CREATE TABLE nodes AS SELECT unnest(['a', 'b', 'c', 'd']) AS node")
        con.execute("CREATE TABLE edges AS SELECT 'a' AS node_l, 'b' AS node_r")
        connected_components(con, "nodes", "edges", "labels")
        con.execute("CREATE TABLE kept AS SELECT * FROM labels")
        ran = con.execute("SELECT * FROM kept ORDER BY node").fetchall()
    assert ran == [("a", "a"), ("b", "a"), ("c", "c"), ("d", "d")]
    assert replay(read_log(log), tmp_path / "r.duckdb").failed == 0
    with duckdb.connect(str(tmp_path / "r.duckdb")) as con:
        assert con.execute("SELECT * FROM kept ORDER BY node").fetchall() == ran


def test_each_session_gets_its_own_temporary_tables(tmp_path):
    statements = [
        Statement("a", "execute", "CREATE TEMP TABLE _x AS SELECT 1 AS v"),
        Statement("a", "execute", "CREATE TABLE kept AS SELECT v FROM _x"),
        Statement("b", "execute", "CREATE TEMP TABLE _x AS SELECT 2 AS v"),  # a's _x is gone
        Statement("b", "execute", "SELECT * FROM missing_table"),
    ]
    result = replay(statements, tmp_path / "r.duckdb")
    assert result.failed == 1 and "missing_table" in result.failures[0]


def test_rewrite_maps_paths_in_nested_values():
    mapped = rewrite({"p": ["/a/published/x.tmp", 3]}, {"/a/published": "/b/replay"})
    assert mapped == {"p": ["/b/replay/x.tmp", 3]}


def test_an_in_memory_session_has_its_own_database_and_does_not_end_another(tmp_path):
    statements = [
        Statement("d1", "execute", "CREATE TEMP TABLE _x AS SELECT 1 AS v"),
        Statement("m2", "execute", "CREATE TABLE scratch AS SELECT 2 AS v"),
        Statement("d1", "execute", "CREATE TABLE kept AS SELECT v FROM _x"),
        Statement("m2", "execute", "SELECT v FROM scratch"),
    ]
    result = replay(statements, tmp_path / "r.duckdb")
    assert (result.statements, result.failed) == (4, 0)
    with duckdb.connect(str(tmp_path / "r.duckdb")) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"kept"}


def test_splink_statements_are_recorded_and_replay_cleanly(tmp_path, monkeypatch):
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    log = tmp_path / "sql.jsonl"
    monkeypatch.setenv(sqllog.ENV, str(log))
    records = pa.table({"unique_id": [1, 2, 3], "name": ["ann", "ann", "bob"]})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.ExactMatch("name")],
        blocking_rules_to_generate_predictions=[block_on("name")],
    )
    with duckdb.connect() as private:
        api = sqllog.splink_api(private)
        linker = Linker(api.register(records), settings)
        pairs = linker.inference.predict(warning_mode="never").as_pandas_dataframe()
    assert len(pairs) == 1  # ann and ann

    statements = read_log(log)
    assert {s.session[0] for s in statements} == {"m"}  # a private in-memory session
    assert any(s.op == "register" for s in statements)
    assert any("__splink__df_predict" in s.sql for s in statements)
    result = replay(statements, tmp_path / "r.duckdb")
    assert (result.statements, result.failed) == (len(statements), 0)
