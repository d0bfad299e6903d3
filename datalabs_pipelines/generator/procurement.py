"""Procurement extracts: vendor master, payments, contract awards (CSV) and certified-firm
registries (Excel, one workbook per certifying body)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd

from datalabs_pipelines.generator import defects as dx
from datalabs_pipelines.generator.errors import firm_errors
from datalabs_pipelines.generator.identifiers import format_fein, format_phone
from datalabs_pipelines.generator.names import FEMALE_FIRST, MALE_FIRST, SURNAMES
from datalabs_pipelines.generator.places import STATE
from datalabs_pipelines.generator.records import Context, broken_per_file
from datalabs_pipelines.generator.rng import pick
from datalabs_pipelines.generator.spending import BODIES, Spending
from datalabs_pipelines.generator.timeline import fmt_dates, period_end, quarters, years
from datalabs_pipelines.generator.writers import (
    Records,
    add_tag,
    finish,
    write_delimited,
    write_xlsx,
)

AGENCY = "procurement"
RESENT = "payments_2024Q2.csv"  # the delivery that was sent twice


def _money(values: np.ndarray) -> np.ndarray:
    return np.array([f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}" for v in values], dtype=object)


def _zip(rng: np.random.Generator, zips: np.ndarray) -> np.ndarray:
    plus4 = rng.random(len(zips)) < 0.3
    ext = rng.integers(1, 10000, len(zips))
    return np.array(
        [f"{z}-{e:04d}" if p else z for z, p, e in zip(zips, plus4, ext, strict=True)], dtype=object
    )


def write_vendor_master(ctx: Context, firms: pd.DataFrame, sp: Spending) -> None:
    extract = "vendor_master"
    rng = ctx.rng(extract)
    v = sp.vendors
    f = firms.iloc[v["firm"].to_numpy()]
    reg = v["registered"].to_numpy().astype("datetime64[D]")
    year = np.maximum(reg.astype("datetime64[Y]").astype(int) + 1970, years()[0])
    defects = np.full(len(v), "", dtype=object)
    dup = v["duplicate"].to_numpy()
    add_tag(defects, dup, "duplicate_vendor;name_variant")
    names, m = dx.apply_typos(rng, v["name"].to_numpy().astype(object), 0.01)
    add_tag(defects, m, "typo_name")
    missing = (v["fein"].to_numpy() == "") & (f["fein"].to_numpy() != "")
    add_tag(defects, missing, "missing_fein")
    street = f["street"].to_numpy().astype(object)
    street[dup] = [s.upper().replace(" SUITE ", " STE ") for s in street[dup]]
    fein = np.array(
        [format_fein(x, d) for x, d in zip(v["fein"], rng.random(len(v)) < 0.5, strict=True)],
        dtype=object,
    )
    dba = v["dba"].to_numpy().astype(object)
    phone = f["phone"].to_numpy().astype(object)
    errors = ctx.errors_for(extract)
    if errors is not None:
        firm_errors(errors.rng, errors.profile, names, dba, street, phone, defects)
    rows = pd.DataFrame(
        {
            "Vendor ID": v["vendor_id"].to_numpy(),
            "Vendor Name": names,
            "DBA Name": dba,
            "FEIN": fein,
            "Address": street,
            "City": f["city"].to_numpy(),
            "State": STATE,
            "ZIP": _zip(rng, f["zip"].to_numpy()),
            "Phone": [
                format_phone(p, int(s)) if p else ""
                for p, s in zip(phone, rng.integers(0, 5, len(v)), strict=True)
            ],
            "NAICS": f["naics"].to_numpy(),
            "Registered Date": fmt_dates(reg, "%m/%d/%Y"),
        }
    )
    n_broken = broken_per_file(rng, len(years()))
    for fi, y in enumerate(years()):
        sel = np.flatnonzero(year == y)
        if not len(sel):  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(
                rows.iloc[sel].reset_index(drop=True), f["firm_id"].to_numpy()[sel], defects[sel]
            ),
            dup_rate=0.003,
            n_broken=int(n_broken[fi]),
            kind_start=int(n_broken[:fi].sum()),
        )
        name = f"vendor_master_{y}.csv"
        lines = write_delimited(ctx.path(AGENCY, extract, name), rec)
        ctx.truth.firms(extract, name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))


def write_payments(ctx: Context, sp: Spending) -> None:
    extract = "payments"
    rng = ctx.rng(extract)
    p = sp.payments
    date = p["date"].to_numpy().astype("datetime64[D]")
    qs = quarters()
    n_broken = broken_per_file(rng, len(qs))
    for qi, (y, q, qs_, qe) in enumerate(qs):
        part = p[(date >= qs_) & (date <= qe)]
        rows = pd.DataFrame(
            {
                "Payment ID": part["payment_id"].to_numpy(),
                "Vendor ID": part["vendor_id"].to_numpy(),
                "Agency Code": part["agency"].to_numpy(),
                "Payment Date": fmt_dates(
                    part["date"].to_numpy().astype("datetime64[D]"), "%-m/%-d/%Y"
                ),
                "Amount": _money(part["amount"].to_numpy()),
                "Category NAICS": part["naics"].to_numpy(),
                "Contract ID": part["contract_id"].to_numpy(),
                "Voids Payment ID": part["void_of"].to_numpy(),
            }
        )
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(
                rows, np.full(len(rows), "", dtype=object), np.full(len(rows), "", dtype=object)
            ),
            dup_rate=0.0,  # an identical payment line is another payment (duplicates: keep)
            n_broken=int(n_broken[qi]),
            kind_start=int(n_broken[:qi].sum()),
        )
        name = f"payments_{y}Q{q}.csv"
        path = ctx.path(AGENCY, extract, name)
        lines = write_delimited(path, rec)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))
        if name == RESENT:
            again = name.replace(".csv", "_resend.csv")
            shutil.copyfile(path, path.with_name(again))
            ctx.truth.broken(extract, again, lines, rec.broken)
            ctx.done(extract, again, len(rec.rows))


def write_contract_awards(ctx: Context, sp: Spending) -> None:
    extract = "contract_awards"
    rng = ctx.rng(extract)
    a = sp.awards
    date = a["date"].to_numpy().astype("datetime64[D]")
    year = date.astype("datetime64[Y]").astype(int) + 1970
    n_broken = broken_per_file(rng, len(years()))
    for fi, y in enumerate(years()):
        part = a[year == y]
        rows = pd.DataFrame(
            {
                "Award ID": part["award_id"].to_numpy(),
                "Contract ID": part["contract_id"].to_numpy(),
                "Vendor ID": part["vendor_id"].to_numpy(),
                "Agency": part["agency"].to_numpy(),
                "Award Date": fmt_dates(
                    part["date"].to_numpy().astype("datetime64[D]"), "%m/%d/%Y"
                ),
                "Award Amount": [f"{v:.2f}" for v in part["amount"].to_numpy()],
                "NAICS": part["naics"].to_numpy(),
                "Description": part["description"].to_numpy(),
            }
        )
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(
                rows, np.full(len(rows), "", dtype=object), np.full(len(rows), "", dtype=object)
            ),
            dup_rate=0.0,
            n_broken=int(n_broken[fi]),
            kind_start=int(n_broken[:fi].sum()),
        )
        name = f"contract_awards_{y}.csv"
        lines = write_delimited(ctx.path(AGENCY, extract, name), rec)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))


def write_certified_firms(ctx: Context, firms: pd.DataFrame, sp: Spending) -> None:
    extract = "certified_firms"
    rng = ctx.rng(extract)
    c = sp.certifications
    for tag, body, _types in BODIES:
        part = c[c["body"] == tag].reset_index(drop=True)
        f = firms.iloc[part["firm"].to_numpy()]
        n = len(part)
        defects = np.full(n, "", dtype=object)
        legal = f["legal_name"].to_numpy()
        variant = rng.random(n) < 0.6
        names = np.array(
            [
                dx.business_name_variant(rng, s) if v else s
                for s, v in zip(legal, variant, strict=True)
            ],
            dtype=object,
        )
        add_tag(defects, names != legal, "name_variant")
        fein = f["fein"].to_numpy().astype(object).copy()
        gone = (fein != "") & (rng.random(n) >= 0.6)
        fein[gone] = ""
        add_tag(defects, gone, "missing_fein")
        add_tag(defects, part["bad"].to_numpy(), "bad_dates")
        sex = rng.random(n) < 0.5
        contact = np.where(sex, pick(rng, MALE_FIRST, n), pick(rng, FEMALE_FIRST, n))
        contact = [
            f"{s}, {fn}" if tag == "ucp" else f"{fn} {s}"
            for fn, s in zip(contact, pick(rng, SURNAMES, n), strict=True)
        ]
        rows = pd.DataFrame(
            {
                "Certification No.": part["cert_id"].to_numpy(),
                "Business Name": names,
                "FEIN": [format_fein(x, True) for x in fein],
                "Address": f["street"].to_numpy(),
                "City": f["city"].to_numpy(),
                "ZIP": _zip(rng, f["zip"].to_numpy()),
                "Phone": [
                    format_phone(p, int(s))
                    for p, s in zip(f["phone"], rng.integers(0, 5, n), strict=True)
                ],
                "Contact Name": contact,
                "Certification Type": part["type"].to_numpy(),
                "Certifying Body": body,
                "Cert Start Date": fmt_dates(
                    part["start"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"
                ),
                "Cert End Date": fmt_dates(
                    part["end"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"
                ),
                "NAICS": f["naics"].to_numpy(),
            }
        )
        if rows.empty:
            continue
        name = f"certified_firms_{tag}_{years()[-1]}.xlsx"
        exported = fmt_dates(np.array([period_end()]), "%m/%d/%Y")[0]
        lines = write_xlsx(
            ctx.path(AGENCY, extract, name),
            Records(rows, f["firm_id"].to_numpy(), defects),
            sheet="Certified Firms",
            title=f"{body} - Certified Firm Directory - exported {exported}",
            date_columns=("Cert Start Date", "Cert End Date"),
        )
        ctx.truth.firms(extract, name, lines, f["firm_id"].to_numpy(), defects)
        ctx.done(extract, name, n)


def write_procurement(ctx: Context, firms: pd.DataFrame, sp: Spending) -> None:
    write_vendor_master(ctx, firms, sp)
    write_payments(ctx, sp)
    write_contract_awards(ctx, sp)
    write_certified_firms(ctx, firms, sp)
