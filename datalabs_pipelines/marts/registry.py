"""Every mart asset, built from the declarations under this folder."""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines.marts.factory import build_mart_asset


def mart_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    """Marts whose source contracts are all in this code location (others cannot be built)."""
    names = {c.name for c in contracts}
    return [build_mart_asset(d, contracts) for d in all_declarations() if set(d.sources) <= names]
