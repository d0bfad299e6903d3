"""`make run` registers every delivery and loads the largest extract first."""

from __future__ import annotations

import dagster as dg

from datalabs_pipelines.automation.local_run import register_deliveries
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.ingestion.assets import partitions_for
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS


def test_deliveries_are_registered_and_the_largest_extract_comes_first(isolated_env):
    contracts = load_contracts(FIXTURE_CONTRACTS)
    folders = {c.name: isolated_env / "landing" / c.agency / c.name for c in contracts}
    sizes = {n: sum(p.stat().st_size for p in f.iterdir()) for n, f in folders.items()}
    smaller = min(sizes, key=sizes.get)
    (folders[smaller] / "zz_padding.csv").write_bytes(b"x" * (max(sizes.values()) + 1))

    with dg.DagsterInstance.ephemeral() as instance:
        order = register_deliveries(instance, contracts)
        assert next(iter(order)) == smaller  # now the largest
        for contract in contracts:
            files = sorted(p.name for p in folders[contract.name].iterdir())
            assert [d.name for d in order[contract.name]] == files
            registered = instance.get_dynamic_partitions(partitions_for(contract).name)
            assert sorted(registered) == files
