"""K-12 enrollment and graduation, postsecondary enrollment and completion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datalabs_pipelines.generator import industries, places
from datalabs_pipelines.generator.identifiers import random_ids
from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.timeline import (
    NAT,
    age_on,
    day,
    period_end,
    period_start,
    year_shift,
)

_SCHOOL_YEARS = (2022, 2023, 2024, 2025)  # fall of the school year, default period
# (code, first day, academic year label, regular term?)
_TERMS: tuple[tuple[str, str, str, bool], ...] = (
    ("2023SP", "2023-01-17", "2022-23", True),
    ("2023SU", "2023-06-05", "2022-23", False),
    ("2023FA", "2023-08-28", "2023-24", True),
    ("2024SP", "2024-01-16", "2023-24", True),
    ("2024SU", "2024-06-03", "2023-24", False),
    ("2024FA", "2024-08-26", "2024-25", True),
    ("2025SP", "2025-01-21", "2024-25", True),
    ("2025SU", "2025-06-02", "2024-25", False),
    ("2025FA", "2025-08-25", "2025-26", True),
)
DIPLOMAS = ("Regular", "Honors", "Alternative")
AWARDS = ("Certificate", "Associate", "Bachelor")


@dataclass(frozen=True)
class Schooling:
    k12: pd.DataFrame  # person, student_id, district, school, year, grade, entry, exit
    graduations: pd.DataFrame  # person, student_id, district, date, diploma
    ps_enroll: pd.DataFrame  # person, institution, record_id, term, academic_year, date
    ps_complete: pd.DataFrame  # person, institution, record_id, date, award, cip, academic_year


def school_years() -> tuple[int, ...]:
    """Falls of the school years that start within the period (moved with it)."""
    shifted = (y + year_shift() for y in _SCHOOL_YEARS)
    return tuple(y for y in shifted if day(f"{y}-08-12") <= period_end())


def graduates(year: int) -> bool:
    """Whether the period covers the end of May of ``year``, when high schools graduate."""
    return day(f"{year}-05-31") <= period_end()


def terms() -> tuple[tuple[str, str, str, bool], ...]:
    """Postsecondary terms (code, first day, academic year, regular?) starting in the period."""
    out = []
    for code, first, academic_year, regular in _TERMS:
        y, a = int(code[:4]) + year_shift(), int(academic_year[:4]) + year_shift()
        start = f"{y}{first[4:]}"
        if day(start) <= period_end():
            out.append((f"{y}{code[4:]}", start, f"{a}-{(a + 1) % 100:02d}", regular))
    return tuple(out)


def _districts() -> list[list[str]]:
    """District ids per county: Cook has five, bigger counties two, the rest one."""
    out = []
    for c in places.COUNTIES:
        k = 5 if c.weight > 20 else (2 if c.weight >= 2 else 1)
        out.append([f"{c.fips[2:]}{j + 1:04d}" for j in range(k)])
    return out


def _school(district: np.ndarray, grade: np.ndarray, hh: np.ndarray) -> np.ndarray:
    level = np.select([grade <= 5, grade <= 8], ["01", "02"], "03")
    n_elem = np.where(level == "01", hh % 3 + 1, 1)
    return np.array(
        [f"{d}{lv}{k:02d}" for d, lv, k in zip(district, level, n_elem, strict=True)], dtype=object
    )


def build_k12(seed: int, pop: Population) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per student per school (per year); graduations of 12th graders."""
    rng = stream(seed, "k12")
    n = len(pop.people)
    public = rng.random(n) < 0.9
    offset = rng.choice([-1, 0, 1], n, p=[0.06, 0.92, 0.02])
    student_id = random_ids(rng, n, "", 10)
    hh = pop.people["household"].to_numpy()
    districts = _districts()
    county_pos = {c.fips: i for i, c in enumerate(places.COUNTIES)}
    done = np.zeros(n, dtype=bool)
    rows, grads = [], []
    years = school_years()
    for y in years:
        grade = age_on(pop.dob, day(f"{y}-09-01")) - 5 + offset
        enrolled = public & ~done & (grade >= 0) & (grade <= 12)
        idx = np.flatnonzero(enrolled)
        g = grade[idx]
        dist_ids = []
        start_day = rng.integers(12, 22)
        entry = np.full(len(idx), day(f"{y}-08-{start_day:02d}"))
        exit_ = np.full(len(idx), day(f"{y + 1}-06-{int(rng.integers(1, 9)):02d}"))
        if y == years[-1]:
            exit_ = np.full(len(idx), NAT)
        drop = (g >= 9) & (rng.random(len(idx)) < 0.025)
        drop_date = entry + rng.integers(40, 230, len(idx))
        exit_ = np.where(drop, drop_date, exit_)
        # a mid-year move changes school: two rows
        move = pop.households["move_date"].to_numpy().astype("datetime64[D]")[hh[idx]]
        end_for_move = np.where(np.isnat(exit_), day(f"{y + 1}-06-01"), exit_)
        moving = ~np.isnat(move) & (move > entry) & (move < end_for_move)
        addr_start = pop.address_at(idx, entry)
        addr_move = pop.address_at(idx, np.where(moving, move, entry))
        for addr in (addr_start, addr_move):
            ci = np.array([county_pos[c] for c in addr["county"]])
            dist_ids.append(
                np.array(
                    [districts[c][h % len(districts[c])] for c, h in zip(ci, hh[idx], strict=True)],
                    dtype=object,
                )
            )
        first = pd.DataFrame(
            {
                "person": idx,
                "district": dist_ids[0],
                "school": _school(dist_ids[0], g, hh[idx]),
                "year": y,
                "grade": g,
                "entry": entry,
                "exit": np.where(moving, move - 1, exit_),
            }
        )
        second = pd.DataFrame(
            {
                "person": idx,
                "district": dist_ids[1],
                "school": _school(dist_ids[1], g, hh[idx] + 1),
                "year": y,
                "grade": g,
                "exit": exit_,
                "entry": np.where(
                    np.isnat(exit_),
                    move + rng.integers(1, 10, len(idx)),
                    np.minimum(move + rng.integers(1, 10, len(idx)), exit_),
                ),
            }
        )[moving]
        rows += [first, second]
        senior = (g == 12) & ~drop
        if graduates(y + 1):
            grad = senior & (rng.random(len(idx)) < 0.93)
            gi = idx[grad]
            gdate = day(f"{y + 1}-05-{int(rng.integers(18, 31)):02d}")
            grads.append(
                pd.DataFrame(
                    {
                        "person": gi,
                        "district": dist_ids[1][grad],
                        "date": gdate,
                        "diploma": np.array(DIPLOMAS)[rng.choice(3, len(gi), p=[0.78, 0.17, 0.05])],
                    }
                )
            )
        done[idx[senior | drop]] = True
    k12 = pd.concat(rows, ignore_index=True).sort_values(
        ["year", "school", "person"], kind="stable"
    )
    k12["student_id"] = student_id[k12["person"].to_numpy()]
    gr = pd.concat(grads, ignore_index=True)
    gr["student_id"] = student_id[gr["person"].to_numpy()]
    return k12.reset_index(drop=True), gr


