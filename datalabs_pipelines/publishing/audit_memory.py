"""The last publish's disclosure-audit answers, kept for the next publish.

The file maps each system's digest (``disclosure_audit.system_digest``) to its answer: the
positions of its objectives found narrow and their ranges (empty for the usual, wide system).
Digests and ranges are worked out from unsuppressed counts, so the file lives beside the
warehouse (which holds those counts), never beside the published snapshot, with mode 0600, and
the digests are keyed with the linkage key: the file alone cannot be matched against guesses. A
missing, unreadable or outdated file only means that every system is solved again.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from datalabs_pipelines.governance.disclosure_audit import VERSION, Narrow

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


def write_known(path: Path, solved: Mapping[str, Sequence[Narrow]]) -> None:
    """Replace ``path`` atomically with ``solved`` (this publish's systems only: the file
    never grows beyond one publish)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"version": VERSION, "systems": {d: list(a) for d, a in solved.items()}}, handle)
    os.replace(temporary, path)
