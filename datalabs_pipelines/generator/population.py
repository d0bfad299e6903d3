"""The synthetic population: households with addresses (some move once), and their people."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datalabs_pipelines.generator import names, places
from datalabs_pipelines.generator.identifiers import ssns
from datalabs_pipelines.generator.rng import pick, stream, zipf_weights
from datalabs_pipelines.generator.timeline import period_end, period_start, uniform_dates

RACES = ("W", "B", "A", "I", "P", "M")  # White, Black, Asian, Am. Indian, Pac. Isl., multiracial
RACE_P_NON_HISPANIC = (0.66, 0.2, 0.085, 0.006, 0.002, 0.047)
RACE_P_HISPANIC = (0.7, 0.04, 0.005, 0.03, 0.005, 0.22)


@dataclass(frozen=True)
class Population:
    """People (row i = person index i) and the households they live in."""

    people: pd.DataFrame
    households: pd.DataFrame

    @property
    def dob(self) -> np.ndarray:
        """Dates of birth as datetime64[D]."""
        return self.people["dob"].to_numpy().astype("datetime64[D]")

    def address_at(self, person_idx: np.ndarray, dates: np.ndarray) -> pd.DataFrame:
        """Street, city, ZIP and county FIPS of each person's household on each date."""
        hh = self.households.iloc[self.people["household"].to_numpy()[person_idx]]
        moved = ~np.isnat(hh["move_date"].to_numpy()) & (
            np.asarray(dates, dtype="datetime64[D]") >= hh["move_date"].to_numpy()
        )
        out = {}
        for col in ("street", "city", "zip", "county"):
            out[col] = np.where(moved, hh[f"{col}2"].to_numpy(), hh[f"{col}1"].to_numpy())
        return pd.DataFrame(out)


def _addresses(rng: np.random.Generator, n: int, county_idx: np.ndarray | None = None) -> dict:
    weights = np.array([c.weight for c in places.COUNTIES])
    if county_idx is None:
        county_idx = rng.choice(len(places.COUNTIES), size=n, p=weights / weights.sum())
    city, zipc, fips = (np.empty(n, dtype=object) for _ in range(3))
    for ci, county in enumerate(places.COUNTIES):
        sel = np.flatnonzero(county_idx == ci)
        if not len(sel):
            continue
        cw = zipf_weights(len(county.cities), 1.2)
        k = rng.choice(len(county.cities), size=len(sel), p=cw)
        city[sel] = [county.cities[j][0] for j in k]
        zipc[sel] = [
            county.cities[j][1][int(u * len(county.cities[j][1]))]
            for j, u in zip(k, rng.random(len(sel)), strict=True)
        ]
        fips[sel] = county.fips
    number = rng.integers(100, 9900, n)
    direction = pick(rng, names.STREET_DIRECTIONS, n)
    street = pick(rng, names.STREET_NAMES, n, zipf_weights(len(names.STREET_NAMES), 0.5))
    suffix = pick(rng, names.STREET_SUFFIXES, n, zipf_weights(len(names.STREET_SUFFIXES), 0.7))
    apt = rng.random(n) < 0.25
    unit = rng.integers(1, 40, n)
    letter = pick(rng, tuple("ABCD"), n)
    lines = [
        f"{num} {d + ' ' if d else ''}{s} {x}" + (f" Apt {u}{ltr}" if a else "")
        for num, d, s, x, a, u, ltr in zip(
            number, direction, street, suffix, apt, unit, letter, strict=True
        )
    ]
    return {
        "street": np.array(lines, dtype=object),
        "city": city,
        "zip": zipc,
        "county": fips,
        "county_idx": county_idx,
    }


def _first_names(rng: np.random.Generator, sex: np.ndarray, hispanic: np.ndarray) -> np.ndarray:
    n = len(sex)
    pools = {
        ("M", False): names.MALE_FIRST,
        ("F", False): names.FEMALE_FIRST,
        ("M", True): names.HISPANIC_MALE_FIRST,
        ("F", True): names.HISPANIC_FEMALE_FIRST,
    }
    use_hisp = hispanic & (rng.random(n) < 0.75)
    out = np.empty(n, dtype=object)
    for (s, h), pool in pools.items():
        sel = (sex == s) & (use_hisp == h)
        out[sel] = pick(rng, pool, int(sel.sum()), zipf_weights(len(pool), 0.7))
    return out


