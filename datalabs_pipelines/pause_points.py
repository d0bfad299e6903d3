"""Named points where a test can hold a run, to kill it (or let it go on) at a known moment.

Inert unless the environment variable ``DATALABS_PAUSE_AT`` names the point (``point`` or
``point:detail``). Then the process writes ``<DATALABS_PAUSE_DIR>/<point>.reached`` and waits
until ``<point>.resume`` appears there (or ``MAX_WAIT_SECONDS`` pass), so a test can send
SIGKILL in the middle of a step, or watch what readers see, deterministically.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

PAUSE_AT = "DATALABS_PAUSE_AT"
PAUSE_DIR = "DATALABS_PAUSE_DIR"
MAX_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.05


def pause_point(point: str, detail: str = "") -> None:
    """Block here if ``DATALABS_PAUSE_AT`` asks for this point; otherwise return at once."""
    wanted = os.environ.get(PAUSE_AT)
    if not wanted or wanted not in (point, f"{point}:{detail}"):
        return
    folder = Path(os.environ.get(PAUSE_DIR) or tempfile.gettempdir())
    (folder / f"{point}.reached").write_text(f"{os.getpid()}\n")
    resume = folder / f"{point}.resume"
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while not resume.exists() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
