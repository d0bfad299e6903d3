"""Error profiles: the keying and registration errors real files have, each at its own rate.

The default profile adds nothing, so the committed sample stays as it is. ``heavy`` adds, on
top of each agency's own defects, the errors that broke linkage on records the project had
never seen: swapped first and last names, replaced first names, changed surnames, SSN keying
errors, date-of-birth errors, missing fields; and for firms remit-to PO boxes, DBA typos and
registration under the owner's name. Each error draws from a stream of its own (never the
agency's), and every changed record carries the error's tag in the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from datalabs_pipelines.generator import defects as dx
from datalabs_pipelines.generator.identifiers import is_valid_ssn
from datalabs_pipelines.generator.names import FEMALE_FIRST, MALE_FIRST, NICKNAMES, SURNAMES
from datalabs_pipelines.generator.timeline import from_ymd, ymd
from datalabs_pipelines.generator.writers import add_tag


@dataclass(frozen=True)
class ErrorProfile:
    """Share of records (or of those eligible) that get each error."""

    name_swap: float = 0.0  # first and last name exchanged
    first_replaced: float = 0.0  # a short form beyond the nickname list, or the middle name
    surname_change: float = 0.0  # married or divorced: another surname
    ssn_keying: float = 0.0  # one or two digits mistyped, or two adjacent digits transposed
    dob_error: float = 0.0  # day and month swapped, a month or a year off
    dob_missing: float = 0.0
    field_missing: float = 0.0  # first name, last name or SSN left blank
    remit_po_box: float = 0.0  # vendor registered at its remit-to PO box, other phone
    dba_typo: float = 0.0
    owner_name: float = 0.0  # vendor registered under its owner's name, firm name as DBA

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def scaled(self, factor: float) -> ErrorProfile:
        return replace(
            self, **{f.name: min(1.0, getattr(self, f.name) * factor) for f in fields(self)}
        )


PROFILES: dict[str, ErrorProfile] = {
    "default": ErrorProfile(),
    "heavy": ErrorProfile(
        name_swap=0.02,
        first_replaced=0.03,
        surname_change=0.03,
        ssn_keying=0.03,
        dob_error=0.03,
        dob_missing=0.02,
        field_missing=0.02,
        remit_po_box=0.05,
        dba_typo=0.3,
        owner_name=0.04,
    ),
}


def profile(name: str, multiplier: float = 1.0) -> ErrorProfile:
    """The named profile, every rate times ``multiplier`` (capped at 1)."""
    if name not in PROFILES:
        raise ValueError(f"unknown error profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name].scaled(multiplier) if multiplier != 1.0 else PROFILES[name]


_LISTED = {k.upper(): tuple(v.upper() for v in vs) for k, vs in NICKNAMES.items()}


def _draw(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    return eligible & (rng.random(len(eligible)) < rate)


def short_form(name: str) -> str:
    """A short form no nickname list holds: the first three or four letters."""
    cut = 3 if len(name) <= 5 else 4
    return name[:cut] if len(name) > cut else name


def ssn_keying_error(rng: np.random.Generator, ssn: str) -> str:
    """One digit mistyped, two digits mistyped, or two adjacent digits transposed."""
    kind = int(rng.integers(0, 3))
    if kind == 2:
        return dx.swap_ssn_digits(rng, ssn)
    digits = list(ssn)
    for i in rng.choice(9, size=kind + 1, replace=False):
        digits[i] = str((int(digits[i]) + int(rng.integers(1, 10))) % 10)
    return "".join(digits)


def dob_error(rng: np.random.Generator, dates: np.ndarray) -> np.ndarray:
    """Day and month swapped (where the day can be a month), or a month or a year off."""
    y, m, d = ymd(dates)
    kind = rng.integers(0, 3, len(dates))
    kind = np.where((kind == 0) & ((d > 12) | (d == m)), 1, kind)
    step = np.where(rng.random(len(dates)) < 0.5, -1, 1)
    month0 = m - 1 + np.where(kind == 1, step, 0)
    y2 = y + np.where(kind == 2, step, 0) + month0 // 12
    m2 = month0 % 12 + 1
    d2 = np.minimum(d, 28)
    swapped = from_ymd(y, d, m) if len(dates) else dates
    return np.where(kind == 0, swapped, from_ymd(y2, m2, np.where(kind == 0, d, d2)))


def person_errors(
    rng: np.random.Generator,
    errors: ErrorProfile,
    first: np.ndarray,
    middle: np.ndarray,
    last: np.ndarray,
    dob: np.ndarray,
    defects: np.ndarray,
    with_dob: bool = True,
    blank_names: bool = True,
) -> None:
    """Apply the profile's name and date-of-birth errors in place, tagging ``defects``."""
    n = len(first)
    has_first = first != ""
    m = _draw(rng, has_first & (last != ""), errors.name_swap)
    first[m], last[m] = last[m].copy(), first[m].copy()
    add_tag(defects, m, "name_swap")
    m = _draw(rng, has_first & ~m, errors.first_replaced)
    original = first.copy()
    long_middle = np.array([len(v) > 1 for v in middle], dtype=bool)
    use_middle = m & long_middle & (rng.random(n) < 0.5)
    first[use_middle], middle[use_middle] = middle[use_middle].copy(), ""
    short = np.flatnonzero(m & ~use_middle)
    first[short] = [short_form(v) for v in first[short]]
    # a short form the nickname list knows is no error of this kind: undo it
    listed = [
        v.upper() in _LISTED.get(o.upper(), ())
        for v, o in zip(first[short], original[short], strict=True)
    ]
    first[short[np.array(listed, dtype=bool)]] = original[short[np.array(listed, dtype=bool)]]
    add_tag(defects, first != original, "first_replaced")
    m = _draw(rng, last != "", errors.surname_change)
    idx = np.flatnonzero(m)
    last[idx] = [
        s.upper() if v.isupper() else s
        for v, s in zip(last[idx], rng.choice(SURNAMES, len(idx)), strict=True)
    ]
    add_tag(defects, m, "surname_change")
    ok = ~np.isnat(dob) & with_dob
    m = _draw(rng, ok, errors.dob_error)
    if m.any():
        dob[m] = dob_error(rng, dob[m])
    add_tag(defects, m, "dob_error")
    m = _draw(rng, ok, errors.dob_missing)
    dob[m] = np.datetime64("NaT")
    add_tag(defects, m, "dob_missing")
    m = _draw(rng, has_first & blank_names, errors.field_missing)
    which = rng.integers(0, 2, n)
    first[m & (which == 0)] = ""
    last[m & (which == 1)] = ""
    add_tag(defects, m, "field_missing")


