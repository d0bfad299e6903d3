"""Every mart asset, built from the declarations under this folder."""

from collections.abc import Sequence

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.contracts.roles import filling
from datalabs_pipelines.marts.declaration import MartDeclaration, all_declarations


def _gives(contract: Contract, constant: str, value: str) -> bool:
    """The contract's rows can carry ``value``: its constant, or the column per record."""
    return contract.constants.get(constant, value) == value


def with_role_sources(
    declaration: MartDeclaration, contracts: Sequence[Contract]
) -> MartDeclaration:
    """``declaration`` with every contract filling one of its roles as a source (agreements and
    delivery are checked as for a named one, delivery per role), its staging table a dep, and
    the contracts each optional column is measured by."""
    role_sources = {r: [c.name for c in filling(contracts, r)] for r in declaration.read_roles}
    reached = [c for r in declaration.read_roles for c in filling(contracts, r)]
    extra = list(dict.fromkeys(c.name for c in reached if c.name not in declaration.sources))
    measured_by: dict[str, list[str]] = {}
    for role, columns in declaration.optional_roles.items():
        for column in columns:
            measured_by.setdefault(column, []).extend(role_sources[role])
    for part in declaration.constant_columns:
        giving = [c.name for c in filling(contracts, part.role)
                  if _gives(c, part.constant, part.value)]  # fmt: skip
        for column in part.columns:
            measured_by.setdefault(column, []).extend(giving)
    deps = [f"staging/{c.agency}/{c.name}" for c in reached if c.name in extra]
    return declaration.model_copy(
        update={
            "sources": [*declaration.sources, *extra],
            "optional_sources": {**declaration.optional_sources, **{n: [] for n in extra}},
            "deps": list(dict.fromkeys([*declaration.deps, *deps])),
            "role_sources": role_sources,
            "measured_by": {c: list(dict.fromkeys(ns)) for c, ns in measured_by.items()},
        }
    )


def _buildable(declaration: MartDeclaration, contracts: Sequence[Contract]) -> bool:
    """Its named sources have contracts, each required role a contract filling it and, with
    only optional roles, one of them has."""
    if not set(declaration.sources) <= {c.name for c in contracts}:
        return False
    if declaration.roles:
        return all(filling(contracts, r) for r in declaration.roles)
    return not declaration.optional_roles or any(
        filling(contracts, r) for r in declaration.optional_roles
    )


def mart_declarations(contracts: Sequence[Contract]) -> list[MartDeclaration]:
    """The declarations this code location's contracts can build, with the contracts filling
    their roles."""
    return [with_role_sources(d, contracts) for d in all_declarations() if _buildable(d, contracts)]
