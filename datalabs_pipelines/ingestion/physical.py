"""Independent physical facts about a delivery file: size, checksum, line count, line endings."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHUNK = 8 << 20
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size_bytes: int
    physical_lines: int
    line_ending_styles: int = 1  # how many of LF, CRLF and lone CR end lines in the file
    head: bytes = b""  # the first bytes, for byte-order marks

    @property
    def mixed_line_endings(self) -> bool:
        return self.line_ending_styles > 1


def file_sha256(path: Path) -> str:
    """The file's SHA-256, streamed, so a large delivery never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_facts(path: Path) -> FileFacts:
    """Checksum and line count (LF, CRLF and lone CR all end a line) in one streaming pass."""
    digest = hashlib.sha256()
    size = lines = lf_total = cr_total = crlf_total = 0
    previous_cr = False
    last = head = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            head = head or chunk[:4]
            digest.update(chunk)
            size += len(chunk)
            lf, cr, crlf = chunk.count(b"\n"), chunk.count(b"\r"), chunk.count(b"\r\n")
            if previous_cr and chunk.startswith(b"\n"):
                crlf += 1  # a CRLF split across chunks
            lines += lf + cr - crlf
            lf_total, cr_total, crlf_total = lf_total + lf, cr_total + cr, crlf_total + crlf
            previous_cr = chunk.endswith(b"\r")
            last = chunk[-1:]
    if size and last not in (b"\n", b"\r"):
        lines += 1
    styles = sum(n > 0 for n in (crlf_total, lf_total - crlf_total, cr_total - crlf_total))
    return FileFacts(digest.hexdigest(), size, lines, max(styles, 1), head)


@contextmanager
def lf_copy(path: Path) -> Iterator[Path]:
    """A temporary copy of ``path`` whose CRLF and lone CR line ends are LF.

    DuckDB's line reader needs one line-ending style per file; a file that mixes them (say CRLF
    records with LF inside quoted cells, as spreadsheet exports write) is read from this copy.
    Every physical line keeps its number, and the landing file itself is never modified.
    """
    with tempfile.TemporaryDirectory(prefix="datalabs-lines-") as folder:
        target = Path(folder) / "lines.txt"
        with path.open("rb") as source, target.open("wb") as copy:
            carry = b""
            while chunk := source.read(CHUNK):
                chunk, carry = carry + chunk, b""
                if chunk.endswith(b"\r"):
                    chunk, carry = chunk[:-1], b"\r"
                copy.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            copy.write(carry.replace(b"\r", b"\n"))
        yield target


@contextmanager
def windows_1252_copy(path: Path) -> Iterator[Path]:
    """A temporary UTF-8 copy of a latin-1 file, its bytes read as Windows-1252.

    Files declared latin-1 come from Windows exports, whose bytes 0x80 to 0x9F are curly quotes,
    dashes and the euro sign (``O’BRIEN``); DuckDB's latin-1 reader refuses the whole file for
    one of them. The five bytes Windows-1252 leaves undefined stay as they are (not UTF-8), so
    their lines are quarantined as undecodable. One byte is one character either way: every
    line keeps its number and a fixed-width line its positions.
    """
    with tempfile.TemporaryDirectory(prefix="datalabs-lines-") as folder:
        target = Path(folder) / "lines.txt"
        with path.open("rb") as source, target.open("wb") as copy:
            while chunk := source.read(CHUNK):
                text = chunk.decode("cp1252", errors="surrogateescape")
                copy.write(text.encode("utf-8", errors="surrogateescape"))
        yield target
