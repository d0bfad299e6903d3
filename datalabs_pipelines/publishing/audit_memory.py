"""The disclosure audit's memory, kept from one publish for the next.

``systems`` maps each system's digest (``disclosure_audit.system_digest``) to the last audit's
answer: the positions of its objectives found narrow and their ranges (empty for the usual,
wide system); a missing or outdated answer only means that the system is solved again.
``releases`` is what the snapshots published so far told a reader (``disclosure_releases``),
which the next audit combines with its own snapshot; it outlives a new version of the audit.
Digests and ranges are worked out from unsuppressed counts, so the file lives beside the
warehouse (which holds those counts), never beside the published snapshot, with mode 0600, and
the digests are keyed with the linkage key: the file alone cannot be matched against guesses.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from datalabs_pipelines.governance.disclosure_audit import VERSION, Narrow
from datalabs_pipelines.governance.disclosure_releases import Releases, Remembered, key_check

SUFFIX = ".disclosure-audit.json"


def memory_path(warehouse: Path) -> Path:
    """``<warehouse>.disclosure-audit.json`` (removed with the warehouse by ``make clean``)."""
    return warehouse.with_name(warehouse.name + SUFFIX)


def read_known(path: Path) -> dict[str, list[Narrow]]:
    """The answers in ``path`` when this version of the audit wrote it, else none."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("version") != VERSION:
        return {}
    systems = stored.get("systems")
    if not isinstance(systems, dict):
        return {}
    known: dict[str, list[Narrow]] = {}
    for digest, answer in systems.items():
        try:
            narrow = [(int(j), float(lo), float(hi)) for j, lo, hi in answer]
        except (TypeError, ValueError):
            continue  # not an answer this module wrote: that system is solved again
        if all(j >= 0 and math.isfinite(lo) and math.isfinite(hi) for j, lo, hi in narrow):
            known[digest] = narrow
    return known


def read_releases(path: Path, key: bytes = b"") -> Releases | None:
    """What the snapshots published so far told a reader, their counts named under ``key``,
    or None when ``path`` holds none (no publish yet, a memory lost, or one written under
    another key: earlier snapshots are then not taken into account)."""
    try:
        stored = json.loads(path.read_text())["releases"]
        if stored["key"] != key_check(key):
            return None
        return Releases(
            int(stored["publishes"]),
            {str(name): float(value) for name, value in stored["shown"].items()},
            [
                Remembered(
                    tuple((str(n), float(a)) for n, a in terms), float(lo), float(hi), int(last)
                )
                for terms, lo, hi, last in stored["relations"]
            ],
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_memory(
    path: Path, solved: Mapping[str, Sequence[Narrow]], releases: Releases, key: bytes = b""
) -> None:
    """Replace ``path`` atomically with ``solved`` (this publish's systems only: they never
    grow beyond one publish) and ``releases``, their counts named under ``key``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stored = {
        "version": VERSION,
        "systems": {d: list(a) for d, a in solved.items()},
        "releases": {
            "key": key_check(key),
            "publishes": releases.publishes,
            "shown": releases.shown,
            "relations": [[r.terms, r.lo, r.hi, r.last] for r in releases.relations],
        },
    }
    with os.fdopen(descriptor, "w") as handle:
        json.dump(stored, handle)
    os.replace(temporary, path)
