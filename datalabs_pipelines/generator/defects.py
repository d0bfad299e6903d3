"""Record-level defects real extracts have, and the few lines no parser can read.

Every function takes the stream to draw from and returns the changed values together with a
boolean mask of the records it changed, so the caller can log the defect in the ground truth.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from datalabs_pipelines.generator.names import NICKNAMES
from datalabs_pipelines.generator.timeline import from_ymd, ymd

_KEYBOARD_NEIGHBOURS = {
    "a": "sqw", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}


def typo(rng: np.random.Generator, value: str) -> str:
    """One keying error: swap, drop, double or mistype a letter (never the first one)."""
    if len(value) < 4:
        return value
    i = int(rng.integers(1, len(value) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0 and value[i] != value[i + 1]:
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    if kind == 1:
        return value[:i] + value[i + 1:]
    if kind == 2:
        return value[:i] + value[i] + value[i:]
    ch = value[i]
    repl = _KEYBOARD_NEIGHBOURS.get(ch.lower())
    if not repl:
        return value[:i] + value[i + 1:]
    new = repl[int(rng.integers(0, len(repl)))]
    return value[:i] + (new.upper() if ch.isupper() else new) + value[i + 1:]


def apply_typos(rng: np.random.Generator, values: np.ndarray,
                rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Introduce typos into about ``rate`` of the non-empty values."""
    values = values.copy()
    mask = (rng.random(len(values)) < rate) & (values != "")
    idx = np.flatnonzero(mask)
    original = values[idx].copy()
    values[idx] = [typo(rng, v) for v in original]
    mask[idx] = values[idx] != original
    return values, mask


def apply_nicknames(rng: np.random.Generator, first: np.ndarray,
                    rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Replace formal first names by a nickname for about ``rate`` of those that have one."""
    first = first.copy()
    has = np.fromiter((v in NICKNAMES for v in first), dtype=bool, count=len(first))
    mask = has & (rng.random(len(first)) < rate)
    idx = np.flatnonzero(mask)
    picks = rng.random(len(idx))
    first[idx] = [NICKNAMES[v][int(u * len(NICKNAMES[v]))] for v, u in zip(first[idx], picks,
                                                                            strict=True)]
    return first, mask


def swap_day_month(rng: np.random.Generator, dates: np.ndarray,
                   rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Swap day and month in about ``rate`` of the dates where the day is 12 or less."""
    dates = np.asarray(dates, dtype="datetime64[D]").copy()
    ok = ~np.isnat(dates)
    y, m, d = ymd(np.where(ok, dates, np.datetime64("2000-01-01")))
    mask = ok & (d <= 12) & (d != m) & (rng.random(len(dates)) < rate)
    dates[mask] = from_ymd(y[mask], d[mask], m[mask])
    return dates, mask


def blank(rng: np.random.Generator, values: np.ndarray,
          rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Blank out about ``rate`` of the values."""
    values = values.copy()
    mask = (rng.random(len(values)) < rate) & (values != "")
    values[mask] = ""
    return values, mask


def strip_accents(value: str) -> str:
    """José -> Jose, Muñoz -> Munoz."""
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def apply_accent_loss(rng: np.random.Generator, values: np.ndarray,
                      rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop accents from about ``rate`` of the accented values."""
    values = values.copy()
    accented = np.fromiter((not v.isascii() for v in values), dtype=bool, count=len(values))
    mask = accented & (rng.random(len(values)) < rate)
    values[mask] = [strip_accents(v) for v in values[mask]]
    return values, mask


_SUFFIX_VARIANTS = {
    "Inc.": ("Inc", "Incorporated", "INC", ""), "LLC": ("L.L.C.", "Llc", ""),
    "Corp.": ("Corp", "Corporation", ""), "Co.": ("Co", "Company", ""), "Ltd.": ("Ltd", ""),
}


def business_name_variant(rng: np.random.Generator, name: str) -> str:
    """The same business written differently: & vs AND, punctuation, suffix, THE, typo, case."""
    out = name
    changes = rng.permutation(6)[: int(rng.integers(1, 4))]
    for c in changes:
        if c == 0:
            out = out.replace(" & ", " AND ") if " & " in out else out.replace(" and ", " & ")
        elif c == 1:
            out = out.replace(",", "").replace(".", "")
        elif c == 2:
            for suffix, variants in _SUFFIX_VARIANTS.items():
                if out.endswith(suffix):
                    new = variants[int(rng.integers(0, len(variants)))]
                    out = (out[: -len(suffix)] + new).rstrip(", ")
                    break
        elif c == 3:
            out = out[4:] if out.startswith("The ") else ("The " + out if rng.random() < 0.3
                                                            else out)
        elif c == 4:
            out = typo(rng, out)
        else:
            out = out.upper()
    return out if out != name else name.upper()


def swap_ssn_digits(rng: np.random.Generator, ssn: str) -> str:
    """Transpose two adjacent digits (a keying error that may or may not stay valid)."""
    i = int(rng.integers(0, 8))
    if ssn[i] == ssn[i + 1]:
        i = (i + 3) % 8
    return ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2:]


# --- unparseable lines -------------------------------------------------------------------

DELIMITED_BREAKS = ("field_count", "broken_quote", "bad_bytes")


def break_delimited(line: bytes, delimiter: str, kind: str, encoding: str) -> bytes:
    """Damage one delimited line so that it cannot be parsed; the damage stays on that line."""
    d = delimiter.encode()
    fields = line.split(d)
    if kind == "field_count":
        return d.join(fields[:-2]) if len(fields) > 3 else line + d + b"EXTRA" + d
    if kind == "broken_quote":
        # an unescaped quote inside a quoted field; the quote count stays even on this line
        j = 1 if len(fields) > 2 else 0
        inner = fields[j].replace(b'"', b"")
        fields[j] = b'"' + inner[: len(inner) // 2] + b' "' + inner[len(inner) // 2:] + b'" x"'
        return d.join(fields)
    if kind == "bad_bytes" and encoding == "utf-8":
        j = 1 if len(fields) > 2 else 0
        fields[j] = fields[j] + b"\xff\xfe\xc3("  # invalid UTF-8 sequences
        return d.join(fields)
    return line + d + b"EXTRA" + d
