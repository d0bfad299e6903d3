"""The simulated period, quarters, and vectorized date helpers (numpy datetime64[D]).

The period is three calendar years ending on its last day: by default 2023-01-01 to
2025-12-31 (the committed sample); ``set_through(day)`` moves it so that it ends on ``day``
(e.g. today: a sample whose dates run into the current quarter and never past it). Calendars
written for the default period (school terms) move by whole years with it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

DEFAULT_THROUGH = dt.date(2025, 12, 31)
NAT = np.datetime64("NaT", "D")
_through = np.datetime64(DEFAULT_THROUGH, "D")


def set_through(through: dt.date | None) -> None:
    """End the simulated period on ``through`` (None: the default, 2025-12-31)."""
    global _through
    _through = np.datetime64(through or DEFAULT_THROUGH, "D")


def period_end() -> np.datetime64:
    return _through


def years() -> tuple[int, ...]:
    """The period's three calendar years, the last one possibly cut short."""
    last = int(str(_through)[:4])
    return (last - 2, last - 1, last)


def period_start() -> np.datetime64:
    return np.datetime64(f"{years()[0]}-01-01")


def year_shift() -> int:
    """Whole years between the period's last year and the default's (2025)."""
    return years()[-1] - DEFAULT_THROUGH.year


def quarters() -> list[tuple[int, int, np.datetime64, np.datetime64]]:
    """(year, quarter, first day, last day) for every quarter of the period, the last one cut
    at the period's end."""
    out = []
    for y in years():
        for q in range(1, 5):
            start = np.datetime64(f"{y}-{3 * q - 2:02d}-01")
            if start > _through:
                break
            end = (start.astype("datetime64[M]") + 3).astype("datetime64[D]") - 1
            out.append((y, q, start, min(end, _through)))
    return out


def day(value: str) -> np.datetime64:
    return np.datetime64(value, "D")


def uniform_dates(
    rng: np.random.Generator,
    start: np.datetime64 | np.ndarray,
    end: np.datetime64 | np.ndarray,
    size: int | None = None,
) -> np.ndarray:
    """Uniform random dates in [start, end] (inclusive); start/end may be arrays."""
    s = np.asarray(start, dtype="datetime64[D]").astype(np.int64)
    e = np.asarray(end, dtype="datetime64[D]").astype(np.int64)
    if size is None:
        size = int(np.broadcast(s, e).size)
    span = np.maximum(e - s, 0) + 1
    return (s + (rng.random(size) * span).astype(np.int64)).astype("datetime64[D]")


def age_on(dob: np.ndarray, when: np.datetime64 | np.ndarray) -> np.ndarray:
    """Whole years of age on ``when`` for each date of birth."""
    by, bm, bd = ymd(dob)
    wy, wm, wd = ymd(np.broadcast_to(np.asarray(when, dtype="datetime64[D]"), np.shape(dob)))
    return wy - by - ((wm * 100 + wd) < (bm * 100 + bd)).astype(np.int64)


def fmt_dates(dates: np.ndarray, fmt: str) -> np.ndarray:
    """Format datetime64[D] values with a strftime pattern; NaT becomes ''."""
    d = np.asarray(dates, dtype="datetime64[D]")
    out = np.full(d.shape, "", dtype=object)
    ok = ~np.isnat(d)
    if ok.any():
        y = d[ok].astype("datetime64[Y]").astype(np.int64) + 1970
        m = d[ok].astype("datetime64[M]").astype(np.int64) % 12 + 1
        dd = (d[ok] - d[ok].astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        out[ok] = [
            fmt.replace("%Y", f"{a:04d}")
            .replace("%m", f"{b:02d}")
            .replace("%d", f"{c:02d}")
            .replace("%-m", str(b))
            .replace("%-d", str(c))
            for a, b, c in zip(y, m, dd, strict=True)
        ]
    return out


def ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day integer arrays."""
    d = np.asarray(dates, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from year/month/day arrays (days must be valid for the month)."""
    months = (np.asarray(y) - 1970) * 12 + (np.asarray(m) - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]") + (np.asarray(d) - 1)
