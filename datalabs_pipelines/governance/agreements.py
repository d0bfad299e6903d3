"""Data-sharing agreements as code: may this mart use these sources for its purpose, today?

Each contract names the agreement its extract falls under (permitted purposes, expiry date);
each mart declares one purpose. A mart uses a source when it names the contract in
``sources`` or depends on one of the contract's raw, pii or staging assets (``staging/*``
depends on all of them). The evaluation is pure: no warehouse, so it runs before the mart's
SQL and in tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.marts.declaration import MartDeclaration

AGREEMENT_CHECK = "agreement_permits_purpose"
CONTRACT_LAYERS = {"raw", "staging", "pii"}
NO_AGREEMENT = "(none on file)"


@dataclass(frozen=True)
class AgreementFinding:
    """One source's agreement as it applies to one mart on one date."""

    mart: str
    purpose: str
    source: str
    agreement: str
    expires: dt.date
    permits_purpose: bool
    expired: bool

    @property
    def ok(self) -> bool:
        return self.permits_purpose and not self.expired

    def problem(self) -> str | None:
        """A sentence naming the mart, the source and the agreement, or None if allowed."""
        if self.agreement == NO_AGREEMENT:
            return (
                f"mart {self.mart!r} names source {self.source!r}, which has no contract and "
                "so no data-sharing agreement on file"
            )
        reasons = []
        if not self.permits_purpose:
            reasons.append(f"does not permit purpose {self.purpose!r}")
        if self.expired:
            reasons.append(f"expired on {self.expires.isoformat()}")
        if not reasons:
            return None
        return (
            f"mart {self.mart!r} uses source {self.source!r} under agreement "
            f"{self.agreement!r}, which {' and '.join(reasons)}"
        )


def _source_names(declaration: MartDeclaration, known: set[str]) -> set[str]:
    names = set(declaration.sources)
    for dep in declaration.deps:
        parts = dep.split("/")
        if dep == "staging/*":
            names |= known
        elif len(parts) == 3 and parts[0] in CONTRACT_LAYERS:
            names.add(parts[2].removesuffix("_raw").removesuffix("_identities"))
    return names


def sources_used(declaration: MartDeclaration, contracts: Sequence[Contract]) -> list[Contract]:
    """Contracts the mart names in ``sources`` or reaches through a contract-layer dep."""
    by_name = {c.name: c for c in contracts}
    return [by_name[n] for n in sorted(_source_names(declaration, set(by_name))) if n in by_name]


def evaluate_agreements(
    declaration: MartDeclaration, contracts: Sequence[Contract], on: dt.date
) -> list[AgreementFinding]:
    """One finding per source the mart uses; an agreement is valid through its expiry date.
    A declared source without a contract has no agreement, and so is not permitted."""
    findings = [
        AgreementFinding(
            mart=declaration.name,
            purpose=declaration.purpose,
            source=contract.name,
            agreement=contract.agreement.name,
            expires=contract.agreement.expires,
            permits_purpose=declaration.purpose in contract.agreement.permitted_purposes,
            expired=on > contract.agreement.expires,
        )
        for contract in sources_used(declaration, contracts)
    ]
    known = {c.name for c in contracts}
    findings += [
        AgreementFinding(
            declaration.name, declaration.purpose, name, NO_AGREEMENT, on, False, False
        )
        for name in sorted(set(declaration.sources) - known)
    ]
    return findings
