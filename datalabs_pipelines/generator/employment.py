"""Quarterly employment (UI wage records) and unemployment-insurance claims.

A Markov chain per adult: each quarter a worker may separate, change jobs or stay; a
non-worker may be hired. Hiring is slower while on SNAP/TANF and faster right after a spell
ends, so that people who leave benefits show up in the wage records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.timeline import (
    age_on,
    period_end,
    quarters,
)

SEPARATION = 0.07
JOB_CHANGE = 0.04
_AGE_EDGES = np.array([16, 18, 22, 55, 62, 67, 75, 200])
_AGE_TARGET = np.array([0.25, 0.55, 0.8, 0.7, 0.45, 0.18, 0.05])


@dataclass(frozen=True)
class Employment:
    """Wage rows (person, firm, year, quarter, cents) and separations that led to UI claims."""

    wages: pd.DataFrame
    claims: pd.DataFrame  # person, firm, filed, end (NaT = still paying), weekly benefit


def _target(age: np.ndarray) -> np.ndarray:
    i = np.searchsorted(_AGE_EDGES, age, side="right") - 1
    return np.where(i >= 0, _AGE_TARGET[np.clip(i, 0, len(_AGE_TARGET) - 1)], 0.0)


def build_employment(
    seed: int, pop: Population, firms: pd.DataFrame, on_benefit: np.ndarray, exited: np.ndarray
) -> Employment:
    """Simulate 12 quarters of jobs for everyone 16 and over who has an SSN."""
    rng = stream(seed, "employment")
    n = len(pop.people)
    qs = quarters()
    has_ssn = pop.people["ssn"].to_numpy() != ""
    employer_idx = np.flatnonzero(firms["fein"].to_numpy() != "")
    w = firms["size"].to_numpy()[employer_idx]
    w = w / w.sum()
    factor = np.where(rng.random(n) < 0.12, 0.0, rng.uniform(0.7, 1.3, n)) * has_ssn
    poverty = pop.households["poverty"].to_numpy()[pop.people["household"].to_numpy()]
    salary = rng.lognormal(np.log(50000), 0.5, n) * (1.15 - 0.6 * poverty)

    cur = np.full(n, -1)
    t0 = _target(age_on(pop.dob, qs[0][2])) * factor * np.where(on_benefit[:, 0], 0.6, 1.0)
    start = rng.random(n) < np.minimum(t0, 0.95)
    cur[start] = rng.choice(employer_idx, int(start.sum()), p=w)

    rows, seps = [], []
    for qi, (year, quarter, q_start, _) in enumerate(qs):
        age = age_on(pop.dob, q_start + 45)
        t = np.minimum(_target(age) * factor, 0.95)
        age_pay = np.select([age < 22, age < 30], [0.45, 0.8], 1.0)
        hire_p = SEPARATION * t / (1 - t)
        hire_p = np.where(on_benefit[:, qi], hire_p * 0.45, hire_p)
        recent_exit = exited[:, qi] | (exited[:, qi - 1] if qi else False)
        hire_p = np.where(recent_exit & (factor > 0) & (age >= 18), np.maximum(hire_p, 0.5), hire_p)
        employed = cur >= 0
        u = rng.random(n)
        sep = employed & (u < SEPARATION)
        change = employed & ~sep & (u < SEPARATION + JOB_CHANGE)
        new_firm = rng.choice(employer_idx, n, p=w)
        change &= new_firm != cur
        stay = employed & ~sep & ~change
        hire = ~employed & (t > 0) & (rng.random(n) < hire_p)
        frac = rng.uniform(0.1, 0.95, n)
        base = salary * age_pay / 4 * rng.uniform(0.9, 1.1, n)

        for mask, firm, share in (
            (stay, cur, np.ones(n)),
            (sep, cur, frac),
            (change, cur, frac),
            (change, new_firm, 1 - frac),
            (hire, new_firm, 1 - frac),
        ):
            idx = np.flatnonzero(mask)
            rows.append(
                pd.DataFrame(
                    {
                        "person": idx,
                        "firm": firm[idx],
                        "year": year,
                        "quarter": quarter,
                        "cents": np.maximum((base[idx] * share[idx] * 100).round(), 1500).astype(
                            np.int64
                        ),
                    }
                )
            )
        sep_idx = np.flatnonzero(sep)
        seps.append(
            pd.DataFrame(
                {
                    "person": sep_idx,
                    "firm": cur[sep_idx],
                    "date": q_start + (frac[sep_idx] * 90).astype(int),
                    "weekly_wage": base[sep_idx] * 4 / 52,
                }
            )
        )
        salary = np.where(change | hire, salary * rng.uniform(0.92, 1.25, n), salary)
        cur = np.where(sep, -1, np.where(change | hire, new_firm, cur))

    wages = pd.concat(rows, ignore_index=True)
    wages = wages.sort_values(["year", "quarter", "firm", "person"], kind="stable")
    separations = pd.concat(seps, ignore_index=True)
    claims = _claims(rng, separations)
    return Employment(wages=wages.reset_index(drop=True), claims=claims)


def _claims(rng: np.random.Generator, seps: pd.DataFrame) -> pd.DataFrame:
    """About a fifth of separations from a real job lead to a UI claim."""
    seps = seps[(seps["weekly_wage"] > 200) & (rng.random(len(seps)) < 0.19)].copy()
    sep_date = seps["date"].to_numpy().astype("datetime64[D]")
    filed = sep_date + rng.integers(1, 21, len(seps))
    weeks = np.minimum(rng.geometric(1 / 12, len(seps)), 26)
    end = filed + 7 * weeks
    keep = filed <= period_end()
    wba = np.clip((0.47 * seps["weekly_wage"].to_numpy()).round(), 51, 793)
    out = pd.DataFrame(
        {
            "person": seps["person"].to_numpy()[keep],
            "firm": seps["firm"].to_numpy()[keep],
            "filed": filed[keep],
            "end": np.where(end > period_end(), np.datetime64("NaT"), end)[keep],
            "wba": wba[keep],
        }
    )
    return out.sort_values(["filed", "person"], kind="stable").reset_index(drop=True)
