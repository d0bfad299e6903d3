"""The opt-in SQL recorder: every statement the pipeline runs, with parameters and duration.

When ``DATALABS_SQL_LOG`` names a file, ``recording`` wraps each warehouse connection and
``install_sqlalchemy_hooks`` listens to SQLAlchemy (Great Expectations' queries), and each
executed statement is appended to that file as one JSON line. Unset, nothing is wrapped and
nothing is imported: the hook costs one environment lookup per connection.

A line: ``{"session": "d3", "op": "execute", "sql": ..., "params": ..., "seconds": 0.01}``.
``op`` is ``execute``, ``executemany``, ``register`` (a data frame made visible to SQL; its
columns, never its rows, are saved beside the log as Parquet so a replay can bind to it: the
frames registered are delivered rows and linkage inputs, which hold identifiers that must not
leave the ``pii`` schema) or ``unregister``. The HMAC key never reaches this log: see
``privacy_tokens.install_hmac_macro``. Sessions are ``d<n>``
(a warehouse connection), ``s<n>`` (Great Expectations') and ``m<n>`` (a private in-memory
database, such as the one vendor matching gives Splink). Splink's own statements are logged
through ``splink_api``, under the session of the connection it was given.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import itertools
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ENV = "DATALABS_SQL_LOG"

_sessions = itertools.count(1)
_lock = threading.Lock()
_hooks_installed = False


def log_path() -> Path | None:
    """The log file named by ``DATALABS_SQL_LOG``, or None when recording is off."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def encode(value: Any) -> Any:
    """A JSON-safe form of a bound parameter (tagged where JSON has no such type)."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$t": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$t": "date", "v": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$t": "decimal", "v": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$t": "bytes", "v": bytes(value).hex()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def decode(value: Any) -> Any:
    """The inverse of ``encode``."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        tag = value.get("$t")
        if tag == "datetime":
            return dt.datetime.fromisoformat(value["v"])
        if tag == "date":
            return dt.date.fromisoformat(value["v"])
        if tag == "decimal":
            return decimal.Decimal(value["v"])
        if tag == "bytes":
            return bytes.fromhex(value["v"])
        return {k: decode(v) for k, v in value.items()}
    return value


def append(path: Path, entry: dict[str, Any]) -> None:
    """Append one entry as a JSON line (thread-safe; the file is opened per line).

    ``ended`` is the wall clock when the statement finished, comparable with the timestamps
    of Dagster's events, so that SQL time can be attributed to the step that ran it.
    """
    line = json.dumps({**entry, "ended": round(time.time(), 6)}, default=str) + "\n"
    with _lock, path.open("a", encoding="utf-8") as handle:
        handle.write(line)


