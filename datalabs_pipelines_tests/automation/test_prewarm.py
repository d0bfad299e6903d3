"""The background import never enters a package the main thread is using meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, threading
imported = []
sys.addaudithook(lambda event, args: event == "import"
    and imported.append((threading.current_thread().name, args[0])))
from datalabs_pipelines.automation.prewarm import HEAVY_MODULES, SHARED_MODULES, prewarm_imports
prewarm_imports().join()
print(json.dumps({"shared": SHARED_MODULES, "heavy": HEAVY_MODULES, "imported": imported}))
"""


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_shared_modules_are_imported_before_the_background_thread_starts():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=300
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    background = [name for thread, name in report["imported"] if thread == "datalabs-prewarm"]
    for heavy in report["heavy"]:  # it did import the heavy libraries' modules
        assert any(_inside(name, heavy) for name in background), heavy
    inside_shared = [n for n in background for s in report["shared"] if _inside(n, s)]
    assert inside_shared == []
