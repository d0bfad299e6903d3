"""Safety-net enrollment spells: SNAP and TANF by household, Medicaid by person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datalabs_pipelines.generator.identifiers import random_ids
from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.timeline import (
    NAT,
    age_on,
    period_end,
    period_start,
    years,
)

HISTORY_YEARS = 3  # spells may start this many calendar years before the period


@dataclass(frozen=True)
class Program:
    """Spells of one program: one row per person per spell."""

    name: str
    spells: pd.DataFrame  # person, case_id, member_id, start, end (NaT = open)


def simulate_spells(
    rng: np.random.Generator, units: np.ndarray, mean_days: float, churn_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1-3 spells per unit with exponential durations; a share of the gaps are churn (<90 days).

    Returns (unit, start, end) of spells that overlap the period; ends after it are open (NaT).
    """
    n = len(units)
    history_start = np.datetime64(f"{years()[0] - HISTORY_YEARS}-01-01")
    first = history_start + rng.integers(0, (period_end() - history_start).astype(int) - 60, n)
    k = rng.choice([1, 2, 3], n, p=[0.62, 0.28, 0.1])
    out_u, out_s, out_e = [], [], []
    start = first.astype("datetime64[D]")
    alive = np.ones(n, dtype=bool)
    for i in range(3):
        dur = (60 + rng.exponential(mean_days, n)).astype(int)
        end = start + dur
        keep = alive & (i < k)
        out_u.append(units[keep])
        out_s.append(start[keep])
        out_e.append(end[keep])
        churn = rng.random(n) < churn_share
        gap = np.where(churn, rng.integers(14, 90, n), rng.integers(120, 900, n))
        start = end + gap
        alive = keep & (start <= period_end())
    u, s, e = (np.concatenate(x) for x in (out_u, out_s, out_e))
    overlap = (s <= period_end()) & (e >= period_start())
    u, s, e = u[overlap], s[overlap], e[overlap]
    e = np.where(e > period_end(), NAT, e)
    return u, s.astype("datetime64[D]"), e.astype("datetime64[D]")


def _member_rows(
    pop: Population,
    hh_units: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    case_ids: np.ndarray,
    member_filter: np.ndarray,
) -> pd.DataFrame:
    """Expand household spells to the household members that pass ``member_filter``."""
    people = pop.people
    hh_of = people["household"].to_numpy()
    order = np.argsort(hh_of, kind="stable")
    bounds = np.searchsorted(hh_of[order], np.arange(len(pop.households) + 1))
    counts = bounds[hh_units + 1] - bounds[hh_units]
    spell = np.repeat(np.arange(len(hh_units)), counts)
    offsets = np.arange(len(spell)) - np.repeat(np.cumsum(counts) - counts, counts)
    person = order[bounds[hh_units][spell] + offsets]
    dob = pop.dob[person]
    s = np.maximum(start[spell], dob)  # babies join at birth
    e = end[spell]
    keep = member_filter[person] & (np.isnat(e) | (s <= e))
    return pd.DataFrame(
        {
            "person": person[keep],
            "case_id": case_ids[hh_units[spell[keep]]],
            "start": s[keep],
            "end": e[keep],
        }
    )


def _assign_member_ids(
    rng: np.random.Generator, spells: pd.DataFrame, n_people: int, prefix: str
) -> pd.DataFrame:
    ids = random_ids(rng, n_people, prefix, 8)
    spells = spells.sort_values(["case_id", "start", "person"], kind="stable")
    spells["member_id"] = ids[spells["person"].to_numpy()]
    return spells.reset_index(drop=True)


