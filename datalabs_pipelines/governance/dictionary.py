"""The data dictionary: every table and column the platform defines, with where it comes from.

Built from the asset definitions (schema, owners, tags, column lineage: whatever any layer
declares, including integrated tables), enriched by the contracts (per-column classification,
the delivered file's column names) and the mart declarations (grain, roles, metric
definitions). Pure: the asset adds example values of public columns from the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace

import dagster as dg

from datalabs_pipelines.assets_common import LINEAGE_KEY
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.governance.disclosure import GATED_ROLES, SUPPRESSED_SUFFIX
from datalabs_pipelines.marts.declaration import MartColumn, MartDeclaration

LAYERS = ("raw", "staging", "pii", "integrated", "marts")
TOKEN_SUFFIXES = ("_token", "_year", "_status")
_SECTION = re.compile(r"\s*(Source|Grain|Target):")


@dataclass(frozen=True)
class Entry:
    """One column of one table, as the dictionary shows it."""

    layer: str
    table_name: str
    table_description: str
    grain: str
    column_name: str
    column_type: str
    column_description: str
    classification: str
    role: str | None
    definition: str | None
    source: str
    owners: str
    domain: str
    asset_key: str
    examples: str | None = None

    @property
    def anchor(self) -> str:
        return f"{self.table_name}.{self.column_name}"


ENTRY_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("VARCHAR", "raw, staging, pii, integrated or marts"),
    "table_name": ("VARCHAR", "schema.table in the warehouse"),
    "table_description": ("VARCHAR", "what the table holds"),
    "grain": ("VARCHAR", "what one row of the table is"),
    "column_name": ("VARCHAR", "column name"),
    "column_type": ("VARCHAR", "DuckDB type"),
    "column_description": ("VARCHAR", "what the column means"),
    "classification": ("VARCHAR", "pii, confidential or public"),
    "role": (
        "VARCHAR",
        "for mart columns: dimension, label, count, measure, amount, rate, share, interval, "
        "median, flag",
    ),
    "definition": ("VARCHAR", "how a metric is computed"),
    "source": ("VARCHAR", "the delivered file column or upstream columns it derives from"),
    "owners": ("VARCHAR", "owning teams and stewards"),
    "domain": ("VARCHAR", "procurement, safety_net, workforce, education or platform"),
    "asset_key": ("VARCHAR", "the Dagster asset that builds the table"),
    "examples": ("VARCHAR", "up to three example values, public non-metric columns only"),
}
assert [f.name for f in fields(Entry)] == list(ENTRY_COLUMNS)


def table_name(key: dg.AssetKey) -> str:
    return f"{key.path[0]}.{key.path[-1]}"


def _describe(spec: dg.AssetSpec) -> tuple[str, str]:
    """(description, grain) from a docstring that names Source, Grain and Target."""
    text = " ".join((spec.description or "").split())
    parts = _SECTION.split(text)
    description = parts[0].strip()
    labelled = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=False))
    return description, labelled.get("Grain", "")


def _lineage_sources(spec: dg.AssetSpec) -> dict[str, str]:
    lineage = spec.metadata.get(LINEAGE_KEY)
    lineage = getattr(lineage, "column_lineage", lineage)
    if not isinstance(lineage, dg.TableColumnLineage):
        return {}
    return {
        column: ", ".join(f"{table_name(d.asset_key)}.{d.column_name}" for d in deps)
        for column, deps in lineage.deps_by_column.items()
    }


def _contract_of(spec: dg.AssetSpec, contracts: dict[str, Contract]) -> Contract | None:
    name = spec.metadata.get("contract")
    return contracts.get(getattr(name, "value", name)) if name else None


def _column_classification(layer: str, column: str, contract: Contract | None, tag: str) -> str:
    if layer == "marts":
        return "public"
    if contract is None:
        return tag
    known = {c.name: c.classification for c in contract.columns}
    if column in known:
        return known[column]
    if column.endswith("_match"):
        return known.get(column.removesuffix("_match"), tag)
    if column.endswith(TOKEN_SUFFIXES):
        return "confidential"  # a keyed token or coarsened value, never the identifier
    return "confidential"


def _file_source(contract: Contract, column: str) -> str | None:
    for c in contract.columns:
        if c.name == column:
            return f"file column {c.source} of {contract.file_pattern} ({contract.agency})"
    return None


def entries_for_spec(
    spec: dg.AssetSpec,
    contracts: dict[str, Contract],
    declarations: dict[str, MartDeclaration],
) -> list[Entry]:
    """Dictionary rows for one table-shaped asset (none if it declares no column schema)."""
    layer = spec.key.path[0]
    schema = spec.metadata.get("dagster/column_schema")
    schema = getattr(schema, "schema", schema)
    if layer not in LAYERS or not isinstance(schema, dg.TableSchema):
        return []
    contract = _contract_of(spec, contracts)
    declaration = declarations.get(spec.key.path[-1]) if layer == "marts" else None
    description, grain = _describe(spec)
    if declaration is not None:
        description, grain = declaration.description, declaration.grain
    elif contract is not None and not grain:
        grain = contract.grain
    lineage = _lineage_sources(spec)
    upstream = ", ".join(table_name(d.asset_key) for d in spec.deps)
    fallback = f"derived from {upstream}" if upstream else "set by the pipeline when loading"
    mart_columns = {c.name: c for c in declaration.columns} if declaration else {}
    tag = spec.tags.get("classification", "confidential")
    rows = []
    for column in schema.columns:
        declared = mart_columns.get(column.name)
        source = lineage.get(column.name)
        if source is None and layer == "raw" and contract is not None:
            source = _file_source(contract, column.name)
        if (
            source is None
            and layer == "pii"
            and contract is not None
            and spec.key.path[-1].endswith("_raw")
        ):
            source = _file_source(contract, column.name)
        rows.append(
            Entry(
                layer=layer,
                table_name=table_name(spec.key),
                table_description=description,
                grain=grain,
                column_name=column.name,
                column_type=column.type,
                column_description=column.description or "",
                classification=_column_classification(layer, column.name, contract, tag),
                role=declared.role if declared else None,
                definition=_definition(declaration, declared),
                source=source or fallback,
                owners=", ".join(spec.owners),
                domain=spec.tags.get("domain", ""),
                asset_key=spec.key.to_user_string(),
            )
        )
        gated = declared is not None and declared.role in GATED_ROLES
        if gated and declaration is not None and declaration.disclosure_control:
            rows.append(_suppressed_entry(rows[-1]))
    return rows


def _suppressed_entry(gated: Entry) -> Entry:
    """The published companion flag of a gated mart column (in the snapshot, not the marts)."""
    return replace(
        gated,
        column_name=gated.column_name + SUPPRESSED_SUFFIX,
        column_type="BOOLEAN",
        column_description=f"published snapshot only: TRUE when the disclosure gate suppressed "
        f"{gated.column_name} in this row (the value is then NULL, not zero)",
        classification="public",
        role="flag",
        definition=None,
        source=f"the disclosure gate (governance/disclosure.py) on {gated.column_name}",
    )


def _definition(declaration: MartDeclaration | None, column: MartColumn | None) -> str | None:
    """The declared definition, and for a rate found through a link path why it may be NULL."""
    if column is None:
        return None
    coverage = declaration.link_coverage if declaration else None
    if coverage is None or column.name not in (*coverage.withheld, coverage.share):
        return column.definition
    minimum, path = f"{coverage.min_link_coverage:g}", f"(link path: {coverage.path})"
    note = (
        f"Below {minimum} the rates found through the link ({', '.join(coverage.withheld)}) "
        f"are withheld as not representative {path}."
        if column.name == coverage.share
        else f"Withheld (NULL) where {coverage.share} is below {minimum}: too few of the "
        f"cohort can be linked for it to be representative {path}."
    )
    definition = (column.definition or "").rstrip()
    if definition and not definition.endswith("."):
        definition += "."
    return f"{definition} {note}".strip()


def build_entries(
    specs: Iterable[dg.AssetSpec],
    contracts: Sequence[Contract],
    declarations: Sequence[MartDeclaration],
) -> list[Entry]:
    """Every column of every table-shaped asset, ordered by layer, table and position."""
    by_contract = {c.name: c for c in contracts}
    by_mart = {d.name: d for d in declarations}
    entries = [e for s in specs for e in entries_for_spec(s, by_contract, by_mart)]
    order = {layer: i for i, layer in enumerate(LAYERS)}
    return sorted(entries, key=lambda e: (order[e.layer], e.table_name))


def as_rows(entries: Iterable[Entry]) -> list[tuple]:
    return [tuple(asdict(e).values()) for e in entries]


def may_show_examples(entry: Entry) -> bool:
    """Only public, non-metric, non-identifier columns ever get example values."""
    return (
        entry.classification == "public"
        and entry.role in (None, "dimension")
        and not entry.column_name.endswith(TOKEN_SUFFIXES)
        and entry.column_type.upper().startswith(("VARCHAR", "INTEGER", "BIGINT", "SMALLINT"))
    )
