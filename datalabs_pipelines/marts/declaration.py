"""Mart declarations: one YAML per published table, beside the SQL that builds it.

A declaration says what the table is for (purpose, checked against the sources' data-sharing
agreements), what it reads (sources, roles whose contracts become sources, asset deps), its
grain, and every column's role. Column roles drive the disclosure gate (``count`` cells are
suppressed below the threshold; a ``rate``, ``share``, ``median`` or ``interval`` bound is
suppressed when its ``base`` count is, and a rate, share or interval bound also when its
``numerator`` is), the data dictionary (``definition`` states how a metric is computed) and the
dashboard. The gate also needs the table's arithmetic, which the declaration states: which
dimensions counts add up across (``additive``, and the ``total`` value of rows that hold the
sum), which counts are the sum of others in the same row (``sum_of``), which count is a subset
of another (a count's ``base``), which counts are disjoint parts of another (``contains``),
which count a rate or share divides (``numerator``) and which places show one quantity twice
(``mirrors``) and which counts are sums of another mart's finer cells (``rolls_up``: a statewide
year of a quarterly mart's state rows). ``lineage`` maps a column to the upstream columns it is
computed from (``layer/agency/table:column``), emitted as Dagster column lineage. A ``label`` is
the name of the code in the dimension before it (county name beside county FIPS): it follows the
code, so it is no dimension of its own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from datalabs_pipelines.contracts.roles import all_roles
from datalabs_pipelines.declarations import (
    IDENTIFIER,
    DeclarationError,
    DeclaredColumn,
    Strict,
    TableDeclaration,
    load_all,
)
from datalabs_pipelines.declarations import load_declaration as load_table

MARTS_DIR = Path(__file__).parent
__all__ = [
    "DeclarationError",
    "MartColumn",
    "MartDeclaration",
    "all_declarations",
    "load_declaration",
]

LINEAGE_REF = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*){2}:[a-z_][a-z0-9_]*$")

Role = Literal[
    "dimension",
    "label",
    "count",
    "measure",
    "amount",
    "rate",
    "share",
    "interval",
    "median",
    "flag",
]
DERIVED_ROLES = {"rate", "share", "median", "interval"}
RATIO_ROLES = {"rate", "share", "interval"}


class MartColumn(DeclaredColumn):
    role: Role
    base: str | None = Field(
        None,
        description="the count a rate, share or median rests on; for a count, the count it is a "
        "subset of",
    )
    numerator: str | None = Field(None, description="for a rate or share: the count it divides")
    sum_of: list[str] = Field(
        default_factory=list, description="for a count: counts in the same row that add up to it"
    )
    contains: list[str] = Field(
        default_factory=list,
        description="for a count: counts in the same row of its people, no one in two of them "
        "(they add up to at most it: reachable exiters employed in the 2nd quarter only, the "
        "4th only, or both)",
    )
    total: str | None = Field(
        None, description="for a dimension: the value of rows that total the other values"
    )
    total_in: dict[str, str] = Field(
        default_factory=dict,
        description="for a dimension with a total: other dimensions' values in the total's row "
        "where they differ from the parts' (linkage_quality: subgroup_type 'all')",
    )
    additive: bool = Field(
        True, description="for a dimension: counts add up across its values (people in one only)"
    )
    definition: str | None = Field(None, description="how the metric is computed")


class MirrorPlace(Strict):
    """One place a quantity is shown: a count column in the rows whose dimensions in ``where``
    hold the given values (compared as text); in ``mart`` when another mart shows it."""

    mart: str | None = None
    column: str
    where: dict[str, str] = Field(default_factory=dict)


class LinkCoverage(Strict):
    """Rates that reach their outcome through a link path (graduates or exiters → wage records)
    and the share of their cohort that has an identifier able to reach the target records.

    Below ``min_link_coverage`` the ``withheld`` columns are NULL (not representative: the
    people found are those who could be found); at or above it they publish, and ``flag``
    (computed by the SQL) marks them a lower bound wherever coverage is short of 1."""

    share: str = Field(description="the link coverage share column (base: the cohort count)")
    flag: str = Field(description="flag column: TRUE where the rates are lower bounds")
    min_link_coverage: float = Field(ge=0, le=1)
    withheld: list[str] = Field(min_length=1, description="columns NULL below the minimum")
    path: str = Field(min_length=1, description="the link path and the identifier it needs")


class RollUp(Strict):
    """This mart's rows in ``at`` hold, per count in ``columns``, the sum over the rows of
    ``mart`` in ``where`` that share its ``match`` dimensions' values and whose ``year_of``
    dimension's leading four digits are its year (a 2023 row sums 2023Q1..2023Q4 or
    2023-01..2023-12). ``exact: false``: an unduplicated count (a person counted once a year)
    is at most that sum, and so is its rest within its base when both are listed. A column
    may stand beside a rest of ``mart`` (``exiters: exits - returned_within_90_days``): with
    ``exact: false``, the count is at most that rest."""

    mart: str = Field(pattern=IDENTIFIER)
    at: dict[str, str] = Field(default_factory=dict)
    where: dict[str, str] = Field(default_factory=dict)
    match: dict[str, str] = Field(default_factory=dict)
    year_of: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, str] = Field(min_length=1)
    exact: bool = True
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="per ``match`` dimension, its values read as ``mart``'s (age bands 25-34 "
        "and 35-44 as 25-44): the rows read as one of its rows are summed",
    )

    def parts(self, column: str) -> tuple[str, ...]:
        """``mart``'s count beside ``column``, or the count and the count taken from it."""
        return tuple(part.strip() for part in self.columns[column].split(" - "))

    @model_validator(mode="after")
    def _values_and_rests(self) -> RollUp:
        if unknown := [d for d in self.values if d not in self.match]:
            raise ValueError(f"rolls_up {self.mart!r}: values of {unknown}, not match dimensions")
        for column in self.columns:
            if len(self.parts(column)) > 2 or (len(self.parts(column)) == 2 and self.exact):
                raise ValueError(
                    f"rolls_up {self.mart!r}: {column} beside {self.columns[column]!r}: a rest "
                    "of two counts, and only with exact: false"
                )
        return self


