"""Human services extracts: SNAP, TANF and Medicaid enrollment spells.

Pipe-delimited, Latin-1, CRLF line ends, upper-case names with accents, one file per calendar
year of spell start (the first file also carries the spells open on 1 January 2023).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.programs import Program
from datalabs_pipelines.generator.records import Context, broken_per_file, identity, ssn_values
from datalabs_pipelines.generator.timeline import fmt_dates, period_start, years
from datalabs_pipelines.generator.writers import Records, finish, write_delimited

AGENCY = "human_services"
COLUMNS = (
    "CASE_ID",
    "MEMBER_ID",
    "LAST_NAME",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "DOB",
    "SSN",
    "SEX",
    "RACE",
    "ETHNICITY",
    "ADDRESS",
    "CITY",
    "ZIP",
    "COUNTY_FIPS",
    "SPELL_START",
    "SPELL_END",
)
BREAKS = ("field_count", "broken_quote")


def write_program(ctx: Context, pop: Population, program: Program) -> None:
    """Write ``<program>_enrollment_<year>.txt`` files and their truth."""
    extract = f"{program.name}_enrollment"
    rng = ctx.rng(extract)
    errors = ctx.errors_for(extract, required=("name",))
    spells = program.spells
    start = spells["start"].to_numpy().astype("datetime64[D]")
    year = np.maximum(start.astype("datetime64[Y]").astype(int) + 1970, years()[0])
    n_broken = broken_per_file(rng, len(years()))
    for fi, y in enumerate(years()):
        sel = np.flatnonzero(year == y)
        s = spells.iloc[sel]
        person = s["person"].to_numpy()
        ident = identity(
            rng,
            pop,
            person,
            typo=0.015,
            nickname=0.03,
            accent_loss=0.2,
            swap_dob=0.01,
            missing_dob=0.003,
            middle_initial=0.4,
            upper=True,
            errors=errors,
        )
        ssn = ssn_values(
            rng,
            pop,
            person,
            ident.defects,
            missing=0.04,
            typo=0.005,
            placeholder=0.003,
            dashed=0.6,
            errors=errors,
        )
        addr = pop.address_at(person, np.maximum(start[sel], period_start()))
        p = pop.people.iloc[person]
        sex = p["sex"].to_numpy().astype(object)
        sex[rng.random(len(sel)) < 0.005] = "U"
        eth = p["ethnicity"].to_numpy().astype(object)
        eth[rng.random(len(sel)) < 0.02] = "U"
        race = p["race"].to_numpy().astype(object)
        race[rng.random(len(sel)) < 0.03] = "U"
        rows = pd.DataFrame(
            dict(
                zip(
                    COLUMNS,
                    [
                        s["case_id"].to_numpy(),
                        s["member_id"].to_numpy(),
                        ident.last,
                        ident.first,
                        ident.middle,
                        fmt_dates(ident.dob, "%m/%d/%Y"),
                        ssn,
                        sex,
                        race,
                        eth,
                        [a.upper() for a in addr["street"]],
                        [c.upper() for c in addr["city"]],
                        addr["zip"].to_numpy(),
                        addr["county"].to_numpy(),
                        fmt_dates(start[sel], "%m/%d/%Y"),
                        fmt_dates(s["end"].to_numpy().astype("datetime64[D]"), "%m/%d/%Y"),
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
            dup_rate=0.005,
            n_broken=int(n_broken[fi]),
            kind_start=int(n_broken[:fi].sum()),
            break_kinds=BREAKS,
        )
        name = f"{extract}_{y}.txt"
        lines = write_delimited(
            ctx.path(AGENCY, extract, name), rec, delimiter="|", encoding="latin-1", line_end="\r\n"
        )
        ctx.truth.persons(extract, name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))


def write_human_services(ctx: Context, pop: Population, programs: dict[str, Program]) -> None:
    for name in ("snap", "tanf", "medicaid"):
        write_program(ctx, pop, programs[name])
