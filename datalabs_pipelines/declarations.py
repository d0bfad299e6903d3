"""The one declaration model of a built table: a YAML file beside the SQL that builds it.

Integrated facts (``outcomes/facts``), certified-spend tables (``procurement/sql``) and marts
(``marts/<domain>``) are declared alike: name (the file's stem), domain, description, grain,
owners and every column's name, DuckDB type and description. A table filled from configuration
names the module that writes it (``built_by``) instead of a SQL file. Each kind adds what its
builder needs (a fact's key and period, a mart's roles and disclosure arithmetic). Column types
reach SQL text (casts, empty tables), so they are checked against ``SQL_TYPE`` when the YAML is
read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from datalabs_pipelines.yaml_files import read_yaml

IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
# The DuckDB types a declaration may name: scalars, DECIMAL(p,s), and lists of them.
SQL_TYPE = (
    r"^(VARCHAR|BOOLEAN|DATE|TIMESTAMP|INTEGER|BIGINT|UBIGINT|DOUBLE"
    r"|DECIMAL\([0-9]{1,2}, ?[0-9]{1,2}\))"
    r"(\[\])?$"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeclaredColumn(Strict):
    name: str = Field(pattern=IDENTIFIER)
    type: str = Field(pattern=SQL_TYPE, description="DuckDB type")
    description: str = Field(min_length=1)


class TableDeclaration(Strict):
    name: str = Field(pattern=IDENTIFIER)
    domain: str = Field(pattern=IDENTIFIER)
    description: str = Field(min_length=1)
    grain: str = Field(min_length=1, description="One row per ...")
    owners: list[str] = Field(min_length=1)
    built_by: str | None = Field(
        None,
        description="the module that writes the table when no SQL file beside the YAML does "
        "(tables filled from configuration)",
    )

    _path: Path = PrivateAttr(default=Path())

    @property
    def path(self) -> Path:
        return self._path

    @property
    def sql_path(self) -> Path:
        return self._path.with_suffix(".sql")

    def located_at(self, path: Path) -> Self:
        """Remember the YAML file this was read from (its SQL lies beside it)."""
        self._path = path
        return self


class DeclarationError(ValueError):
    """A declaration is invalid; the message names the file and the field."""


D = TypeVar("D", bound=TableDeclaration)


def load_declaration(path: Path, model: type[D]) -> D:
    """Validate ``path`` as ``model``: its name must be the file's, its SQL must lie beside it."""
    try:
        declaration = model.model_validate(read_yaml(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<table>'}: {e['msg']}" for e in exc.errors()
        )
        raise DeclarationError(f"{path}: {problems}") from exc
    if declaration.name != path.stem:
        raise DeclarationError(f"{path}: name {declaration.name!r} differs from the file name")
    if declaration.built_by is None and not path.with_suffix(".sql").exists():
        raise DeclarationError(f"{path}: no SQL file {path.with_suffix('.sql').name} beside it")
    return declaration.located_at(path)


def load_all(paths: Iterable[Path], model: type[D]) -> tuple[D, ...]:
    return tuple(load_declaration(p, model) for p in sorted(paths))
