"""CPU (user + system) of a process tree over time, by process role, sampled from /proc.

Wall time on a shared machine says more about the other tenants than about the run; CPU does
not. A background thread reads the tree under a root every ``interval`` seconds and keeps, for
each process, its CPU when first seen and when last seen, so that the CPU any span of the
recording used can be read afterwards (``used_between``), split by what each process is
(``dagster_role``: the run worker, the code server, the daemon). A process alive when sampling
starts counts from then; one born later counts whole. What a process spends after its last
sample (under ``interval`` before it ends) is missed.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Series = list[tuple[float, dict[str, float]]]  # (time, role → CPU seconds since the start)


def read_cpu(proc: Path = Path("/proc")) -> dict[int, tuple[int, float, int]]:
    """pid → (parent pid, own user + system CPU seconds, start time in ticks since boot) for
    every process readable now (the start time tells a reused pid from its first owner)."""
    return {
        pid: (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[19]))
        for pid, fields in proc_stats(proc)
    }


def proc_stats(proc: Path = Path("/proc")) -> list[tuple[int, list[str]]]:
    """(pid, the fields of its ``stat`` after the command name) of every process readable now;
    field 1 is the parent pid, 11 to 14 utime, stime, cutime and cstime in ticks."""
    stats = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # The command name may hold spaces; the fields after its closing paren are fixed.
        stats.append((int(entry.name), stat[stat.rindex(")") + 2 :].split()))
    return stats


def descendants(table: Mapping[int, tuple], root: int) -> set[int]:
    """``root`` and every process below it in a ``read_cpu`` table."""
    children: dict[int, list[int]] = {}
    for pid, row in table.items():
        children.setdefault(row[0], []).append(pid)
    found, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid in found or pid not in table:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def command_line(pid: int, proc: Path = Path("/proc")) -> list[str]:
    try:
        return (proc / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def dagster_role(argv: list[str]) -> str:
    """What a process of a Dagster deployment is, from the words before its options."""
    words = {Path(word).name for word in argv[:5] if not word.startswith("-")}
    # The default run launcher has the code server start each run with multiprocessing's
    # spawn (`python -c "from multiprocessing.spawn ..." --multiprocessing-fork`); other
    # launchers run `dagster api execute_run`.
    if "execute_run" in words or "--multiprocessing-fork" in argv:
        return "run worker"
    if "grpc" in words or "code-server" in words:
        return "code server"
    if words & {"dagster-daemon", "dagster._daemon"}:
        return "daemon"
    if words & {"dagster-webserver", "dagster_webserver"}:
        return "webserver"
    return "other"  # `dagster dev` itself, `tail` copying captured logs


def used_at(series: Series, moment: float) -> dict[str, float]:
    """CPU by role from the start of ``series`` to its last sample at or before ``moment``."""
    index = bisect.bisect_right([t for t, _ in series], moment) - 1
    return dict(series[index][1]) if index >= 0 else {}


def used_between(series: Series, start: float, end: float) -> dict[str, float]:
    """CPU by role used from ``start`` to ``end`` (epoch seconds), to within a sample."""
    before, after = used_at(series, start), used_at(series, end)
    return {role: after[role] - before.get(role, 0.0) for role in after}


def step_cpu(series: Series, spans: list[tuple[str, float, float]], role: str) -> dict[str, float]:
    """Step key → CPU of ``role`` during its spans (step key, started, ended)."""
    used: dict[str, float] = {}
    for step, started, ended in spans:
        used[step] = used.get(step, 0.0) + used_between(series, started, ended).get(role, 0.0)
    return used


@dataclass
class TreeCpu:
    """Samples the CPU of the tree under ``root`` until stopped (a context manager)."""

    root: int
    interval: float = 0.2
    role: Callable[[list[str]], str] = lambda argv: "all"
    series: Series = field(default_factory=list)
    # per process (pid, start time): role, CPU when first seen (0 if born later), last seen
    _seen: dict[tuple[int, int], tuple[str, float, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        now, table = time.time(), read_cpu()
        first = not self.series
        for pid in descendants(table, self.root):
            _, cpu, born = table[pid]
            key = (pid, born)
            if key in self._seen:
                role, base, _ = self._seen[key]
            else:
                role, base = self.role(command_line(pid)), cpu if first else 0.0
            self._seen[key] = (role, base, cpu)
        used: dict[str, float] = {}
        for role, base, last in self._seen.values():
            used[role] = used.get(role, 0.0) + last - base
        self.series.append((now, used))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeCpu:
        self._thread = threading.Thread(target=self._loop, name="tree-cpu", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
