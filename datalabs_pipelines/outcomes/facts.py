"""Fact declarations: one YAML per integrated table, beside the SQL query that builds it.

The shared model is ``declarations.TableDeclaration``; a fact adds its roles and its key.

A declaration names the table's domain, the roles it reads, grain and the columns that make a row
unique (``key``, checked), the period columns whose end may not precede the start (checked) and
every column's type and description. The SQL file holds one SELECT over role views
(``role_<role>``, every contract filling the role: ``contracts/roles.py``) joined to
``integrated.person_keys`` on ``(source_extract, record_id)``; it never names an extract, nor
reads the ``pii`` schema.

``recompute_by`` (optional) makes the fact incremental: key columns such that each row depends
only on the source records that share their values (``[person_key, year, quarter]``: a person's
quarter is built from that person's wage records of that quarter). Every one but ``person_key``
is a column of each role view it reads. A build then recomputes only the slices whose records
changed since the last build (``outcomes/incremental.py``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from datalabs_pipelines.declarations import DeclaredColumn, TableDeclaration, load_all
from datalabs_pipelines.declarations import load_declaration as load_table

FACTS_DIR = Path(__file__).parent / "facts"


class FactDeclaration(TableDeclaration):
    roles: list[str] = Field(min_length=1, description="roles it reads (role_<role> views)")
    key: list[str] = Field(min_length=1, description="columns unique together (the grain)")
    period: tuple[str, str] | None = Field(None, description="(start, end): end >= start")
    recompute_by: list[str] = Field(
        default_factory=list,
        description="key columns each row depends on alone (its slice): the fact is rebuilt "
        "only for the slices whose source records changed; empty: always whole",
    )
    columns: list[DeclaredColumn] = Field(min_length=1)
    built_by: None = None  # a fact is always built from its SQL

    @model_validator(mode="after")
    def _known_columns(self) -> FactDeclaration:
        names = {c.name for c in self.columns}
        unknown = [c for c in [*self.key, *(self.period or ())] if c not in names]
        if unknown:
            raise ValueError(f"{self.name}: key or period names unknown columns {unknown}")
        if outside := [c for c in self.recompute_by if c not in self.key]:
            raise ValueError(f"{self.name}: recompute_by names columns outside the key {outside}")
        if "person_key" not in names:
            raise ValueError(f"{self.name}: an integrated fact is keyed by person_key")
        return self


def load_fact(path: Path) -> FactDeclaration:
    return load_table(path, FactDeclaration)


@cache
def all_facts(directory: Path = FACTS_DIR) -> tuple[FactDeclaration, ...]:
    return load_all(directory.glob("*.yaml"), FactDeclaration)
