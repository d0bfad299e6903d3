"""Headless Chromium for tests: the DOM after scripts ran, console messages, screenshots.

Uses Debian's `chromium` (`.ci/run` installs it); nothing is downloaded. Screenshots go to
`test-artifacts/` (git-ignored) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?(?::\d+)?\]\s*(.*)")


def find_chromium() -> str | None:
    explicit = os.environ.get("DATALABS_CHROMIUM")
    if explicit and Path(explicit).exists():
        return explicit
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return next((found for c in CANDIDATES if (found := shutil.which(c))), None)


def require_chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip(
            "Chromium not found (/usr/bin/chromium or chromium on PATH); `.ci/run` installs "
            "Debian's package with `apt-get install -y chromium`"
        )
    return found


@dataclass(frozen=True)
class BrowserRun:
    output: str  # the DOM with --dump-dom, else empty
    console: list[str]  # messages the page logged (errors and uncaught exceptions included)


def run_chromium(
    url: str,
    *,
    dump_dom: bool = False,
    screenshot: Path | None = None,
    window: tuple[int, int] = (1280, 2000),
    wait_ms: int = 3000,
    timeout: float = 120,
) -> BrowserRun:
    """Load ``url`` once in a fresh profile; dump the DOM, take a screenshot, or both."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        args = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            f"--virtual-time-budget={wait_ms}",
        ]
        if dump_dom:
            args.append("--dump-dom")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            args.append(f"--screenshot={screenshot}")
        done = subprocess.run(
            [*args, url], capture_output=True, text=True, timeout=timeout, check=False
        )
    console = [m.group(1) for line in done.stderr.splitlines() if (m := CONSOLE.search(line))]
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return BrowserRun(done.stdout if dump_dom else "", console)
