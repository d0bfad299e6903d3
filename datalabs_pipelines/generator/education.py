"""Education extracts: K-12 enrollment and graduation (CSV), postsecondary (JSON lines)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalabs_pipelines.generator.population import Population
from datalabs_pipelines.generator.records import Context, broken_per_file, identity
from datalabs_pipelines.generator.rng import stream
from datalabs_pipelines.generator.schooling import Schooling, graduates, school_years, terms
from datalabs_pipelines.generator.timeline import fmt_dates
from datalabs_pipelines.generator.writers import Records, finish, write_delimited, write_jsonl

AGENCY = "education"
K12_RACE = {"W": "WH", "B": "BL", "A": "AS", "I": "AI", "P": "PI", "M": "MR"}
JSON_BREAKS = ("bad_json",)


def _grade(g: np.ndarray) -> np.ndarray:
    return np.array(["KG" if x == 0 else f"{x:02d}" for x in g], dtype=object)


def k12_ssns(ctx: Context, pop: Population) -> np.ndarray | None:
    """Per person, the SSN their K-12 records carry ("" for none), or None when the state
    collects no student SSNs (no column at all). The students are drawn once, on a stream of
    their own, so every year's file agrees and no other value of the sample changes."""
    if ctx.k12_ssn_share <= 0:
        return None
    chosen = stream(ctx.seed, "k12-ssn").random(len(pop.people)) < ctx.k12_ssn_share
    return np.where(chosen, pop.people["ssn"].to_numpy().astype(object), "")


def write_k12(ctx: Context, pop: Population, sch: Schooling) -> None:
    extract = "k12_enrollment"
    rng = ctx.rng(extract)
    ssns = k12_ssns(ctx, pop)
    errors = ctx.errors_for(extract)
    n_broken = broken_per_file(rng, len(school_years()))
    for fi, y in enumerate(school_years()):
        part = sch.k12[sch.k12["year"] == y]
        person = part["person"].to_numpy()
        ident = identity(
            rng,
            pop,
            person,
            typo=0.01,
            nickname=0.03,
            accent_loss=0.1,
            swap_dob=0.005,
            errors=errors,
        )
        p = pop.people.iloc[person]
        sy = f"{y}-{y + 1}"
        rows = pd.DataFrame(
            {
                "student_id": part["student_id"].to_numpy(),
                "first_name": ident.first,
                "last_name": ident.last,
                "middle_name": ident.middle,
                "birth_date": fmt_dates(ident.dob, "%Y-%m-%d"),
                "sex": p["sex"].to_numpy(),
                "race": [K12_RACE[r] for r in p["race"]],
                "hispanic": np.where(p["ethnicity"].to_numpy() == "H", "Y", "N"),
                "district_id": part["district"].to_numpy(),
                "school_id": part["school"].to_numpy(),
                "school_year": sy,
                "grade_level": _grade(part["grade"].to_numpy()),
                "entry_date": fmt_dates(
                    part["entry"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"
                ),
                "exit_date": fmt_dates(part["exit"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"),
            }
        )
        if ssns is not None:
            rows.insert(rows.columns.get_loc("birth_date") + 1, "ssn", ssns[person])
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(rows, person, ident.defects),
            dup_rate=0.003,
            n_broken=int(n_broken[fi]),
            kind_start=int(n_broken[:fi].sum()),
        )
        name = f"k12_enrollment_{sy}.csv"
        lines = write_delimited(ctx.path(AGENCY, extract, name), rec)
        ctx.truth.persons(extract, name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))

    extract = "k12_graduation"
    rng = ctx.rng(extract)
    g = sch.graduations
    gyear = g["date"].to_numpy().astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    years = [y + 1 for y in school_years() if graduates(y + 1)]
    n_broken = broken_per_file(rng, len(years))
    for fi, y in enumerate(years):
        part = g[gyear == y]
        person = part["person"].to_numpy()
        rows = pd.DataFrame(
            {
                "student_id": part["student_id"].to_numpy(),
                "district_id": part["district"].to_numpy(),
                "graduation_date": fmt_dates(
                    part["date"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d"
                ),
                "diploma_type": part["diploma"].to_numpy(),
            }
        )
        if rows.empty:  # nothing to deliver this period
            continue
        rec = finish(
            rng,
            Records(rows, person, np.full(len(person), "", dtype=object)),
            dup_rate=0.003,
            n_broken=int(n_broken[fi]),
            kind_start=int(n_broken[:fi].sum()),
        )
        name = f"k12_graduation_{y}.csv"
        lines = write_delimited(ctx.path(AGENCY, extract, name), rec)
        ctx.truth.persons(extract, name, lines, rec.entity, rec.defects)
        ctx.truth.broken(extract, name, lines, rec.broken)
        ctx.done(extract, name, len(rec.rows))


def write_postsecondary(ctx: Context, pop: Population, sch: Schooling) -> None:
    for extract, frame in (
        ("postsecondary_enrollment", sch.ps_enroll),
        ("postsecondary_completion", sch.ps_complete),
    ):
        rng = ctx.rng(extract)
        errors = ctx.errors_for(extract)
        years = sorted({t[2] for t in terms()})
        n_broken = broken_per_file(rng, len(years))
        for fi, ay in enumerate(years):
            part = frame[frame["academic_year"] == ay]
            person = part["person"].to_numpy()
            ident = identity(
                rng,
                pop,
                person,
                typo=0.01,
                nickname=0.04,
                accent_loss=0.05,
                swap_dob=0.008,
                errors=errors,
            )
            date = fmt_dates(part["date"].to_numpy().astype("datetime64[D]"), "%Y-%m-%d")
            base = {
                "institution_id": part["institution"].to_numpy(),
                "student_record_id": part["record_id"].to_numpy(),
                "first_name": ident.first,
                "last_name": ident.last,
                "birth_date": fmt_dates(ident.dob, "%Y-%m-%d"),
            }
            if extract == "postsecondary_enrollment":
                zips = pop.address_at(person, part["date"].to_numpy())["zip"].to_numpy().copy()
                zips[rng.random(len(person)) < 0.2] = ""
                rows = pd.DataFrame(
                    {**base, "zip": zips, "term": part["term"].to_numpy(), "enroll_date": date}
                )
            else:
                rows = pd.DataFrame(
                    {
                        **base,
                        "completion_date": date,
                        "award_level": part["award"].to_numpy(),
                        "cip_code": part["cip"].to_numpy(),
                    }
                )
            if rows.empty:  # nothing to deliver this period
                continue
            rec = finish(
                rng,
                Records(rows, person, ident.defects),
                dup_rate=0.003,
                n_broken=int(n_broken[fi]),
                kind_start=int(n_broken[:fi].sum()),
                break_kinds=JSON_BREAKS,
            )
            name = f"{extract}_{ay}.jsonl"
            lines = write_jsonl(ctx.path(AGENCY, extract, name), rec, omit_empty=("zip",))
            ctx.truth.persons(extract, name, lines, rec.entity, rec.defects)
            ctx.truth.broken(extract, name, lines, rec.broken)
            ctx.done(extract, name, len(rec.rows))


def write_education(ctx: Context, pop: Population, sch: Schooling) -> None:
    write_k12(ctx, pop, sch)
    write_postsecondary(ctx, pop, sch)
