"""Synthetic firms: legal names, DBAs, FEINs, addresses, NAICS and ownership."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalabs_pipelines.generator import industries, names, places
from datalabs_pipelines.generator.identifiers import feins, phones
from datalabs_pipelines.generator.population import _addresses
from datalabs_pipelines.generator.rng import pick, stream, zipf_weights
from datalabs_pipelines.generator.timeline import period_end, period_start

OWNERSHIP = ("minority_owned", "women_owned", "veteran_owned", "disability_owned")
OWNERSHIP_RATES = (0.16, 0.13, 0.045, 0.02)


def _base_names(
    rng: np.random.Generator, n: int, trade: np.ndarray, minority: np.ndarray
) -> np.ndarray:
    trade_word = np.array([industries.TRADES[t][1] for t in trade], dtype=object)
    place = pick(rng, industries.PLACE_WORDS, n)
    place2 = pick(rng, industries.PLACE_WORDS, n)
    sur = pick(rng, names.SURNAMES, n, zipf_weights(len(names.SURNAMES), 0.4))
    sur2 = pick(rng, names.SURNAMES, n, zipf_weights(len(names.SURNAMES), 0.4))
    hsur = pick(rng, names.HISPANIC_SURNAMES, n)
    group = pick(rng, industries.GROUP_WORDS, n)
    letters = pick(rng, tuple("ABCDEFGHJKLMNPRSTW"), n)
    letters2 = pick(rng, tuple("ABCDEFGHJKLMNPRSTW"), n)
    pattern = rng.choice(8, n, p=[0.22, 0.07, 0.1, 0.18, 0.1, 0.05, 0.18, 0.1])
    pattern = np.where(minority & (rng.random(n) < 0.4), 7, pattern)
    out = np.empty(n, dtype=object)
    for i in range(n):
        p = pattern[i]
        if p == 0:
            out[i] = f"{place[i]} {trade_word[i]}"
        elif p == 1:
            out[i] = f"{letters[i]} & {letters2[i]} {trade_word[i]}"
        elif p == 2:
            out[i] = f"The {sur[i]} {group[i]}"
        elif p == 3:
            out[i] = f"{sur[i]} {trade_word[i]}"
        elif p == 4:
            partners = "Associates" if rng.random() < 0.6 else "Partners"
            out[i] = (
                f"{sur[i]}, {sur2[i]} & {partners}"
                if rng.random() < 0.4
                else f"{sur[i]} & {sur2[i]} {trade_word[i]}"
            )
        elif p == 5:
            out[i] = f"{sur[i]} & Sons {trade_word[i]}"
        elif p == 6:
            out[i] = f"{place[i]} {trade_word[i]} {group[i]}"
        else:
            out[i] = (
                f"{hsur[i]} {trade_word[i]}"
                if rng.random() < 0.7
                else f"{hsur[i]} & {place2[i]} {group[i]}"
            )
    return out


def build_firms(seed: int, n_firms: int) -> pd.DataFrame:
    """One row per firm with its true attributes (the truth behind vendor and registry rows)."""
    rng = stream(seed, "businesses")
    n = n_firms
    trade = rng.choice(len(industries.TRADES), n, p=zipf_weights(len(industries.TRADES), 0.3))
    flags = {k: rng.random(n) < r for k, r in zip(OWNERSHIP, OWNERSHIP_RATES, strict=True)}
    base = _base_names(rng, n, trade, flags["minority_owned"])
    for _ in range(5):
        dup = pd.Series(base).duplicated().to_numpy()
        if not dup.any():
            break
        k = int(dup.sum())
        base[dup] = [
            f"{p} {b}" for p, b in zip(pick(rng, industries.PLACE_WORDS, k), base[dup], strict=True)
        ]
    suffix = pick(rng, industries.LEGAL_SUFFIXES, n, np.array(industries.LEGAL_SUFFIX_WEIGHTS))
    comma = rng.random(n) < 0.3
    legal = np.array(
        [
            b if not s else (f"{b}, {s}" if c else f"{b} {s}")
            for b, s, c in zip(base, suffix, comma, strict=True)
        ],
        dtype=object,
    )
    legal = pd.Series(legal)
    dup = legal.duplicated(keep="first").to_numpy()
    legal[dup] = [f"{v} ({i})" for i, v in zip(np.flatnonzero(dup), legal[dup], strict=True)]
    has_dba = rng.random(n) < 0.15
    dba = np.where(
        has_dba,
        [
            f"{p} {industries.TRADES[t][1]}"
            for p, t in zip(pick(rng, industries.PLACE_WORDS, n), trade, strict=True)
        ],
        "",
    )
    fein = feins(rng, n)
    addr = _addresses(rng, n)
    area = np.array(
        [
            places.COUNTIES[c].area_codes[int(u * len(places.COUNTIES[c].area_codes))]
            for c, u in zip(addr["county_idx"], rng.random(n), strict=True)
        ],
        dtype=object,
    )
    # a certified firm holds at least one certification in a category it qualifies for
    cert_p = np.array([0.55, 0.5, 0.55, 0.6])
    certified = {k: flags[k] & (rng.random(n) < p) for k, p in zip(OWNERSHIP, cert_p, strict=True)}
    df = pd.DataFrame(
        {
            "firm_id": [f"F{i + 1:06d}" for i in range(n)],
            "legal_name": legal.to_numpy(),
            "dba_name": dba,
            "fein": fein,
            "street": [s.replace(" Apt ", " Suite ") for s in addr["street"]],
            "city": addr["city"],
            "zip": addr["zip"],
            "county": addr["county"],
            "phone": phones(rng, area),
            "naics": [industries.TRADES[t][0] for t in trade],
            "trade": trade,
            "size": rng.lognormal(0, 1.3, n),
            **flags,
            **{f"certified_{k.removesuffix('_owned')}": v for k, v in certified.items()},
        }
    )
    df["is_vendor"] = rng.random(n) < 0.85
    # registered within the period (a period ending early in its year is shorter than three
    # years: a later date would be after the extract's own run date) or before it
    days = min(3 * 365, int((period_end() - period_start()) / np.timedelta64(1, "D")))
    df["registered"] = (
        period_start()
        + np.where(
            rng.random(n) < 0.15, rng.integers(0, days - 10, n), -rng.integers(1, 12 * 365, n)
        )
    ).astype("datetime64[D]")
    return df