class ConstantColumns(Strict):
    """Columns measured only from the contracts of ``role`` whose ``constant`` is ``value``
    (``program: SNAP``), or that carry it per record: NULL while none of them is delivered."""

    role: str = Field(pattern=IDENTIFIER)
    constant: str = Field(pattern=IDENTIFIER)
    value: str = Field(min_length=1)
    columns: list[str] = Field(min_length=1)


class MartDeclaration(TableDeclaration):
    purpose: str = Field(pattern=IDENTIFIER)
    sources: list[str] = Field(
        default_factory=list,
        description="contracts it uses by name (domain marts name roles instead); the registry "
        "adds every contract filling its roles",
    )
    roles: list[str] = Field(
        default_factory=list,
        description="roles it reads (role_<role> views, or integrated facts built on them): "
        "each needs a delivered contract filling it, else the mart is not measurable; every "
        "contract filling one is a source and its staging table a dependency",
    )
    optional_roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="roles it can be built without: the listed columns are NULL (not "
        "measurable) while no contract filling the role is delivered and permitted",
    )
    constant_columns: list[ConstantColumns] = Field(
        default_factory=list,
        description="columns measured from one part of a role (its program), NULL without it",
    )
    role_sources: dict[str, list[str]] = Field(
        default_factory=dict,
        description="set by ``marts.registry`` (not in YAML): role -> contracts filling it",
    )
    measured_by: dict[str, list[str]] = Field(
        default_factory=dict,
        description="set by ``marts.registry`` (not in YAML): column -> the contracts that can "
        "give it; NULL while none is delivered and permitted",
    )
    optional_sources: dict[str, list[str]] = Field(
        default_factory=dict,
        description="sources it can be built without: their rows are simply absent, and the "
        "listed columns are NULL (not measurable) when the source is not delivered or its "
        "agreement does not permit the purpose; every other source is required",
    )
    source_column: str | None = Field(
        None, description="column naming each row's extract: rows of an excluded source go"
    )
    period: str | None = Field(
        None, description="column whose largest value is the period the mart's data runs through"
    )
    deps: list[str] = Field(
        default_factory=list,
        description="asset keys it reads, as 'layer/agency/table'; 'staging/*' = every staging",
    )
    cohorts: list[str] = Field(
        default_factory=list,
        description="shared cohort definitions its SQL uses (table macros in "
        "marts/cohorts/<name>.sql), in the order they build on one another",
    )
    disclosure_control: bool = Field(
        True, description="pass the disclosure gate before publishing (counts of people)"
    )
    columns: list[MartColumn] = Field(min_length=1)
    built_by: None = None  # a mart is always built from its SQL
    mirrors: list[list[MirrorPlace]] = Field(
        default_factory=list,
        description="places that show one quantity in rows alike in every other dimension "
        "(SNAP's enrolled_with_medicaid is Medicaid's enrolled_with_snap); the gate hides "
        "them together",
    )
    rolls_up: list[RollUp] = Field(
        default_factory=list,
        description="counts that are sums of another mart's finer cells (a statewide year of "
        "its quarters' state rows); the audit and the gate see them together",
    )
    lineage: dict[str, list[str]] = Field(
        default_factory=dict,
        description="column → upstream columns it derives from, as 'layer/agency/table:column'",
    )
    link_coverage: LinkCoverage | None = Field(
        None, description="rates found through a link path, and their cohort's coverage"
    )

    @model_validator(mode="after")
    def _bases_are_counts(self) -> MartDeclaration:
        roles = {c.name: c.role for c in self.columns}
        for column in self.columns:
            if column.role in DERIVED_ROLES and column.base is None:
                raise ValueError(f"column {column.name!r} ({column.role}) needs a `base`")
            base_role = roles.get(column.base) if column.base is not None else None
            amount_share = (
                column.role in ("rate", "share")
                and base_role == "amount"
                and not self.disclosure_control
            )
            if column.base is not None and base_role != "count" and not amount_share:
                raise ValueError(
                    f"column {column.name!r}: base {column.base!r} is not a count column (a "
                    "share of an amount is allowed outside disclosure control)"
                )
            for reference in [column.numerator, *column.sum_of, *column.contains]:
                if reference is not None and roles.get(reference) != "count":
                    raise ValueError(f"column {column.name!r}: {reference!r} is not a count column")
            if (column.numerator or column.sum_of) and column.role not in {"count", *RATIO_ROLES}:
                raise ValueError(f"column {column.name!r}: only counts and rates add up")
            if column.contains and column.role != "count":
                raise ValueError(f"column {column.name!r}: only a count contains counts")
            if column.role == "count" and column.name in self.wholes_of(column.name):
                raise ValueError(f"column {column.name!r}: its bases lead back to {column.name!r}")
            if column.role == "interval" and column.numerator is None:
                raise ValueError(
                    f"column {column.name!r}: an interval bound needs the rate's `numerator`"
                )
            if column.total is not None and column.role != "dimension":
                raise ValueError(f"column {column.name!r}: only a dimension has a total")
            if column.total_in and (
                column.total is None or any(roles.get(d) != "dimension" for d in column.total_in)
            ):
                raise ValueError(f"column {column.name!r}: total_in needs a total and dimensions")
        cohort_files = [MARTS_DIR / "cohorts" / f"{c}.sql" for c in self.cohorts]
        if missing := [p.stem for p in cohort_files if not p.is_file()]:
            raise ValueError(f"cohorts {missing} have no file marts/cohorts/<name>.sql")
        read = set(self.read_roles)
        if unknown_roles := sorted(read - set(all_roles())):
            raise ValueError(f"roles {unknown_roles} are not declared by any domain")
        if both := sorted(set(self.roles) & set(self.optional_roles)):
            raise ValueError(f"roles {both} are both required and optional")
        for part in self.constant_columns:
            if part.role not in read:
                raise ValueError(f"constant_columns: role {part.role!r} is not among its roles")
        by_role = [c for cs in self.optional_roles.values() for c in cs]
        by_role += [c for part in self.constant_columns for c in part.columns]
        if unknown := sorted({c for c in by_role if c not in roles}):
            raise ValueError(f"optional_roles or constant_columns name unknown columns {unknown}")
        for source, nulled in self.optional_sources.items():
            if source not in self.sources:
                raise ValueError(f"optional source {source!r} is not among `sources`")
            if unknown := [c for c in nulled if c not in roles]:
                raise ValueError(f"optional source {source!r} names unknown columns {unknown}")
        for column in (self.source_column, self.period):
            if column is not None and column not in roles:
                raise ValueError(f"unknown column {column!r}")
        for group in self.mirrors:
            if len(group) < 2:
                raise ValueError("a mirror needs two places or more")
            for place in (p for p in group if p.mart in (None, self.name)):
                if roles.get(place.column) != "count":
                    raise ValueError(f"mirror: {place.column!r} is not a count column")
                for dim in place.where:
                    if roles.get(dim) != "dimension":
                        raise ValueError(f"mirror: {dim!r} is not a dimension")
        if (coverage := self.link_coverage) is not None:
            if roles.get(coverage.share) != "share" or roles.get(coverage.flag) != "flag":
                raise ValueError("link_coverage: `share` must be a share column, `flag` a flag")
            if unknown := [c for c in coverage.withheld if c not in roles]:
                raise ValueError(f"link_coverage withholds unknown columns {unknown}")
        dims = {c for c, role in roles.items() if role == "dimension"}
        for roll in self.rolls_up:
            keyed = [*roll.at, *roll.match, *roll.year_of]
            if sorted(keyed) != sorted(dims):
                raise ValueError(
                    f"rolls_up {roll.mart!r}: at, match and year_of must name every dimension once"
                )
            if wrong := [c for c in roll.columns if roles.get(c) != "count"]:
                raise ValueError(f"rolls_up {roll.mart!r}: {wrong} are not count columns")
        for column, refs in self.lineage.items():
            if column not in roles:
                raise ValueError(f"lineage names unknown column {column!r}")
            for ref in refs:
                if not LINEAGE_REF.match(ref):
                    raise ValueError(
                        f"lineage of {column!r}: {ref!r} is not 'layer/agency/table:column'"
                    )
        return self

    @property
    def read_roles(self) -> list[str]:
        """Required and optional roles, in declaration order."""
        return [*self.roles, *self.optional_roles]

    @property
    def required_sources(self) -> list[str]:
        """Named sources without which it is not measurable (roles are checked as roles)."""
        by_role = {n for names in self.role_sources.values() for n in names}
        return [s for s in self.sources if s not in self.optional_sources and s not in by_role]

    @property
    def blocking_sources(self) -> list[str]:
        """Sources whose agreement, if it does not permit the purpose, blocks the mart: the
        required ones and every contract of a required role (a fact's rows cannot be told
        apart by extract)."""
        required = [n for r in self.roles for n in self.role_sources.get(r, [])]
        return list(dict.fromkeys([*self.required_sources, *required]))

    def columns_with(self, *roles: str) -> list[MartColumn]:
        return [c for c in self.columns if c.role in roles]

    @property
    def coverage_share(self) -> MartColumn | None:
        """The share column ``link_coverage`` names (reachable over the cohort), if any."""
        coverage = self.link_coverage
        return next((c for c in self.columns if coverage and c.name == coverage.share), None)

    def wholes_of(self, count: str) -> list[str]:
        """The counts ``count`` is a subset of: its base, its base's base and so on (employed
        among the reachable exiters, they among all exiters), nearest first."""
        columns = {c.name: c for c in self.columns}
        out: list[str] = []
        base = columns[count].base
        while base in columns and base not in out:  # a loop of bases is refused at load
            out.append(base)
            base = columns[base].base
        return out


def load_declaration(path: Path) -> MartDeclaration:
    return load_table(path, MartDeclaration)


@cache
def all_declarations(directory: Path = MARTS_DIR) -> tuple[MartDeclaration, ...]:
    return load_all(directory.rglob("*.yaml"), MartDeclaration)
