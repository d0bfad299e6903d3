"""Fact declarations: one YAML per integrated table, beside the SQL query that builds it.

A declaration names the table's domain, the roles it reads, grain and the columns that make a row
unique (``key``, checked), the period columns whose end may not precede the start (checked) and
every column's type and description. The SQL file holds one SELECT over role views
(``role_<role>``, every contract filling the role: ``contracts/roles.py``) joined to
``integrated.person_keys`` on ``(source_extract, record_id)``; it never names an extract, nor
reads the ``pii`` schema.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from datalabs_pipelines.yaml_files import read_yaml

FACTS_DIR = Path(__file__).parent / "facts"
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactColumn(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    type: str = Field(min_length=1)
    description: str = Field(min_length=1)


class FactDeclaration(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    domain: str = Field(pattern=IDENTIFIER)
    description: str = Field(min_length=1)
    grain: str = Field(min_length=1, description="One row per ...")
    roles: list[str] = Field(min_length=1, description="roles it reads (role_<role> views)")
    owners: list[str] = Field(min_length=1)
    key: list[str] = Field(min_length=1, description="columns unique together (the grain)")
    period: tuple[str, str] | None = Field(None, description="(start, end): end >= start")
    columns: list[FactColumn] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_columns(self) -> FactDeclaration:
        names = {c.name for c in self.columns}
        unknown = [c for c in [*self.key, *(self.period or ())] if c not in names]
        if unknown:
            raise ValueError(f"{self.name}: key or period names unknown columns {unknown}")
        if "person_key" not in names:
            raise ValueError(f"{self.name}: an integrated fact is keyed by person_key")
        return self

    _path: Path = PrivateAttr(default=Path())

    @property
    def sql_path(self) -> Path:
        return self._path.with_suffix(".sql")

    def located_at(self, path: Path) -> Self:
        """Remember the YAML file this was read from (its SQL lies beside it)."""
        self._path = path
        return self


def load_fact(path: Path) -> FactDeclaration:
    declaration = FactDeclaration.model_validate(read_yaml(path))
    if declaration.name != path.stem or not path.with_suffix(".sql").exists():
        raise ValueError(f"{path}: name differs from the file name, or no SQL file beside it")
    return declaration.located_at(path)


@cache
def all_facts(directory: Path = FACTS_DIR) -> tuple[FactDeclaration, ...]:
    return tuple(load_fact(p) for p in sorted(directory.glob("*.yaml")))
