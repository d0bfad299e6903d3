"""Every integrated procurement table: its grain, source and columns (for specs and docs).

The certified-spend tables are declared in YAML beside their SQL (``sql/<table>.yaml``, the
project's one declaration model); the vendor-resolution tables are still declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from datalabs_pipelines.declarations import DeclaredColumn, TableDeclaration, load_declaration
from datalabs_pipelines.linkage.incremental import SCORED_PAIRS_COLUMNS, SCORED_PROFILES_COLUMNS
from datalabs_pipelines.linkage.model_runs import MODEL_RUNS_COLUMNS
from datalabs_pipelines.linkage.review import review_columns
from datalabs_pipelines.procurement.facts import SQL_DIR, STEPS
from datalabs_pipelines.procurement.keys import ASSIGNMENT_DESCRIPTIONS, VENDOR_KEY_SPEC
from datalabs_pipelines.procurement.linkage import REVIEW_FIELDS
from datalabs_pipelines.procurement.payment_lines import LINES
from datalabs_pipelines.procurement.sources import RECORDS_COLUMNS


@dataclass(frozen=True)
class Table:
    name: str
    summary: str
    source: str
    grain: str
    columns: dict[str, tuple[str, str]]


V = "VARCHAR"
LINKAGE_TABLES = (
    Table(
        "business_records",
        "Vendor-master and registry records in one comparable shape.",
        "every contract filling the `vendor_master` or `certified_firm_registry` role",
        "one row per staged vendor or registry record",
        RECORDS_COLUMNS,
    ),
    Table(
        "vendor_matches",
        "Every candidate pair of business records with its probability "
        "and decision (FEIN, linked, review, decided_by_fein, refused_fein_conflict).",
        "`integrated.business_records`, scored by the versioned Splink model",
        "one row per FEIN link or scored pair above the review floor",
        {
            "uid_l": (V, "first record (source_extract|record_id)"),
            "uid_r": (V, "second record"),
            "method": (V, "fein or splink"),
            "match_probability": ("DOUBLE", "probability the two are one business"),
            "match_weight": ("DOUBLE", "Splink match weight (log2 Bayes factor)"),
            "decision": (V, "linked, review, decided_by_fein or refused_fein_conflict"),
        },
    ),
    Table(
        "vendor_match_review",
        "Uncertain pairs left unlinked for a person to decide.",
        "`integrated.vendor_matches`",
        "one row per pair in the review band whose records are in different businesses",
        review_columns("vendor_key", {f: f"{f} (public business data)" for f in REVIEW_FIELDS}),
    ),
    Table(
        "vendor_keys",
        "The business every vendor-master and registry record belongs to.",
        "`integrated.business_records` clustered; keys from `vendor_key_assignments`",
        "one row per staged vendor or registry record",
        {
            "source_extract": (V, "extract of the record"),
            "record_id": (V, "staging record id"),
            "vendor_key": (V, "stable business key"),
            "source_id": (V, "the source's own id"),
            "role": (V, "vendor or registry"),
        },
    ),
    Table(
        "vendor_key_assignments",
        "Persistent memory of every record's key across runs.",
        "vendor resolution, run after run",
        "one row per source record ever seen",
        ASSIGNMENT_DESCRIPTIONS,
    ),
    Table(
        "vendor_key_changes",
        "Log of key merges and splits with run id (the schema of people's change log).",
        "vendor resolution, run after run",
        "one row per run, old key and new key whose records moved",
        VENDOR_KEY_SPEC.change_columns,
    ),
    Table(
        "vendor_linkage_models",
        "Which model each run scored with: file, versions, whether re-estimated, refusals.",
        "vendor resolution, run after run",
        "one row per run",
        MODEL_RUNS_COLUMNS,
    ),
    Table(
        "vendor_scored_profiles",
        "The records the last run scored, so the next scores only pairs touching a new one "
        "(`linkage/incremental.py`).",
        "vendor resolution",
        "one row per business record (ids and hashes, no values)",
        SCORED_PROFILES_COLUMNS,
    ),
    Table(
        "vendor_scored_pairs",
        "Scored record pairs from the review probability up, kept for the next run.",
        "vendor resolution's Splink scores",
        "one row per record pair",
        SCORED_PAIRS_COLUMNS,
    ),
)


class ProcurementTable(TableDeclaration):
    """A certified-spend table, declared in ``sql/<name>.yaml`` beside the SQL that builds it."""

    source: str = Field(min_length=1, description="what it is built from")
    columns: list[DeclaredColumn] = Field(min_length=1)


REFERENCE_TABLES = ("procurement_programs", "value_maps", "procurement_parameters")


def _table(declaration: ProcurementTable) -> Table:
    columns = {c.name: (c.type, c.description) for c in declaration.columns}
    return Table(
        declaration.name, declaration.description, declaration.source, declaration.grain, columns
    )


FACT_TABLES = tuple(
    _table(load_declaration(SQL_DIR / f"{name}.yaml", ProcurementTable))
    for name in (*REFERENCE_TABLES, *(step for step, _ in STEPS), LINES[1])
)
