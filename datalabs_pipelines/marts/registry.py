"""Every mart asset, in one list: the publish step depends on all of them."""

from collections.abc import Sequence

import dagster as dg

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.marts.linkage_quality import build_linkage_quality
from datalabs_pipelines.marts.platform import build_extract_quality


def mart_assets(contracts: Sequence[Contract]) -> list[dg.AssetsDefinition]:
    return [build_extract_quality(contracts), *build_linkage_quality(contracts)]
