"""Every mart asset, built from the declarations under this folder."""

from collections.abc import Sequence

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.marts.declaration import MartDeclaration, all_declarations


def with_role_sources(
    declaration: MartDeclaration, contracts: Sequence[Contract]
) -> MartDeclaration:
    """``declaration`` with every contract filling one of its roles as an optional source
    (agreements and delivery are checked as for a named one) and its staging table a dep."""
    reached = [c for r in declaration.roles for c in filling(contracts, r)]
    extra = list(dict.fromkeys(c.name for c in reached if c.name not in declaration.sources))
    if not extra:
        return declaration
    deps = [f"staging/{c.agency}/{c.name}" for c in reached if c.name in extra]
    return declaration.model_copy(
        update={
            "sources": [*declaration.sources, *extra],
            "optional_sources": {**declaration.optional_sources, **{n: [] for n in extra}},
            "deps": list(dict.fromkeys([*declaration.deps, *deps])),
        }
    )


def mart_declarations(contracts: Sequence[Contract]) -> list[MartDeclaration]:
    """The declarations whose named source extracts all have a contract in this code location
    and, when they read roles, some contract fills one; with the contracts filling their roles."""
    names = {c.name for c in contracts}
    return [
        with_role_sources(d, contracts)
        for d in all_declarations()
        if set(d.sources) <= names and (not d.roles or any(filling(contracts, r) for r in d.roles))
    ]
