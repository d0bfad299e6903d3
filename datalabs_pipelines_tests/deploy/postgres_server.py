"""A throwaway PostgreSQL server (Debian's binaries) on a free local port in a temporary folder."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "datalabs"
# A throwaway server never outlives the machine's uptime: waiting for each commit to reach the
# disk (fsync) protects only against the machine itself crashing. The tests kill the runs'
# processes, never the server, so what they check is the same without it.
NO_FLUSH = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))  # Debian's layout
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    bin: Path
    port: int
    folder: Path

    def dsn(self, database: str) -> str:
        return f"dbname={database} host=127.0.0.1 port={self.port} user={USER}"

    def create_database(self, name: str) -> None:
        subprocess.run(
            [self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name],
            check=True,
            capture_output=True,
        )

    def dagster_env(self, database: str) -> dict[str, str]:
        """The variables dagster-production.yaml reads (trust authentication: any password)."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": USER,
            "DAGSTER_PG_PASSWORD": "unused",
        }


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as ``nobody``."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *command]
    return command


@contextmanager
def postgres_server(bin_folder: Path) -> Iterator[Server]:
    """initdb, start on a free port, yield; stop and delete everything on the way out."""
    folder = Path(tempfile.mkdtemp(prefix="datalabs-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="nobody")
    data = folder / "data"
    port = free_port()
    subprocess.run(
        _as_server_user(
            [str(bin_folder / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200 {NO_FLUSH}"
    )
    pg_ctl = str(bin_folder / "pg_ctl")
    subprocess.run(
        _as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"])
        + ["start"],
        check=True,
        capture_output=True,
    )
    try:
        yield Server(bin=bin_folder, port=port, folder=folder)
    finally:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
