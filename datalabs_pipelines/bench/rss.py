"""Peak resident memory of a whole process tree, sampled from /proc by a background thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def read_processes(proc: Path = Path("/proc")) -> dict[int, tuple[int, int]]:
    """pid → (parent pid, resident bytes) for every process readable now."""
    table: dict[int, tuple[int, int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            resident = int((entry / "statm").read_text().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        # The command name (field 2) may hold spaces; parent pid follows its closing paren.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        table[int(entry.name)] = (ppid, resident)
    return table


def tree_rss(table: Mapping[int, tuple[int, int]], root: int) -> int:
    """Resident bytes of ``root`` and all its descendants in a ``read_processes`` table."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


class PeakTreeRss:
    """Samples the tree under ``root`` every ``interval`` seconds until stopped; keeps the peak."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-rss", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, tree_rss(read_processes(), self.root))
        self.samples += 1

    def __enter__(self) -> PeakTreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