class RecordingConnection:
    """A DuckDB connection that logs what it executes; everything else is passed through."""

    def __init__(self, con: Any, path: Path, kind: str = "d") -> None:
        self._con = con
        self._path = path
        self._session = f"{kind}{next(_sessions)}"

    def _log(self, op: str, sql: str, params: Any, seconds: float, **extra: Any) -> None:
        entry = {"session": self._session, "op": op, "sql": sql, "params": encode(params)}
        append(self._path, {**entry, "seconds": round(seconds, 6), **extra})

    def execute(self, query: str, parameters: Any = None) -> Any:
        started = time.perf_counter()
        if parameters is None:
            result = self._con.execute(query)
        else:
            result = self._con.execute(query, parameters)
        self._log("execute", query, parameters, time.perf_counter() - started)
        return result

    def sql(self, query: str, params: Any = None) -> Any:
        """A relation; it runs when read, so the time logged is only that of binding it."""
        started = time.perf_counter()
        relation = self._con.sql(query, params=params)
        self._log("execute", query, params, time.perf_counter() - started)
        return relation

    def executemany(self, query: str, parameters: Any = None) -> Any:
        started = time.perf_counter()
        result = self._con.executemany(query, parameters or [])
        self._log("executemany", query, list(parameters or []), time.perf_counter() - started)
        return result

    def register(self, name: str, frame: Any) -> Any:
        started = time.perf_counter()
        result = self._con.register(name, frame)
        self.log_registered(name, time.perf_counter() - started)
        return result

    def log_registered(self, name: str, seconds: float) -> None:
        """Log that ``name`` was registered, saving its columns (no rows) for the replay."""
        parquet = self._path.with_name(f"{self._path.stem}.{uuid.uuid4().hex[:12]}.parquet")
        self._con.execute(f"COPY (SELECT * FROM {name} LIMIT 0) TO '{parquet}' (FORMAT parquet)")
        rows = self._con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        self._log("register", name, None, seconds, parquet=str(parquet), rows=rows)

    def unregister(self, name: str) -> Any:
        self._log("unregister", name, None, 0.0)
        return self._con.unregister(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> RecordingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()


def recording(con: Any) -> Any:
    """``con`` itself when recording is off; otherwise a recording proxy around it."""
    path = log_path()
    if path is None:
        return con
    install_sqlalchemy_hooks()
    return RecordingConnection(con, path)


def install_sqlalchemy_hooks() -> None:
    """Log every statement SQLAlchemy runs on DuckDB, in any engine (once per process)."""
    global _hooks_installed
    with _lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("datalabs_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany) -> None:
        seconds = time.perf_counter() - conn.info["datalabs_started"].pop()
        path = log_path()
        if path is None or conn.dialect.name != "duckdb":  # not Dagster's own SQLite storage
            return
        info = conn.connection.info
        session = info.setdefault("datalabs_session", f"s{next(_sessions)}")
        params = list(parameters) if isinstance(parameters, tuple) else parameters
        append(
            path,
            {
                "session": session,
                "op": "executemany" if executemany else "execute",
                "sql": statement,
                "params": encode(params if params not in ((), [], {}) else None),
                "seconds": round(seconds, 6),
            },
        )


def splink_api(con: Any) -> Any:
    """Splink's ``DuckDBAPI`` on ``con``: a warehouse connection, or a private in-memory one.

    Splink checks the connection's type, so it gets the DuckDB connection itself; while
    recording, what Splink runs is logged under ``con``'s session (a private connection gets an
    in-memory session of its own), so that the bare replay runs Splink's SQL too.
    """
    from splink import DuckDBAPI

    path = log_path()
    if path is None:
        return DuckDBAPI(connection=con)
    if not isinstance(con, RecordingConnection):
        con = RecordingConnection(con, path, kind="m")
    return _recording_splink_api()(con)


@functools.cache
def _recording_splink_api() -> type:
    from splink import DuckDBAPI

    class RecordingDuckDBAPI(DuckDBAPI):
        """Splink's DuckDB API, logging each statement and registered table it runs."""

        def __init__(self, recorder: RecordingConnection) -> None:
            super().__init__(connection=recorder._con)
            self._recorder = recorder

        def _execute_sql_against_backend(self, final_sql: str) -> Any:
            started = time.perf_counter()
            relation = super()._execute_sql_against_backend(final_sql)
            self._recorder._log("execute", final_sql, None, time.perf_counter() - started)
            return relation

        def _table_registration(self, input: Any, table_name: str) -> None:
            started = time.perf_counter()
            super()._table_registration(input, table_name)
            self._recorder.log_registered(table_name, time.perf_counter() - started)

    return RecordingDuckDBAPI


class Recorder:
    """The warehouse's connection hook that records SQL (``warehouse.connection_hook``)."""

    def connection(self, con: Any) -> Any:
        return recording(con)

    def splink_api(self, con: Any) -> Any:
        return splink_api(con)


RECORDER = Recorder()
HOOK = f"{__name__}:RECORDER"  # the value of ``DATALABS_CONNECTION_HOOK`` that attaches it
