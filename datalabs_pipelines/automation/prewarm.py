"""Import the heavy libraries of later steps in the background while the raw loads run.

Great Expectations takes about 4 s to import (SciPy and its own registry of expectations), and
the first staging step would otherwise wait for it. The raw loads spend most of their time
inside DuckDB, which releases the GIL, so the import runs mostly on the otherwise idle core.
"""

from __future__ import annotations

import gc
import importlib
import threading

HEAVY_MODULES = ("great_expectations", "splink")


def prewarm_imports() -> threading.Thread:
    """Start importing ``HEAVY_MODULES`` in a daemon thread; a step needing one just waits."""
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