def build_programs(seed: int, pop: Population) -> dict[str, Program]:
    """SNAP (~15% of people), TANF (~3%), Medicaid (~20%, overlapping SNAP)."""
    rng = stream(seed, "programs")
    hh = pop.households
    n_h, n_p = len(hh), len(pop.people)
    poverty = hh["poverty"].to_numpy()
    everyone = np.ones(n_p, dtype=bool)

    snap_h = np.flatnonzero(rng.random(n_h) < np.clip(1.2 * poverty**2.2, 0, 0.9))
    u, s, e = simulate_spells(rng, snap_h, 420, 0.3)
    snap_case = random_ids(rng, n_h, "S", 9)
    snap = _member_rows(pop, u, s, e, snap_case, everyone)
    snap = _assign_member_ids(rng, snap, n_p, "SM")

    kids = hh["n_kids"].to_numpy() > 0
    tanf_p = np.where(kids & np.isin(np.arange(n_h), snap_h), np.clip(poverty - 0.3, 0, 1), 0)
    tanf_h = np.flatnonzero(rng.random(n_h) < tanf_p * 1.2)
    u, s, e = simulate_spells(rng, tanf_h, 260, 0.2)
    tanf_case = random_ids(rng, n_h, "T", 9)
    head_or_kid = pop.people["head"].to_numpy() | ~pop.people["adult"].to_numpy()
    tanf = _member_rows(pop, u, s, e, tanf_case, head_or_kid)
    tanf = _assign_member_ids(rng, tanf, n_p, "TM")

    # Medicaid: most SNAP members, plus children (CHIP), older adults and others, by person
    med_case = random_ids(rng, n_h, "M", 9)
    from_snap = snap[rng.random(len(snap)) < 0.8].copy()
    starts = from_snap["start"].to_numpy().astype("datetime64[D]")
    from_snap["start"] = starts - rng.integers(0, 45, len(from_snap))
    ends = from_snap["end"].to_numpy().astype("datetime64[D]")
    ends = ends + rng.integers(0, 150, len(from_snap))
    from_snap["end"] = np.where(ends > period_end(), NAT, ends)
    from_snap["case_id"] = med_case[pop.people["household"].to_numpy()[from_snap["person"]]]
    on_snap = np.zeros(n_p, dtype=bool)
    on_snap[snap["person"].to_numpy()] = True
    age = age_on(pop.dob, period_end())
    pov_p = poverty[pop.people["household"].to_numpy()]
    p_other = np.where(age < 19, 0.55 * pov_p, np.where(age >= 65, 0.45 * pov_p, 0.13 * pov_p))
    others = np.flatnonzero(~on_snap & (rng.random(n_p) < p_other))
    u, s, e = simulate_spells(rng, others, 600, 0.25)
    s = np.maximum(s, pop.dob[u])
    other = pd.DataFrame(
        {
            "person": u,
            "case_id": med_case[pop.people["household"].to_numpy()[u]],
            "start": s,
            "end": e,
        }
    )
    other = other[other["end"].isna() | (other["start"] <= other["end"])]
    medicaid = pd.concat([from_snap.drop(columns="member_id"), other], ignore_index=True)
    medicaid = _assign_member_ids(rng, medicaid, n_p, "MM")
    return {
        "snap": Program("snap", snap),
        "tanf": Program("tanf", tanf),
        "medicaid": Program("medicaid", medicaid),
    }


def on_program_by_quarter(
    programs: list[Program],
    n_people: int,
    quarters: list[tuple[int, int, np.datetime64, np.datetime64]],
) -> tuple[np.ndarray, np.ndarray]:
    """(on[n, Q], exited[n, Q]): enrolled at any time in the quarter; a spell ended in it."""
    on = np.zeros((n_people, len(quarters)), dtype=bool)
    exited = np.zeros_like(on)
    for prog in programs:
        p = prog.spells["person"].to_numpy()
        s = prog.spells["start"].to_numpy().astype("datetime64[D]")
        e = prog.spells["end"].to_numpy().astype("datetime64[D]")
        e_open = np.where(np.isnat(e), np.datetime64("2099-12-31"), e)
        for qi, (_, _, qs, qe) in enumerate(quarters):
            on[p[(s <= qe) & (e_open >= qs)], qi] = True
            exited[p[(e_open >= qs) & (e_open <= qe)], qi] = True
    return on, exited
