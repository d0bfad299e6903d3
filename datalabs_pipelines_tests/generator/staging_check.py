"""A small reference reader for the generated extracts, used only by these tests.

It reads each contract's deliveries the simple way (skipping the lines the truth marks as
unparseable), types the columns, handles identical lines per the contract's `duplicates`
policy and evaluates the contract's expectations, so that the tests can assert that the
sample passes its error-severity rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd

from datalabs_pipelines.contracts.model import Contract, resolved
from datalabs_pipelines.generator.identifiers import is_valid_ssn
from datalabs_pipelines.run_context import run_date


def read_text_rows(contract: Contract, path: Path, skip: set[int]) -> list[dict[str, str]]:
    """Rows of one delivery as {source: text}, without the lines in ``skip``."""
    fmt = contract.format
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    rows: list[dict[str, str]] = []
    if fmt.kind == "delimited":
        text = [
            ln.rstrip(b"\r").decode(fmt.encoding) if i + 1 not in skip else None
            for i, ln in enumerate(lines)
        ]
        header = next(csv.reader([text[fmt.skip_lines]], delimiter=fmt.delimiter))
        for i, t in enumerate(text[fmt.skip_lines + 1 :], start=fmt.skip_lines + 2):
            if t is None or i in skip:
                continue
            values = next(
                csv.reader(
                    io.StringIO(t), delimiter=fmt.delimiter, quotechar=fmt.quote or '"', strict=True
                )
            )
            rows.append(dict(zip(header, values, strict=True)))
    elif fmt.kind == "fixed_width":
        for i, ln in enumerate(lines, start=1):
            if i in skip:
                continue
            t = ln.decode(fmt.encoding)
            rows.append(
                {
                    c.source: t[
                        c.fixed_width.start - 1 : c.fixed_width.start - 1 + c.fixed_width.width
                    ].strip()
                    for c in contract.columns
                }
            )
    elif fmt.kind == "jsonl":
        for i, ln in enumerate(lines, start=1):
            if i not in skip:
                rows.append({k: str(v) for k, v in json.loads(ln).items()})
    else:
        wb = openpyxl.load_workbook(path, read_only=True)
        ws = wb[fmt.sheet]
        it = ws.iter_rows(min_row=fmt.header_row, values_only=True)
        header = [str(h) for h in next(it)]
        for values in it:
            rows.append(
                {
                    h: (
                        ""
                        if v is None
                        else v.strftime("%Y-%m-%d")
                        if isinstance(v, dt.datetime)
                        else str(v)
                    )
                    for h, v in zip(header, values, strict=False)
                }
            )
    return rows


def _typed(col, value: str):
    v = value.strip() if isinstance(value, str) else value
    if v in ("", None):
        return None
    if col.type == "date":
        for f in col.formats:
            try:
                return dt.datetime.strptime(v, f).date()
            except ValueError:
                continue
        return None
    if col.type == "ssn":
        digits = re.sub(r"\D", "", v)
        return digits if is_valid_ssn(digits) else None
    if col.type == "fein":
        return re.sub(r"\D", "", v) or None
    if col.type == "money":
        neg = v.startswith("-") or v.startswith("(")
        amount = float(re.sub(r"[^\d.]", "", v))
        return -amount if neg else amount
    if col.type == "integer":
        return int(v)
    return v


def staging_frame(contract: Contract, folder: Path, skip: dict[str, set[int]]) -> pd.DataFrame:
    """Typed rows of every delivery of the extract, identical lines handled per the contract's
    ``duplicates`` policy."""
    sources = [c.source for c in contract.columns]
    frames = []
    for path in sorted(folder.glob(contract.file_pattern)):
        rows = read_text_rows(contract, path, skip.get(path.name, set()))
        frame = pd.DataFrame(rows, columns=sources).fillna("")
        frame["_copy"] = frame.groupby(sources).cumcount()  # n-th identical line in the file
        frames.append(frame)
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=sources)
    if contract.duplicates == "collapse":
        raw = raw.drop_duplicates(subset=sources)
    elif contract.duplicates == "collapse_resent":
        raw = raw.drop_duplicates(subset=[*sources, "_copy"])
    return pd.DataFrame({c.name: [_typed(c, v) for v in raw[c.source]] for c in contract.columns})


def failures(
    contract: Contract,
    frame: pd.DataFrame,
    severity: str = "error",
    judged_on: dt.date | None = None,
) -> list[str]:
    """Descriptions of the expectations of ``severity`` that the frame does not meet, their
    bounds relative to ``judged_on`` (a run's date: today in the state's zone by default)."""
    out = []
    day = judged_on or run_date()
    for exp in (resolved(e, day) for e in contract.expectations):
        if exp.severity != severity:
            continue
        ok = True
        if exp.type == "not_null":
            ok = frame[exp.column].notna().mean() >= exp.mostly if len(frame) else True
        elif exp.type == "unique":
            sub = frame[exp.columns].dropna()
            ok = not sub.duplicated().any()
        elif exp.type == "between":
            col = frame[exp.column].dropna()
            if len(col):
                lo = _bound(exp.min, col.iloc[0])
                hi = _bound(exp.max, col.iloc[0])
                inside = col.map(
                    lambda x, lo=lo, hi=hi: (lo is None or x >= lo) and (hi is None or x <= hi)
                )
                ok = inside.mean() >= exp.mostly
        elif exp.type == "in_set":
            col = frame[exp.column].dropna()
            ok = col.isin(exp.values).mean() >= exp.mostly if len(col) else True
        elif exp.type == "date_order":
            both = frame[[exp.start, exp.end]].dropna()
            ok = bool((both[exp.start] <= both[exp.end]).all())
        elif exp.type == "row_count":
            ok = len(frame) >= exp.min and (exp.max is None or len(frame) <= exp.max)
        if not ok:
            out.append(f"{contract.name}: {exp}")
    return out


def _bound(value, example):
    if value is None:
        return None
    if isinstance(example, dt.date) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value
