"""File writers for each delivery format; each returns the physical line (or Excel row) of
every record so that the ground truth can point at it."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from datalabs_pipelines.generator.defects import DELIMITED_BREAKS, break_delimited

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass
class Records:
    """Rows of one delivery file (all values already rendered as text) and their truth."""

    rows: pd.DataFrame  # columns in file order; str / object values ('' = missing)
    entity: np.ndarray  # person_id or firm_id per row
    defects: np.ndarray  # ';'-joined defect tags per row ('' = clean)
    broken: np.ndarray | None = None  # '' or the kind of unparseable damage per row


def add_tag(defects: np.ndarray, mask: np.ndarray, tag: str) -> None:
    """Append ``tag`` to the defect list of the masked rows (in place)."""
    idx = np.flatnonzero(mask)
    defects[idx] = [f"{d};{tag}" if d else tag for d in defects[idx]]


def finish(rng: np.random.Generator, rec: Records, dup_rate: float, n_broken: int,
           break_kinds: tuple[str, ...] = DELIMITED_BREAKS, kind_start: int = 0) -> Records:
    """Insert exact duplicate rows next to their originals and mark ``n_broken`` rows to damage.

    Damage kinds rotate through ``break_kinds`` from ``kind_start`` (the number of rows already
    damaged in earlier deliveries of the extract), so every kind shows up.
    """
    n = len(rec.rows)
    dup = np.flatnonzero(rng.random(n) < dup_rate)
    order = np.sort(np.concatenate([np.arange(n), dup]), kind="stable")
    is_copy = np.zeros(len(order), dtype=bool)
    is_copy[1:] = order[1:] == order[:-1]
    rows = rec.rows.iloc[order].reset_index(drop=True)
    entity = rec.entity[order]
    defects = rec.defects[order].copy()
    add_tag(defects, is_copy, "duplicate_row")
    broken = np.full(len(order), "", dtype=object)
    candidates = np.flatnonzero(~is_copy & ~np.r_[is_copy[1:], False])
    n_broken = min(n_broken, len(candidates) // 4)  # tiny files keep most of their records
    if n_broken:
        pos = rng.choice(candidates, size=n_broken, replace=False)
        broken[np.sort(pos)] = [break_kinds[(kind_start + i) % len(break_kinds)]
                                for i in range(len(pos))]
        add_tag(defects, broken != "", "unparseable")
    return Records(rows, entity, defects, broken)


def write_delimited(path: Path, rec: Records, delimiter: str = ",", encoding: str = "utf-8",
                    line_end: str = "\n", title_lines: tuple[str, ...] = ()) -> np.ndarray:
    """Write a header plus rows; returns each record's 1-based physical line number."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = rec.rows.to_csv(index=False, header=False, sep=delimiter, lineterminator="\n")
    lines = text.split("\n")[:-1] if text else []
    header = rec.rows.to_csv(index=False, sep=delimiter, lineterminator="\n").split("\n")[0] \
        if len(rec.rows) else delimiter.join(rec.rows.columns)
    eol = line_end.encode()
    enc = [line.encode(encoding, errors="replace") for line in lines]
    if rec.broken is not None:
        for i in np.flatnonzero(rec.broken != ""):
            enc[i] = break_delimited(enc[i], delimiter, str(rec.broken[i]), encoding)
    head = [t.encode(encoding) for t in title_lines] + [header.encode(encoding)]
    with open(path, "wb") as fh:
        fh.write(eol.join(head + enc) + eol)
    return np.arange(len(lines)) + len(head) + 1


def write_fixed_width(path: Path, rec: Records, widths: list[int]) -> np.ndarray:
    """Columns padded to ``widths`` (numbers are pre-padded by the caller); no header.

    Damaged rows are cut short.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [rec.rows[c].astype(str).str.slice(0, w).str.ljust(w)
             for c, w in zip(rec.rows.columns, widths, strict=True)]
    line = parts[0]
    for p in parts[1:]:
        line = line + p
    lines = line.to_numpy(dtype=object)
    if rec.broken is not None:
        for i in np.flatnonzero(rec.broken != ""):
            lines[i] = lines[i][: len(lines[i]) - 17]
    data = ("\n".join(lines) + "\n").encode("ascii", errors="replace") if len(lines) else b""
    path.write_bytes(data)
    return np.arange(len(lines)) + 1


def write_jsonl(path: Path, rec: Records, omit_empty: tuple[str, ...] = ()) -> np.ndarray:
    """One flat JSON object per line; keys in ``omit_empty`` are left out when blank."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(rec.rows.columns)
    out = []
    for i, values in enumerate(rec.rows.itertuples(index=False, name=None)):
        obj = {k: v for k, v in zip(cols, values, strict=True)
               if not (k in omit_empty and v in ("", None))}
        line = json.dumps(obj, ensure_ascii=False)
        if rec.broken is not None and rec.broken[i]:
            line = line[: len(line) // 2] if i % 2 else line.replace('": "', "': '", 1)
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return np.arange(len(out)) + 1


def write_xlsx(path: Path, rec: Records, sheet: str, title: str,
               date_columns: tuple[str, ...] = ()) -> np.ndarray:
    """An Excel sheet with a title row above the header; returns the Excel row numbers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([title])
    ws.append(list(rec.rows.columns))
    date_idx = [i for i, c in enumerate(rec.rows.columns) if c in date_columns]
    for values in rec.rows.itertuples(index=False, name=None):
        row = list(values)
        for i in date_idx:
            v = row[i]
            row[i] = pd.Timestamp(v).to_pydatetime() if v not in ("", None) else None
        ws.append([None if v == "" else v for v in row])
    fixed = pd.Timestamp("2026-01-01").to_pydatetime()
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    _deterministic_zip(buf.getvalue(), path)
    return np.arange(len(rec.rows)) + 3


def _deterministic_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed timestamps (and fixed core-property dates) for byte-identity."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z",
                                 content)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    path.write_bytes(out.getvalue())
