"""Mirror a run's captured stdout and stderr to the terminal from a thread, not from `tail`.

While a run executes in-process, Dagster's local compute-log manager points the process's
stdout and stderr at files (what `make ui` shows as the run's logs) and mirrors each file back
to the terminal. For the mirroring it starts a ``tail -F`` and a Python watchdog per stream,
four processes per run, and stops and waits for them at the end of the run: 0.6 s over the 14
runs of a `make run`, plus their start-up on the core DuckDB is using. ``mirror_in_thread``
makes the calling process copy each file to the original stream from a thread instead. The
captured files are unchanged; only this process is affected, never the webserver or daemon.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import dagster._core.execution.compute_logs as compute_logs

POLL_SECONDS = 0.1
CHUNK = 1 << 16


def mirror_in_thread() -> None:
    """Replace Dagster's tail processes with ``_thread_tail`` in this process (idempotent)."""
    compute_logs.execute_posix_tail = _thread_tail


@contextmanager
def _thread_tail(path: str, stream: IO) -> Iterator[tuple[None, None]]:
    """Copy what is appended to ``path`` to where ``stream`` pointed on entry, until exit.

    Dagster enters this before it redirects ``stream`` into ``path`` and leaves it after it
    restores ``stream``, so on exit the file is complete and the copy is drained to its end.
    """
    fd = compute_logs._fileno(stream)
    if fd is None:
        yield (None, None)
        return
    target = os.dup(fd)  # the terminal (or log file), before the redirection
    done = threading.Event()
    pump = threading.Thread(
        target=_copy_until_done, args=(path, target, done), name="datalabs-log-mirror"
    )
    pump.start()
    try:
        yield (None, None)
    finally:
        done.set()
        pump.join()
        os.close(target)


def _copy_until_done(path: str, target: int, done: threading.Event) -> None:
    """Copy until ``done`` and the file is drained; a closed terminal (`| head`) ends it."""
    with open(path, "rb") as source:
        while True:
            chunk = source.read(CHUNK)
            if chunk:
                try:
                    while chunk:
                        chunk = chunk[os.write(target, chunk) :]
                except OSError:  # the reader went away; the captured file stays complete
                    return
            elif done.is_set():
                return
            else:
                done.wait(POLL_SECONDS)
