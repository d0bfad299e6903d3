"""State spending with firms: vendor records, contract awards, payments, certifications."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datalabs_pipelines.generator import industries, timeline
from datalabs_pipelines.generator.businesses import OWNERSHIP
from datalabs_pipelines.generator.defects import business_name_variant
from datalabs_pipelines.generator.identifiers import random_ids
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.timeline import day, period_end, quarters, year_shift

AGENCY_CODES = np.array([a for a, _ in industries.AGENCIES], dtype=object)
AGENCY_P = np.array([w for _, w in industries.AGENCIES]) / sum(w for _, w in industries.AGENCIES)
# Certifying bodies: (file tag, name, certification types)
BODIES = (
    ("bep", "CMS Business Enterprise Program", ("MBE", "WBE", "PBE")),
    ("vbp", "CMS Veterans Business Program", ("VBE",)),
    ("ucp", "Illinois Unified Certification Program", ("DBE",)),
)


@dataclass(frozen=True)
class Spending:
    vendors: pd.DataFrame  # vendor_id, firm, name, dba, fein, registered, duplicate
    awards: pd.DataFrame  # award_id, contract_id, vendor_id, agency, date, amount, naics, desc
    payments: pd.DataFrame  # payment_id, vendor_id, agency, date, amount, naics, contract, void_of
    certifications: pd.DataFrame  # cert_id, firm, body, type, start, end, name, bad


def build_vendors(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """One vendor record per vendor firm, plus a second record for ~4% of them."""
    v = np.flatnonzero(firms["is_vendor"].to_numpy())
    dup = v[rng.random(len(v)) < 0.04]
    firm = np.concatenate([v, dup])
    is_dup = np.r_[np.zeros(len(v), bool), np.ones(len(dup), bool)]
    names = firms["legal_name"].to_numpy()[firm].copy()
    names[is_dup] = [business_name_variant(rng, s) for s in names[is_dup]]
    reg = firms["registered"].to_numpy().astype("datetime64[D]")[firm]
    later = reg + rng.integers(30, 2000, len(firm))
    reg = np.where(is_dup, np.minimum(later, period_end() - 30), reg)
    fein = firms["fein"].to_numpy()[firm].copy()
    fein[rng.random(len(firm)) < np.where(is_dup, 0.4, 0.07)] = ""
    out = (
        pd.DataFrame(
            {
                "firm": firm,
                "name": names,
                "dba": firms["dba_name"].to_numpy()[firm],
                "fein": fein,
                "registered": reg,
                "duplicate": is_dup,
            }
        )
        .sort_values(["registered", "firm"], kind="stable")
        .reset_index(drop=True)
    )
    out.insert(0, "vendor_id", random_ids(rng, len(out), "V", 7))
    return out


def _equity_multiplier(firms: pd.DataFrame) -> np.ndarray:
    owned = np.zeros(len(firms), dtype=bool)
    for k in OWNERSHIP:
        owned |= firms[k].to_numpy()
    return np.where(owned, 0.65, 1.0)


def build_spending(seed: int, firms: pd.DataFrame) -> Spending:
    rng = stream(seed, "spending")
    vendors = build_vendors(rng, firms)
    n_firms = len(firms)
    typical = np.array([t[3] for t in industries.TRADES])
    trade = firms["trade"].to_numpy()
    mult = _equity_multiplier(firms)
    vf = vendors["firm"].to_numpy()
    weight = firms["size"].to_numpy()[vf] ** 0.7 * mult[vf]
    home_agency = rng.choice(AGENCY_CODES, len(vendors), p=AGENCY_P)

    # contract awards
    award_rows = []
    for y in timeline.years():
        k = max(5, round(0.1 * n_firms))
        vi = rng.choice(len(vendors), k, p=weight / weight.sum())
        date = day(f"{y}-01-01") + rng.integers(0, 365, k)
        amount = np.round(rng.lognormal(np.log(typical[trade[vf[vi]]] * 8), 0.8), -2)
        award_rows.append(
            pd.DataFrame(
                {
                    "vendor": vi,
                    "date": date,
                    "amount": amount,
                    "agency": np.where(
                        rng.random(k) < 0.7,
                        home_agency[vi],
                        rng.choice(AGENCY_CODES, k, p=AGENCY_P),
                    ),
                    "term_days": rng.choice([365, 730, 1095], k),
                }
            )
        )
    awards = pd.concat(award_rows, ignore_index=True)
    awards = awards[awards["date"].to_numpy().astype("datetime64[D]") <= period_end()]
    awards = awards[
        awards["date"].to_numpy().astype("datetime64[D]")
        >= vendors["registered"].to_numpy().astype("datetime64[D]")[awards["vendor"]]
    ]
    awards = awards.sort_values(["date", "vendor"], kind="stable").reset_index(drop=True)
    awards["vendor_id"] = vendors["vendor_id"].to_numpy()[awards["vendor"]]
    awards["naics"] = firms["naics"].to_numpy()[vf[awards["vendor"]]]
    awards["description"] = [industries.TRADES[t][2] for t in trade[vf[awards["vendor"]]]]
    years = awards["date"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    awards["contract_id"] = [
        f"CT{y % 100:02d}{a}{i:05d}"
        for i, (y, a) in enumerate(zip(years, awards["agency"], strict=True))
    ]
    awards["award_id"] = [f"AW{i + 1:07d}" for i in range(len(awards))]

    payments = _payments(rng, firms, vendors, awards, weight, home_agency)
    certs = _certifications(rng, firms)
    return Spending(vendors=vendors, awards=awards, payments=payments, certifications=certs)


def _payments(
    rng: np.random.Generator,
    firms: pd.DataFrame,
    vendors: pd.DataFrame,
    awards: pd.DataFrame,
    weight: np.ndarray,
    home_agency: np.ndarray,
) -> pd.DataFrame:
    typical = np.array([t[3] for t in industries.TRADES])
    trade = firms["trade"].to_numpy()
    vf = vendors["firm"].to_numpy()
    reg = vendors["registered"].to_numpy().astype("datetime64[D]")
    lam = 1.6 * weight / weight.mean()
    frames = []
    for _, _, qs, qe in quarters():
        k = rng.poisson(lam)
        vi = np.repeat(np.arange(len(vendors)), k)
        date = qs + rng.integers(0, int((qe - qs).astype(int)) + 1, len(vi))
        ok = date >= reg[vi]
        vi, date = vi[ok], date[ok]
        frames.append(pd.DataFrame({"vendor": vi, "date": date}))
    p = pd.concat(frames, ignore_index=True)
    vi = p["vendor"].to_numpy()
    date = p["date"].to_numpy().astype("datetime64[D]")
    n = len(p)
    p["amount"] = np.round(rng.lognormal(np.log(typical[trade[vf[vi]]]), 0.9), 2)
    p["agency"] = np.where(
        rng.random(n) < 0.7, home_agency[vi], rng.choice(AGENCY_CODES, n, p=AGENCY_P)
    )
    all_naics = np.array([t[0] for t in industries.TRADES])
    other_naics = all_naics[rng.integers(0, len(all_naics), n)]
    p["naics"] = np.where(rng.random(n) < 0.85, firms["naics"].to_numpy()[vf[vi]], other_naics)
    # payments under an active contract of the same vendor
    a_v = awards["vendor"].to_numpy()
    a_s = awards["date"].to_numpy().astype("datetime64[D]")
    a_e = a_s + awards["term_days"].to_numpy()
    order = np.argsort(a_v, kind="stable")
    first = np.searchsorted(a_v[order], vi)
    has = (first < len(order)) & (a_v[order][np.minimum(first, len(order) - 1)] == vi)
    j = order[np.minimum(first, len(order) - 1)]
    active = has & (date >= a_s[j]) & (date <= a_e[j]) & (rng.random(n) < 0.75)
    p["contract_id"] = np.where(active, awards["contract_id"].to_numpy()[j], "")
    p["agency"] = np.where(active, awards["agency"].to_numpy()[j], p["agency"].to_numpy())
    p["vendor_id"] = vendors["vendor_id"].to_numpy()[vi]
    p["void_of"] = ""
    # a few payments to vendor ids that are not in the vendor master
    k = max(3, round(0.0015 * n))
    orphan = rng.choice(n, k, replace=False)
    p.loc[orphan, "vendor_id"] = [f"V9{x:06d}" for x in rng.integers(0, 10**6, k)]
    # voids: a negative line some days after the original payment
    vo = np.flatnonzero(rng.random(n) < 0.008)
    voids = p.iloc[vo].copy()
    voids["date"] = date[vo] + rng.integers(5, 60, len(vo))
    voids["amount"] = -voids["amount"]
    p = p.sort_values(["date", "vendor"], kind="stable")
    p["payment_id"] = [f"PV{i + 1:08d}" for i in range(len(p))]
    id_by_row = pd.Series(p["payment_id"].to_numpy(), index=p.index)
    voids["void_of"] = id_by_row.loc[voids.index].to_numpy()
    voids = voids[voids["date"].to_numpy().astype("datetime64[D]") <= period_end()]
    voids = voids.sort_values(["date", "vendor"], kind="stable")
    voids["payment_id"] = [f"PX{i + 1:08d}" for i in range(len(voids))]
    out = pd.concat([p, voids], ignore_index=True)
    return out.sort_values(["date", "payment_id"], kind="stable").reset_index(drop=True)


def _certifications(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """Registry rows per firm, body and type, with renewals, lapses and a few bad rows."""
    sector = firms["naics"].str.slice(0, 2).to_numpy()
    transport = np.isin(sector, ["23", "54", "48"])
    wants = [
        ("bep", "MBE", firms["certified_minority"].to_numpy()),
        ("bep", "WBE", firms["certified_women"].to_numpy()),
        ("bep", "PBE", firms["certified_disability"].to_numpy()),
        ("vbp", "VBE", firms["certified_veteran"].to_numpy()),
        (
            "ucp",
            "DBE",
            (firms["certified_minority"].to_numpy() | firms["certified_women"].to_numpy())
            & transport
            & (rng.random(len(firms)) < 0.6),
        ),
    ]
    rows = []
    for body, ctype, mask in wants:
        fi = np.flatnonzero(mask)
        years = 5 if body == "ucp" else 3
        first = day(f"{2017 + year_shift()}-01-01")
        start = first + rng.integers(0, (period_end() - 92 - first).astype(int), len(fi))
        alive = np.ones(len(fi), dtype=bool)
        for _ in range(4):
            end = start + years * 365
            keep = alive & (end >= day(f"{2022 + year_shift()}-01-01"))
            rows.append(
                pd.DataFrame(
                    {
                        "firm": fi[keep],
                        "body": body,
                        "type": ctype,
                        "start": start[keep],
                        "end": end[keep],
                    }
                )
            )
            alive &= (rng.random(len(fi)) < 0.7) & (end < period_end())
            start = end + rng.integers(-20, 90, len(fi))
    c = pd.concat(rows, ignore_index=True)
    c = c.sort_values(["body", "start", "firm"], kind="stable").reset_index(drop=True)
    c["bad"] = False
    bad = rng.choice(len(c), min(3, len(c)), replace=False)
    s, e = c["start"].to_numpy().copy(), c["end"].to_numpy().copy()
    s[bad], e[bad] = e[bad], s[bad]
    c["start"], c["end"] = s, e
    c.loc[bad, "bad"] = True
    c["cert_id"] = [f"{b.upper()}-{i + 1:06d}" for i, b in enumerate(c["body"])]
    return c
