"""`datalabs run`'s last run alone: ``nightly_job`` in process, in a process of its own.

The benchmark's `datalabs run` records every SQL statement for the bare replay, which slows
it; the nightly job launched through the daemon records nothing. So the launched run is set
against this: the same call `make run` makes (``local_run.run_nightly``), unrecorded, on the
warehouse that run loaded. Exits 1 if the run failed.
"""

from __future__ import annotations

import sys


def main() -> int:
    import dagster as dg

    from datalabs_pipelines.automation.local_run import run_nightly
    from datalabs_pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        return 0 if run_nightly(defs, instance).success else 1


if __name__ == "__main__":
    sys.exit(main())
