"""Independent physical facts about a delivery file: size, checksum, line count."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 8 << 20


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size_bytes: int
    physical_lines: int


def file_facts(path: Path) -> FileFacts:
    """Checksum and line count (LF, CRLF and lone CR all end a line) in one streaming pass."""
    digest = hashlib.sha256()
    size = lines = 0
    previous_cr = False
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lf, cr, crlf = chunk.count(b"\n"), chunk.count(b"\r"), chunk.count(b"\r\n")
            if previous_cr and chunk.startswith(b"\n"):
                crlf += 1  # a CRLF split across chunks
            lines += lf + cr - crlf
            previous_cr = chunk.endswith(b"\r")
            last = chunk[-1:]
    if size and last not in (b"\n", b"\r"):
        lines += 1
    return FileFacts(digest.hexdigest(), size, lines)