def build_population(seed: int, n_people: int) -> Population:
    """Households and people; deterministic for a seed and size."""
    rng = stream(seed, "population")
    n_h = int(n_people / 2.2) + 50
    elderly = rng.random(n_h) < 0.2
    n_adults = np.where(
        elderly,
        rng.choice([1, 2], n_h, p=[0.55, 0.45]),
        rng.choice([1, 2, 3], n_h, p=[0.42, 0.5, 0.08]),
    )
    head_age = np.where(elderly, rng.integers(65, 86, n_h), rng.integers(18, 65, n_h))
    can_kids = ~elderly & (head_age >= 20) & (head_age <= 58)
    n_kids = np.where(
        can_kids, rng.choice([0, 1, 2, 3, 4], n_h, p=[0.38, 0.24, 0.23, 0.1, 0.05]), 0
    )
    size = n_adults + n_kids
    last = np.searchsorted(np.cumsum(size), n_people)
    n_h = int(last) + 1
    size, n_adults, n_kids, head_age = size[:n_h], n_adults[:n_h], n_kids[:n_h], head_age[:n_h]
    hh = np.repeat(np.arange(n_h), size)[:n_people]
    pos = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)[:n_people]
    role_adult = pos < n_adults[hh]
    n = len(hh)

    # ages at the end of the period
    ha = head_age[hh]
    second = np.clip(ha + rng.normal(0, 4, n).round().astype(int), 18, 85)
    third = np.where(ha < 50, rng.integers(60, 86, n), rng.integers(18, 26, n))
    adult_age = np.select([pos == 0, pos == 1], [ha, second], third)
    kid_age = np.minimum(rng.integers(0, 18, n), np.maximum(ha - 18, 0))
    age = np.where(role_adult, adult_age, kid_age)
    dob = period_end() - (age * 365.25).astype(int) - rng.integers(0, 365, n)
    dob = dob.astype("datetime64[D]")

    # household-level attributes
    hisp_h = rng.random(n_h) < 0.17
    race_h = np.where(
        hisp_h,
        rng.choice(len(RACES), n_h, p=RACE_P_HISPANIC),
        rng.choice(len(RACES), n_h, p=RACE_P_NON_HISPANIC),
    )
    surname_h = np.where(
        hisp_h,
        pick(rng, names.HISPANIC_SURNAMES, n_h, zipf_weights(len(names.HISPANIC_SURNAMES), 0.6)),
        pick(rng, names.SURNAMES, n_h, zipf_weights(len(names.SURNAMES), 0.6)),
    )
    single_parent = (n_adults == 1) & (n_kids > 0)
    poverty = np.clip(
        rng.beta(2, 5, n_h) + 0.25 * single_parent + 0.1 * hisp_h + 0.12 * (race_h == 1), 0, 1
    )

    head_sex = np.where(rng.random(n_h) < 0.5, "M", "F")
    flip = np.where(head_sex[hh] == "M", "F", "M")
    sex = np.where(
        pos == 0,
        head_sex[hh],
        np.where((pos == 1) & (rng.random(n) < 0.9), flip, np.where(rng.random(n) < 0.5, "M", "F")),
    )
    hispanic = hisp_h[hh]
    other_last = np.where(
        hispanic, pick(rng, names.HISPANIC_SURNAMES, n), pick(rng, names.SURNAMES, n)
    )
    last_name = np.where(rng.random(n) < 0.87, surname_h[hh], other_last)
    first = _first_names(rng, sex, hispanic)
    middle = _first_names(rng, sex, hispanic)
    middle = np.where((rng.random(n) < 0.72) & (middle != first), middle, "")
    race = np.array(RACES, dtype=object)[
        np.where(rng.random(n) < 0.95, race_h[hh], rng.integers(0, len(RACES), n))
    ]
    ssn = ssns(rng, n)
    ssn[rng.random(n) < 0.03] = ""

    a1 = _addresses(rng, n_h)
    moves = rng.random(n_h) < 0.1
    same_county = rng.random(n_h) < 0.7
    a2 = _addresses(
        rng,
        n_h,
        np.where(same_county, a1["county_idx"], rng.integers(0, len(places.COUNTIES), n_h)),
    )
    move_date = np.where(
        moves, uniform_dates(rng, period_start() + 31, period_end() - 31, n_h), np.datetime64("NaT")
    )
    households = pd.DataFrame(
        {
            "household_id": [f"H{i + 1:07d}" for i in range(n_h)],
            "poverty": poverty,
            "hispanic": hisp_h,
            "n_adults": n_adults,
            "n_kids": n_kids,
            "street1": a1["street"],
            "city1": a1["city"],
            "zip1": a1["zip"],
            "county1": a1["county"],
            "street2": a2["street"],
            "city2": a2["city"],
            "zip2": a2["zip"],
            "county2": a2["county"],
            "move_date": move_date.astype("datetime64[D]"),
        }
    )
    people = pd.DataFrame(
        {
            "person_id": [f"P{i + 1:07d}" for i in range(n)],
            "first": first,
            "middle": middle,
            "last": last_name,
            "sex": sex,
            "race": race,
            "ethnicity": np.where(hispanic, "H", "N"),
            "dob": dob,
            "ssn": ssn,
            "household": hh,
            "adult": role_adult,
            "head": pos == 0,
        }
    )
    return Population(people=people, households=households)
