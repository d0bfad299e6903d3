"""Identifier generators and validators: SSN, FEIN, phone numbers, record ids."""

from __future__ import annotations

import re

import numpy as np

# Numbers never issued or publicly known as invalid (advertising, examples).
SSN_BLOCKLIST = frozenset({"078051120", "219099999", "123456789", "457555462"})

_AREAS = np.array([a for a in range(1, 900) if a != 666])
_GROUPS, _SERIALS = 99, 9999

# IRS campus prefixes in use for EINs.
FEIN_PREFIXES = np.array(
    [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27]
    + list(range(30, 49)) + list(range(50, 69)) + list(range(71, 78)) + list(range(80, 89))
    + list(range(90, 96)) + [98, 99]
)


def is_valid_ssn(value: str) -> bool:
    """The SSA rules: 9 digits, area not 000/666/900-999, group not 00, serial not 0000."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{9}", digits) or digits in SSN_BLOCKLIST:
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return 0 < area < 900 and area != 666 and group > 0 and serial > 0


def ssns(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid SSNs as 9-digit strings (object array)."""
    space = len(_AREAS) * _GROUPS * _SERIALS
    idx = rng.choice(space, size=n, replace=False)
    area = _AREAS[idx // (_GROUPS * _SERIALS)]
    group = (idx // _SERIALS) % _GROUPS + 1
    serial = idx % _SERIALS + 1
    out = np.array([f"{a:03d}{g:02d}{s:04d}" for a, g, s in zip(area, group, serial, strict=True)],
                   dtype=object)
    bad = np.isin(out, list(SSN_BLOCKLIST))
    out[bad] = "001010001"  # practically never happens; keeps validity
    return out


def feins(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 9-digit FEINs with valid IRS prefixes."""
    prefix = FEIN_PREFIXES[rng.integers(0, len(FEIN_PREFIXES), n)]
    body = rng.choice(10_000_000, size=n, replace=False)
    return np.array([f"{p:02d}{b:07d}" for p, b in zip(prefix, body, strict=True)], dtype=object)


def format_ssn(ssn: str, style: int) -> str:
    """Style 0: 123-45-6789; 1: 123456789."""
    if not ssn:
        return ""
    return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}" if style == 0 else ssn


def format_fein(fein: str, dashed: bool) -> str:
    if not fein:
        return ""
    return f"{fein[:2]}-{fein[2:]}" if dashed else fein


def phones(rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
    """10-digit phone numbers for the given area codes."""
    n = len(area_codes)
    exch = rng.integers(200, 1000, n)
    exch = np.where(exch % 100 == 11, exch + 1, exch)
    line = rng.integers(0, 10000, n)
    return np.array(
        [f"{a}{e:03d}{ln:04d}" for a, e, ln in zip(area_codes, exch, line, strict=True)],
        dtype=object,
    )


def format_phone(phone: str, style: int) -> str:
    """Several phone formats seen in vendor files."""
    a, e, ln = phone[:3], phone[3:6], phone[6:]
    return (
        f"({a}) {e}-{ln}", f"{a}-{e}-{ln}", f"{a}.{e}.{ln}", phone, f"+1 {a} {e} {ln}",
    )[style % 5]


def random_ids(rng: np.random.Generator, n: int, prefix: str, digits: int) -> np.ndarray:
    """``n`` distinct ids like ``prefix`` + zero-padded random digits."""
    nums = rng.choice(10**digits, size=n, replace=False)
    return np.array([f"{prefix}{x:0{digits}d}" for x in nums], dtype=object)
