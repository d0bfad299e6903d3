"""The person sources: the contracts that declare ``person_source:``, and what linkage reads.

A contract fills the ``person_source`` role (``linkage/roles.yaml``) by its canonical column
names: identity columns (names, date of birth, SSN, ZIP) are pii columns read from
``pii.<extract>_identities``; sex and employer are staging columns; the optional agency id
pre-groups one agency's records of one person. The role check (``contracts/roles.py``) runs
when the definitions load, so a source here already fits its role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datalabs_pipelines.contracts.model import AgencyId, Contract
from datalabs_pipelines.contracts.roles import PERSON_SOURCE, filling

# Identity fields, read from pii.<extract>_identities; open fields, read from staging.
IDENTITY_FIELDS = ("first_name", "last_name", "middle_name", "full_name", "dob", "ssn", "zip")
# lk_records field → the role's canonical column
OPEN_FIELDS = {"sex": "sex", "employer": "employer_fein"}


@dataclass(frozen=True)
class PersonSource:
    """Which of a contract's columns linkage reads, by linkage field (None: not given)."""

    columns: dict[str, str]
    agency_id: AgencyId | None = None

    def column(self, field: str) -> str | None:
        return self.columns.get(field)

    @property
    def full_name(self) -> str | None:
        return self.column("full_name")


def person_source(contract: Contract) -> PersonSource:
    """What linkage reads from ``contract`` (which declares ``person_source:``)."""
    names = {c.name for c in contract.columns}
    fields = {f: f for f in IDENTITY_FIELDS} | OPEN_FIELDS
    columns = {field: column for field, column in fields.items() if column in names}
    declared = contract.person_source
    return PersonSource(columns, declared.agency_id if declared else None)


def person_sources(contracts: Sequence[Contract]) -> dict[str, tuple[Contract, PersonSource]]:
    """Extract name → (contract, source) for every contract filling ``person_source``."""
    return {c.name: (c, person_source(c)) for c in filling(contracts, PERSON_SOURCE)}
