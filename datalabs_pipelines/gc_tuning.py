"""Garbage-collector settings for every process that runs this code location's jobs.

Dagster allocates many small objects per event: Python's default thresholds ran 1,600
collections (1.2 s) in a scale-1 `datalabs run`, 50 (0.5 s) with these. What is loaded by the
time the code location is imported (Dagster, DuckDB, the definitions) lives as long as the
process, so collections stop rescanning it. ``definitions`` applies them on import, so that
`datalabs run`, a launched run's worker and the code server run alike.
"""

import gc


def tune_garbage_collector() -> None:
    gc.set_threshold(20_000, 20, 20)
    gc.freeze()
