"""Entry point: ``generate(scale, seed, out)`` writes ``out/raw`` extracts and ``out/truth``."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from datalabs_pipelines.generator.businesses import OWNERSHIP, build_firms
from datalabs_pipelines.generator.education import write_education
from datalabs_pipelines.generator.employment import build_employment
from datalabs_pipelines.generator.errors import ErrorProfile
from datalabs_pipelines.generator.human_services import write_human_services
from datalabs_pipelines.generator.labor import write_labor
from datalabs_pipelines.generator.population import Population, build_population
from datalabs_pipelines.generator.procurement import write_procurement
from datalabs_pipelines.generator.programs import build_programs, on_program_by_quarter
from datalabs_pipelines.generator.records import Context
from datalabs_pipelines.generator.schooling import build_schooling
from datalabs_pipelines.generator.spending import build_spending
from datalabs_pipelines.generator.timeline import fmt_dates, quarters, set_through
from datalabs_pipelines.generator.truth import TruthWriter

PEOPLE_PER_SCALE = 10_000
FIRMS_PER_SCALE = 2_000

# agency -> extracts this generator owns (the folder names equal the contract names)
EXTRACTS: dict[str, tuple[str, ...]] = {
    "procurement": ("vendor_master", "payments", "contract_awards", "certified_firms"),
    "human_services": ("snap_enrollment", "tanf_enrollment", "medicaid_enrollment"),
    "labor": ("ui_wages", "ui_claims"),
    "education": (
        "k12_enrollment",
        "k12_graduation",
        "postsecondary_enrollment",
        "postsecondary_completion",
    ),
}


@dataclass
class GenerationSummary:
    """What a run wrote."""

    scale: float
    seed: int
    out: Path
    people: int
    firms: int
    rows: dict[str, int] = field(default_factory=dict)  # extract -> records written
    files: dict[str, list[str]] = field(default_factory=dict)  # extract -> delivery files
    truth_person_rows: int = 0
    truth_firm_rows: int = 0
    seconds: float = 0.0
    bytes_written: int = 0

    def __str__(self) -> str:
        lines = [
            f"generated scale {self.scale:g}, seed {self.seed} into {self.out}: "
            f"{self.people:,} people, {self.firms:,} firms, "
            f"{self.bytes_written / 1e6:.1f} MB in {self.seconds:.1f} s",
            f"{'extract':<28}{'files':>6}{'rows':>12}",
        ]
        lines += [
            f"{name:<28}{len(self.files[name]):>6}{rows:>12,}" for name, rows in self.rows.items()
        ]
        lines.append(
            f"truth: {self.truth_person_rows:,} person records, "
            f"{self.truth_firm_rows:,} firm records"
        )
        return "\n".join(lines)


def _clean(out: Path) -> None:
    """Remove what a previous run of the generator wrote (only its own folders)."""
    for agency, extracts in EXTRACTS.items():
        for extract in extracts:
            shutil.rmtree(out / "raw" / agency / extract, ignore_errors=True)
    for name in (
        "person_records.csv",
        "firm_records.csv",
        "unparseable_lines.csv",
        "people.csv",
        "firms.csv",
        "README.md",
    ):
        (out / "truth" / name).unlink(missing_ok=True)


def _write_reference_truth(truth: Path, pop: Population, firms: pd.DataFrame) -> None:
    p = pop.people
    hh_ids = pop.households["household_id"].to_numpy()
    pd.DataFrame(
        {
            "person_id": p["person_id"],
            "first_name": p["first"],
            "middle_name": p["middle"],
            "last_name": p["last"],
            "sex": p["sex"],
            "race": p["race"],
            "ethnicity": p["ethnicity"],
            "dob": fmt_dates(pop.dob, "%Y-%m-%d"),
            "ssn": p["ssn"],
            "household_id": hh_ids[p["household"].to_numpy()],
        }
    ).to_csv(truth / "people.csv", index=False, lineterminator="\n")
    cols = [
        "firm_id",
        "legal_name",
        "dba_name",
        "fein",
        "naics",
        *OWNERSHIP,
        "certified_minority",
        "certified_women",
        "certified_veteran",
        "certified_disability",
        "is_vendor",
    ]
    f = firms[cols].copy()
    for c in cols[5:]:
        f[c] = f[c].astype(int)
    f.to_csv(truth / "firms.csv", index=False, lineterminator="\n")


def generate(
    scale: float,
    seed: int,
    out: Path,
    progress: bool = True,
    through: dt.date | None = None,
    errors: ErrorProfile | None = None,
    k12_ssn_share: float = 0.0,
) -> GenerationSummary:
    """Write every extract under ``out/raw/<agency>/<extract>/`` and the truth under
    ``out/truth/``. Same ``scale``, ``seed``, ``through`` and ``errors`` give byte-identical
    files; the default error profile adds nothing to each agency's own defects.

    Scale 1 is about 10,000 people and 2,000 firms over 2023-2025; fractional scales are allowed
    (at least 200 people and 60 firms). ``through`` moves the three simulated years so that
    they end on that day (e.g. today: dates run into the current quarter, never past it).
    ``k12_ssn_share`` of the students carry their SSN on K-12 records (0: no SSN column).
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 0 <= k12_ssn_share <= 1:
        raise ValueError("k12_ssn_share must lie between 0 and 1")
    started = time.perf_counter()
    out = Path(out)
    n_people = max(200, round(PEOPLE_PER_SCALE * scale))
    n_firms = max(60, round(FIRMS_PER_SCALE * scale))
    _clean(out)
    set_through(through)
    bar = tqdm(desc="generate", unit="file", file=sys.stderr, disable=not progress)
    try:
        bar.set_postfix_str("simulating people")
        pop = build_population(seed, n_people)
        firms = build_firms(seed, n_firms)
        programs = build_programs(seed, pop)
        on, exited = on_program_by_quarter(
            [programs["snap"], programs["tanf"]], n_people, quarters()
        )
        bar.set_postfix_str("simulating jobs")
        employment = build_employment(seed, pop, firms, on, exited)
        schooling = build_schooling(seed, pop)
        bar.set_postfix_str("simulating spending")
        spending = build_spending(seed, firms)

        truth = TruthWriter(out / "truth", pop.people["person_id"].to_numpy())
        ctx = Context(
            raw=out / "raw",
            truth=truth,
            seed=seed,
            scale=scale,
            bar=bar,
            errors=errors or ErrorProfile(),
            k12_ssn_share=k12_ssn_share,
        )
        write_procurement(ctx, firms, spending)
        write_human_services(ctx, pop, programs)
        write_labor(ctx, pop, firms, employment)
        write_education(ctx, pop, schooling)
        truth.close()
        _write_reference_truth(out / "truth", pop, firms)
    finally:
        bar.close()
        set_through(None)
    written = [
        p
        for a, ex in EXTRACTS.items()
        for e in ex
        for p in (out / "raw" / a / e).glob("*")
        if p.is_file()
    ]
    written += [p for p in (out / "truth").glob("*") if p.is_file()]
    return GenerationSummary(
        scale=scale,
        seed=seed,
        out=out,
        people=n_people,
        firms=n_firms,
        rows=ctx.rows,
        files=ctx.files,
        truth_person_rows=truth.person_rows,
        truth_firm_rows=truth.firm_rows,
        seconds=time.perf_counter() - started,
        bytes_written=int(np.sum([p.stat().st_size for p in written])),
    )