def ssn_errors(
    rng: np.random.Generator,
    errors: ErrorProfile,
    ssn: np.ndarray,
    defects: np.ndarray,
    blank: bool = True,
) -> None:
    """SSN keying errors and blanks (undashed 9-digit values), in place; with ``blank`` False
    (a required SSN) no SSN is blanked or made invalid."""
    m = _draw(rng, ssn != "", errors.ssn_keying)
    for i in np.flatnonzero(m):
        new = ssn_keying_error(rng, ssn[i])
        # where an SSN is required, the agency's system refuses an invalid one at entry
        m[i] = new != ssn[i] and (blank or is_valid_ssn(new))
        if m[i]:
            ssn[i] = new
    add_tag(defects, m, "ssn_keying")
    m = _draw(rng, (ssn != "") & blank, errors.field_missing)
    ssn[m] = ""
    add_tag(defects, m, "field_missing")


def owner_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Owners' names as a sole proprietor registers: ``LAST, FIRST`` or ``First Last``."""
    female = rng.random(n) < 0.5
    first = np.where(female, rng.choice(FEMALE_FIRST, n), rng.choice(MALE_FIRST, n))
    last = rng.choice(SURNAMES, n)
    comma = rng.random(n) < 0.5
    return np.array(
        [
            f"{s.upper()}, {f.upper()}" if c else f"{f} {s}"
            for f, s, c in zip(first, last, comma, strict=True)
        ],
        dtype=object,
    )


def po_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    styles = ("PO BOX {}", "P.O. Box {}", "P O BOX {}", "Post Office Box {}")
    numbers = rng.integers(1, 99999, n)
    kinds = rng.integers(0, len(styles), n)
    return np.array(
        [styles[k].format(x) for k, x in zip(kinds, numbers, strict=True)], dtype=object
    )


def firm_errors(
    rng: np.random.Generator,
    errors: ErrorProfile,
    name: np.ndarray,
    dba: np.ndarray,
    street: np.ndarray,
    phone: np.ndarray,
    defects: np.ndarray,
) -> None:
    """Vendor-master errors, in place: remit-to PO box, DBA typo, owner's name as the vendor."""
    n = len(name)
    m = _draw(rng, np.ones(n, dtype=bool), errors.remit_po_box)
    street[m] = po_boxes(rng, int(m.sum()))
    other = m & (rng.random(n) < 0.5)
    phone[m & ~other] = ""
    phone[other] = [
        f"{p[:3]}{x:07d}"
        for p, x in zip(
            phone[other], rng.integers(2_000_000, 9_999_999, int(other.sum())), strict=True
        )
    ]
    add_tag(defects, m, "remit_po_box")
    m = _draw(rng, dba != "", errors.dba_typo)
    before = dba.copy()
    idx = np.flatnonzero(m)
    dba[idx] = [dx.typo(rng, v) for v in dba[idx]]
    add_tag(defects, dba != before, "dba_typo")
    m = _draw(rng, np.ones(n, dtype=bool), errors.owner_name)
    dba[m] = np.where(dba[m] != "", dba[m], name[m])
    name[m] = owner_names(rng, int(m.sum()))
    add_tag(defects, m, "owner_name")
