"""The person sources: which extracts describe people and which columns linkage reads.

Declared in ``person_sources.yaml`` beside this module and checked against the contracts, so
that a field named as an identity really is a pii column and an open field never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.warehouse import identifier
from datalabs_pipelines.yaml_files import read_yaml

SPEC_FILE = Path(__file__).parent / "person_sources.yaml"

# Identity fields, read from pii.<extract>_identities; open fields, read from staging.
IDENTITY_FIELDS = ("first_name", "last_name", "middle_name", "full_name", "dob", "ssn", "zip")
OPEN_FIELDS = ("sex", "employer")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencyId(_Strict):
    """Columns that identify one person inside an agency, under a namespace of its own."""

    namespace: str
    columns: list[str] = Field(min_length=1)


class PersonSource(_Strict):
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    full_name: str | None = None
    dob: str | None = None
    ssn: str | None = None
    zip: str | None = None
    sex: str | None = None
    employer: str | None = None
    agency_id: AgencyId | None = None

    def column(self, field: str) -> str | None:
        return getattr(self, field)


class PersonSourceSpec(_Strict):
    sources: dict[str, PersonSource]


class SourceError(ValueError):
    """``person_sources.yaml`` disagrees with a contract."""


@cache
def _spec(path: Path = SPEC_FILE) -> PersonSourceSpec:
    return PersonSourceSpec.model_validate(read_yaml(path))


def person_sources(contracts: Sequence[Contract]) -> dict[str, tuple[Contract, PersonSource]]:
    """Extract name → (contract, source) for every declared extract present in ``contracts``."""
    by_name = {c.name: c for c in contracts}
    found = {}
    for name, source in _spec().sources.items():
        contract = by_name.get(name)
        if contract is not None:
            validate_source(contract, source)
            found[name] = (contract, source)
    return found


def validate_source(contract: Contract, source: PersonSource) -> None:
    columns = {c.name: c for c in contract.columns}

    def need(column: str, pii: bool, field: str) -> None:
        identifier(column)
        if column not in columns:
            raise SourceError(f"{contract.name}.{field}: no column {column!r} in the contract")
        if (columns[column].classification == "pii") != pii:
            kind = "a pii" if pii else "a non-pii"
            raise SourceError(f"{contract.name}.{field}: {column!r} must be {kind} column")

    for field in IDENTITY_FIELDS:
        if (column := source.column(field)) is not None:
            need(column, True, field)
    for field in OPEN_FIELDS:
        if (column := source.column(field)) is not None:
            need(column, False, field)
    if source.agency_id is not None:
        identifier(source.agency_id.namespace)
        for column in source.agency_id.columns:
            need(column, False, "agency_id")
    if source.full_name and (source.first_name or source.last_name):
        raise SourceError(f"{contract.name}: full_name excludes first_name and last_name")
