"""The real Dagster webserver and daemon on this workspace, on loopback, for UI tests.

Each process runs in its own process group and is ended by its id when the test is done.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from datalabs_pipelines.bench.daemon import stop_schedules

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
LOCATION = "datalabs_pipelines"
REPOSITORY = "__repository__"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterServer:
    port: int
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def graphql(
        self, query: str, variables: dict | None = None, timeout: float = 60, attempts: int = 1
    ) -> dict:
        """The query's data; an HTTP 500 is tried again up to ``attempts`` times, a second
        apart (a write that met the daemon's on the SQLite storage)."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        for attempt in range(1, attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    payload = json.loads(response.read())
                break
            except urllib.error.HTTPError as error:
                if error.code != 500 or attempt == attempts:
                    raise
                time.sleep(1)
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def start(self, *args: str, name: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes.append(
            subprocess.Popen(
                [str(BIN / args[0]), *args[1:]],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def log_tail(self, chars: int = 4000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-chars:]}" for p in sorted(self.logs.glob("*.log"))
        )


def wait_for(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.25):
    """Poll ``predicate`` until it returns something truthy; bounded in time. Each poll is one
    cheap query: a long interval only adds to the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            value = None
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _stop(process: subprocess.Popen) -> None:
    """End ``process`` and its process group (its code servers) at once: the tests are done
    and its instance is thrown away, so a graceful shutdown (up to tens of seconds for the
    daemon's threads) buys nothing."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def dagster_server(
    env: dict[str, str], logs: Path, stopped: Sequence[str] = ()
) -> Iterator[DagsterServer]:
    """The webserver on a free loopback port and the daemon, started together; the schedules
    named in ``stopped`` are stopped before the daemon starts (stopped once it runs, its
    first tick could still record one as running)."""
    logs.mkdir(parents=True, exist_ok=True)
    _create_storage(Path(env["DAGSTER_HOME"]))
    stop_schedules(env, stopped)
    server = DagsterServer(free_port(), env, logs, [])
    try:
        server.start("dagster-daemon", "run", "-w", "workspace.yaml", name="daemon")
        server.start(
            "dagster-webserver",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            name="webserver",
        )
        wait_for(lambda: _location_loaded(server), 180, "the code location to load")
        yield server
    finally:
        for process in reversed(server.processes):
            _stop(process)


def _create_storage(home: Path) -> None:
    """Create the instance's SQLite storage once, so the two processes do not race to."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.upgrade()


def _location_loaded(server: DagsterServer) -> bool:
    data = server.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
        "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    )
    entries = data["workspaceOrError"]["locationEntries"]
    for entry in entries:
        error = entry["locationOrLoadError"]
        if error and error["__typename"] == "PythonError":
            raise AssertionError(f"code location failed to load: {error['message']}")
    return any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries)
