"""The parallel bench's cheaper load (`--loads-only`): each extract's load job in process, as
`datalabs run` starts, without its ``nightly_job``; exits 1 if a load failed."""

from __future__ import annotations

import sys


def main() -> int:
    import dagster as dg

    from datalabs_pipelines.automation.local_run import load_everything
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        return 1 if load_everything(defs, list(all_contracts()), instance).failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
