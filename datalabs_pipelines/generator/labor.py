"""Labor extracts: quarterly UI wage records (fixed width) and UI claims (CSV)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalabs_pipelines.generator.defects import strip_accents
from datalabs_pipelines.generator.employment import Employment
from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.records import Context, broken_per_file, identity, ssn_values
from datalabs_pipelines.generator.timeline import fmt_dates, quarters
from datalabs_pipelines.generator.writers import Records, finish, write_delimited, write_fixed_width

AGENCY = "labor"
# (layout name, width): the contract's fixed_width block mirrors this
WAGE_LAYOUT: tuple[tuple[str, int], ...] = (
    ("SSN", 9),
    ("EMPLOYEE_NAME", 30),
    ("YEAR", 4),
    ("QUARTER", 1),
    ("EMPLOYER_FEIN", 9),
    ("NAICS", 6),
    ("WAGES_CENTS", 11),
    ("COUNTY_FIPS", 5),
)
CLAIM_COLUMNS = (
    "claim_id",
    "ssn",
    "first_name",
    "last_name",
    "dob",
    "claim_filed_date",
    "benefit_end_date",
    "weekly_benefit_amount",
    "last_employer_fein",
    "county_fips",
)


def write_wages(ctx: Context, pop: Population, firms: pd.DataFrame, emp: Employment) -> None:
    extract = "ui_wages"
    rng = ctx.rng(extract)
    # wage records carry no date of birth, and no wage record without an SSN
    errors = ctx.errors_for(extract, dob=False, required=("ssn",))
    qs = quarters()
    n_broken = broken_per_file(rng, len(qs))
    w = emp.wages
    key = w["year"].to_numpy() * 10 + w["quarter"].to_numpy()
    fein = firms["fein"].to_numpy()
    naics = firms["naics"].to_numpy()
    county = firms["county"].to_numpy()
    for qi, (y, q, _, _) in enumerate(qs):
        part = w[key == y * 10 + q]
        person = part["person"].to_numpy()
        firm = part["firm"].to_numpy()
        ident = identity(rng, pop, person, typo=0.01, nickname=0.04, swap_dob=0.0, errors=errors)
        ssn = ssn_values(
            rng, pop, person, ident.defects, typo=0.002, keep_valid=True, errors=errors
        )
        name = [
            strip_accents(f"{ln} {fn}").upper()
            for ln, fn in zip(ident.last, ident.first, strict=True)
        ]
        rows = pd.DataFrame(
            {
                "SSN": ssn,
                "EMPLOYEE_NAME": name,
                "YEAR": str(y),
                "QUARTER": str(q),
                "EMPLOYER_FEIN": fein[firm],
                "NAICS": naics[firm],
                "WAGES_CENTS": pd.Series(part["cents"].to_numpy()).astype(str).str.zfill(11),
                "COUNTY_FIPS": county[firm],
            }
        )
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(rows, person, ident.defects),
            dup_rate=0.0,  # an identical wage line is another wage line (duplicates: keep)
            n_broken=int(n_broken[qi]),
            kind_start=int(n_broken[:qi].sum()),
            break_kinds=("short_line",),
        )
        file_name = f"ui_wages_{y}Q{q}.txt"
        lines = write_fixed_width(
            ctx.path(AGENCY, extract, file_name), rec, [wd for _, wd in WAGE_LAYOUT]
        )
        ctx.truth.persons(extract, file_name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, file_name, lines, rec.broken)
        ctx.done(extract, file_name, len(rec.rows))


def write_claims(ctx: Context, pop: Population, firms: pd.DataFrame, emp: Employment) -> None:
    extract = "ui_claims"
    rng = ctx.rng(extract)
    errors = ctx.errors_for(extract)
    qs = quarters()
    n_broken = broken_per_file(rng, len(qs))
    c = emp.claims
    filed = c["filed"].to_numpy().astype("datetime64[D]")
    claim_id = np.array([f"UIC{i + 1:08d}" for i in rng.permutation(len(c))], dtype=object)
    for qi, (y, q, qs_, qe) in enumerate(qs):
        sel = np.flatnonzero((filed >= qs_) & (filed <= qe))
        part = c.iloc[sel]
        person = part["person"].to_numpy()
        ident = identity(
            rng,
            pop,
            person,
            typo=0.015,
            nickname=0.05,
            accent_loss=0.5,
            swap_dob=0.008,
            errors=errors,
        )
        ssn = ssn_values(rng, pop, person, ident.defects, typo=0.003, dashed=0.5, errors=errors)
        addr = pop.address_at(person, filed[sel])
        rows = pd.DataFrame(
            dict(
                zip(
                    CLAIM_COLUMNS,
                    [
                        claim_id[sel],
                        ssn,
                        ident.first,
                        ident.last,
                        fmt_dates(ident.dob, "%Y-%m-%d"),
                        fmt_dates(filed[sel], "%Y-%m-%d"),
                        fmt_dates(part["end"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"),
                        [f"{v:.2f}" for v in part["wba"].to_numpy()],
                        firms["fein"].to_numpy()[part["firm"].to_numpy()],
                        addr["county"].to_numpy(),
                    ],
                    strict=True,
                )
            )
        )
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(rows, person, ident.defects),
            dup_rate=0.004,
            n_broken=int(n_broken[qi]),
            kind_start=int(n_broken[:qi].sum()),
        )
        file_name = f"ui_claims_{y}Q{q}.csv"
        lines = write_delimited(ctx.path(AGENCY, extract, file_name), rec)
        ctx.truth.persons(extract, file_name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, file_name, lines, rec.broken)
        ctx.done(extract, file_name, len(rec.rows))


def write_labor(ctx: Context, pop: Population, firms: pd.DataFrame, emp: Employment) -> None:
    write_wages(ctx, pop, firms, emp)
    write_claims(ctx, pop, firms, emp)
