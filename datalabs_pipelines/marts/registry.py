"""Every mart asset, built from the declarations under this folder."""

from collections.abc import Sequence

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.declaration import MartDeclaration, all_declarations


def mart_declarations(contracts: Sequence[Contract]) -> list[MartDeclaration]:
    """The declarations whose source extracts all have a contract in this code location."""
    names = {c.name for c in contracts}
    return [d for d in all_declarations() if set(d.sources) <= names]