def build_postsecondary(
    seed: int, pop: Population, graduations: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Term enrollments and completions for graduates (~60% enroll) and adult students."""
    rng = stream(seed, "postsecondary")
    n = len(pop.people)
    term_list = terms()
    term_start = np.array([day(t[1]) for t in term_list])
    fall_idx = {int(t[0][:4]): i for i, t in enumerate(term_list) if t[0].endswith("FA")}
    poverty = pop.households["poverty"].to_numpy()[pop.people["household"].to_numpy()]

    # episodes: person, first term index, prior regular terms
    gp = graduations["person"].to_numpy()
    gyear = graduations["date"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    goes = rng.random(len(gp)) < np.clip(0.78 - 0.35 * poverty[gp], 0.2, 0.9)
    delay = rng.choice([0, 1, 2, 3], len(gp), p=[0.68, 0.1, 0.1, 0.12])  # in regular terms
    regular = np.array([i for i, t in enumerate(term_list) if t[3]])
    first_pos = np.array([np.searchsorted(regular, fall_idx.get(y, 99)) for y in gyear]) + delay
    ok = goes & (first_pos < len(regular))
    ep_person = gp[ok]
    ep_term = regular[first_pos[ok]]
    ep_prior = np.zeros(len(ep_person), dtype=int)

    age = age_on(pop.dob, period_start())
    adult = np.flatnonzero((age >= 19) & (age <= 45) & (rng.random(n) < 0.045))
    ep_person = np.concatenate([ep_person, adult])
    ep_term = np.concatenate(
        [
            ep_term,
            np.where(
                rng.random(len(adult)) < 0.7, 0, regular[rng.integers(0, len(regular), len(adult))]
            ),
        ]
    )
    ep_prior = np.concatenate([ep_prior, rng.integers(0, 7, len(adult))])
    m = len(ep_person)
    four_year = rng.random(m) < 0.55
    cert_track = ~four_year & (rng.random(m) < 0.2)
    inst2 = [i for i, t in enumerate(industries.INSTITUTIONS) if t[2] == 2]
    inst4 = [i for i, t in enumerate(industries.INSTITUTIONS) if t[2] == 4]
    inst = np.where(
        four_year,
        np.array(inst4)[rng.integers(0, len(inst4), m)],
        np.array(inst2)[rng.integers(0, len(inst2), m)],
    )
    cip = np.array(industries.CIP_CODES)[rng.integers(0, len(industries.CIP_CODES), m)]

    enroll, complete = [], []
    active = np.zeros(m, dtype=bool)
    done_terms = ep_prior.copy()
    stopped = np.zeros(m, dtype=bool)
    for ti, (code, _start, ay, is_regular) in enumerate(term_list):
        starting = (ep_term == ti) & ~stopped
        if is_regular:
            persist = np.where(code.endswith("SP"), 0.86, 0.74)
            cont = active & (rng.random(m) < persist)
            stopped |= active & ~cont
            active = cont | starting
            idx = np.flatnonzero(active)
            done_terms[idx] += 1
        else:
            idx = np.flatnonzero(active & (rng.random(m) < 0.15))
        enroll.append(
            pd.DataFrame(
                {"episode": idx, "term": code, "academic_year": ay, "date": term_start[ti]}
            )
        )
        if code.endswith("SP") or code.endswith("FA"):
            need = np.select([cert_track, ~four_year], [2, 4], 8)
            fin = active & (done_terms >= need) & (rng.random(m) < 0.7)
            fi = np.flatnonzero(fin)
            level = np.select([cert_track[fi], ~four_year[fi]], [0, 1], 2)
            end = term_start[ti] + np.where(code.endswith("SP"), 115, 110)
            complete.append(
                pd.DataFrame(
                    {
                        "episode": fi,
                        "date": end + rng.integers(0, 10, len(fi)),
                        "award": np.array(AWARDS)[level],
                        "academic_year": ay,
                    }
                )
            )
            active &= ~fin
            stopped |= fin
    en = pd.concat(enroll, ignore_index=True)
    co = pd.concat(complete, ignore_index=True)
    co = co[co["date"].to_numpy().astype("datetime64[D]") <= period_end()]
    record_id = random_ids(rng, m, "", 8)
    for frame in (en, co):
        e = frame["episode"].to_numpy()
        frame["person"] = ep_person[e]
        frame["institution"] = np.array([t[0] for t in industries.INSTITUTIONS])[inst[e]]
        frame["record_id"] = [
            f"{p}{r}" for p, r in zip(np.where(four_year[e], "U", "C"), record_id[e], strict=True)
        ]
        frame["cip"] = cip[e]
    return en.reset_index(drop=True), co.reset_index(drop=True)


def build_schooling(seed: int, pop: Population) -> Schooling:
    k12, grads = build_k12(seed, pop)
    en, co = build_postsecondary(seed, pop, grads)
    return Schooling(k12=k12, graduations=grads, ps_enroll=en, ps_complete=co)
