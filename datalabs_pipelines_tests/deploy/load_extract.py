"""Load one extract's landed deliveries, as the landing sensor's run would (a test's worker).

Usage: ``python -m datalabs_pipelines_tests.deploy.load_extract EXTRACT``; exits 1 if the run
fails. The instance and warehouse come from the environment, as for ``datalabs run``.
"""

from __future__ import annotations

import sys

import dagster as dg

from datalabs_pipelines.automation.local_run import (
    QUIET,
    RANGE_END,
    RANGE_START,
    register_deliveries,
)
from datalabs_pipelines.automation.sensors import load_job_name
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions


def main(extract: str) -> int:
    contracts = list(all_contracts())
    (contract,) = [c for c in contracts if c.name == extract]
    defs = build_definitions(contracts)
    with dg.DagsterInstance.get() as instance:
        names = [d.name for d in register_deliveries(instance, [contract])[extract]]
        result = defs.resolve_job_def(load_job_name(contract)).execute_in_process(
            instance=instance,
            tags={RANGE_START: names[0], RANGE_END: names[-1]},
            raise_on_error=False,
            run_config=QUIET,
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
