"""Stable ``vendor_key``s: how firms declare the shared key persistence (``linkage.keys``).

``integrated.vendor_key_assignments`` remembers the key of every record ever seen, by its
source's own id (vendor id, certification number), so a re-delivered file with other line
numbers changes nothing. A business that inherits no key gets one derived from its first
record's id (``VK`` + 12 hex digits), so a fresh warehouse gives the same keys. Merges and
splits are logged in ``integrated.vendor_key_changes`` with the Dagster run id, in the same
schema as people's change log.
"""

from __future__ import annotations

from datalabs_pipelines.linkage.keys import KeySpec

ASSIGNMENTS = ("integrated", "vendor_key_assignments")
CHANGES = ("integrated", "vendor_key_changes")
ASSIGNMENT_DESCRIPTIONS = {
    "source_extract": ("VARCHAR", "extract of the record"),
    "source_id": ("VARCHAR", "the source's own id (vendor id, certification number)"),
    "record_id": ("VARCHAR", "staging record id the source id was last seen on"),
    "vendor_key": ("VARCHAR", "stable business key: VK + 12 hex digits"),
    "run_id": ("VARCHAR", "Dagster run that last set the key"),
    "assigned_at": ("TIMESTAMP", "when the key was last set"),
}
VENDOR_KEY_SPEC = KeySpec(
    key="vendor_key",
    memory=ASSIGNMENTS,
    memory_columns=ASSIGNMENT_DESCRIPTIONS,
    identity=("source_extract", "source_id"),
    changes=CHANGES,
    prefix="VK",
    derived=True,
    remember_retired=True,
    stamps={"run_id": "$run_id", "assigned_at": "current_timestamp::TIMESTAMP"},
)
