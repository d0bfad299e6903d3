"""Render people as one agency's records would show them, with that agency's defects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from datalabs_pipelines.generator import defects as dx
from datalabs_pipelines.generator.errors import ErrorProfile, person_errors, ssn_errors
from datalabs_pipelines.generator.identifiers import format_ssn, is_valid_ssn
from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.truth import TruthWriter
from datalabs_pipelines.generator.writers import add_tag

PLACEHOLDER_SSNS = ("999999999", "000000000", "123456789", "111111111")


@dataclass(frozen=True)
class Errors:
    """An error profile and the stream its errors draw from."""

    profile: ErrorProfile
    rng: np.random.Generator
    dob: bool = True  # whether the extract delivers the date of birth the errors would change
    required: tuple[str, ...] = ()  # fields the extract's contract never lets be blank


@dataclass
class Context:
    """Where and how to write, shared by the agency writers."""

    raw: Path
    truth: TruthWriter
    seed: int
    scale: float
    bar: tqdm
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    errors: ErrorProfile = field(default_factory=ErrorProfile)
    k12_ssn_share: float = 0.0  # share of students whose K-12 records carry their SSN

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, f"write:{name}")

    def errors_for(
        self, name: str, *, dob: bool = True, required: tuple[str, ...] = ()
    ) -> Errors | None:
        """The profile's errors for one extract, on a stream of their own; None if it adds none.

        ``required`` ("name", "ssn") are never blanked: the contract rejects such a file."""
        if not self.errors.active:
            return None
        return Errors(self.errors, stream(self.seed, f"errors:{name}"), dob, required)

    def path(self, agency: str, extract: str, file_name: str) -> Path:
        return self.raw / agency / extract / file_name

    def done(self, extract: str, file_name: str, n_rows: int) -> None:
        self.rows[extract] = self.rows.get(extract, 0) + n_rows
        self.files.setdefault(extract, []).append(file_name)
        self.bar.set_postfix_str(file_name)
        self.bar.update(1)


def broken_per_file(rng: np.random.Generator, n_files: int) -> np.ndarray:
    """How many unparseable lines each delivery of an extract gets: 3-5 in total."""
    k = int(rng.integers(3, 6))
    return np.bincount(rng.choice(n_files, k), minlength=n_files)


@dataclass
class Identity:
    """Name, birth date and defect tags of each record."""

    first: np.ndarray
    middle: np.ndarray
    last: np.ndarray
    dob: np.ndarray  # datetime64[D], NaT = missing
    defects: np.ndarray


def identity(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    *,
    typo: float = 0.01,
    nickname: float = 0.02,
    accent_loss: float = 0.0,
    swap_dob: float = 0.01,
    missing_dob: float = 0.0,
    middle_initial: float = 0.0,
    upper: bool = False,
    errors: Errors | None = None,
) -> Identity:
    """Names and DOB for the records of ``person`` with defects at the given rates."""
    p = pop.people
    first = p["first"].to_numpy()[person].astype(object)
    middle = p["middle"].to_numpy()[person].astype(object)
    last = p["last"].to_numpy()[person].astype(object)
    defects = np.full(len(person), "", dtype=object)
    first, m = dx.apply_nicknames(rng, first, nickname)
    add_tag(defects, m, "nickname")
    first, m = dx.apply_typos(rng, first, typo)
    add_tag(defects, m, "typo_first")
    last, m = dx.apply_typos(rng, last, typo)
    add_tag(defects, m, "typo_last")
    if accent_loss:
        lost = np.zeros(len(person), dtype=bool)
        for arr in (first, last, middle):
            new, m = dx.apply_accent_loss(rng, arr, accent_loss)
            arr[:] = new
            lost |= m
        add_tag(defects, lost, "accent_lost")
    if middle_initial:
        ini = (middle != "") & (rng.random(len(person)) < middle_initial)
        middle[ini] = [v[0] for v in middle[ini]]
    dob, m = dx.swap_day_month(rng, pop.dob[person], swap_dob)
    add_tag(defects, m, "swapped_dob")
    gone = rng.random(len(person)) < missing_dob
    dob[gone] = np.datetime64("NaT")
    add_tag(defects, gone, "missing_dob")
    if errors is not None:
        person_errors(
            errors.rng,
            errors.profile,
            first,
            middle,
            last,
            dob,
            defects,
            with_dob=errors.dob,
            blank_names="name" not in errors.required,
        )
    if upper:
        first, middle, last = (
            np.array([v.upper() for v in a], dtype=object) for a in (first, middle, last)
        )
    return Identity(first, middle, last, dob, defects)


def ssn_values(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    defects: np.ndarray,
    *,
    missing: float = 0.0,
    typo: float = 0.0,
    placeholder: float = 0.0,
    dashed: float = 0.0,
    keep_valid: bool = False,
    errors: Errors | None = None,
) -> np.ndarray:
    """SSNs as the agency keyed them: blanks, transpositions, placeholders, with/without dashes."""
    ssn = pop.people["ssn"].to_numpy()[person].astype(object)
    n = len(person)
    gone = (ssn != "") & (rng.random(n) < missing)
    ssn[gone] = ""
    add_tag(defects, gone, "missing_ssn")
    ty = np.flatnonzero((ssn != "") & (rng.random(n) < typo))
    changed = np.zeros(n, dtype=bool)
    for i in ty:
        new = dx.swap_ssn_digits(rng, ssn[i])
        if new != ssn[i] and (is_valid_ssn(new) or not keep_valid):
            ssn[i] = new
            changed[i] = True
    add_tag(defects, changed, "ssn_typo")
    ph = (ssn != "") & (rng.random(n) < placeholder)
    ssn[ph] = np.array(PLACEHOLDER_SSNS, dtype=object)[
        rng.integers(0, len(PLACEHOLDER_SSNS), int(ph.sum()))
    ]
    add_tag(defects, ph, "ssn_placeholder")
    if errors is not None:
        ssn_errors(errors.rng, errors.profile, ssn, defects, blank="ssn" not in errors.required)
    style = (rng.random(n) >= dashed).astype(int)
    return np.array([format_ssn(s, st) for s, st in zip(ssn, style, strict=True)], dtype=object)
