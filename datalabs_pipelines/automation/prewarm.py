"""Import the heavy libraries of later steps in the background while the raw loads run.

Great Expectations takes about 4 s to import (SciPy and its own registry of expectations), and
the first staging step would otherwise wait for it. The raw loads spend most of their time
inside DuckDB, which releases the GIL, so the import runs mostly on the otherwise idle core.

Two threads must never be inside the import of the same package at once: one sees the other's
half-initialised modules. SQLAlchemy's ORM, imported by Great Expectations, hooks itself into
the SQLAlchemy core that Dagster's storage is using meanwhile, and a run failed with
"partially initialized module 'sqlalchemy.orm.exc'"; the main thread also converts Arrow to
pandas during the loads. So ``SHARED_MODULES``, what both threads reach, are imported first,
in the calling thread (about 0.3 s), and the background thread imports only what no step of
the loads touches.
"""

from __future__ import annotations

import gc
import importlib
import threading

HEAVY_MODULES = ("great_expectations", "splink")
SHARED_MODULES = ("sqlalchemy.orm", "pandas", "pyarrow.pandas_compat")


def prewarm_imports() -> threading.Thread:
    """Start importing ``HEAVY_MODULES`` in a daemon thread; a step needing one just waits."""
    for name in SHARED_MODULES:
        importlib.import_module(name)
    thread = threading.Thread(target=_import_all, name="datalabs-prewarm", daemon=True)
    thread.start()
    return thread


def _import_all() -> None:
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the step that imports it reports the error
            continue
    gc.freeze()  # what they loaded lives as long as the process: collections skip it
