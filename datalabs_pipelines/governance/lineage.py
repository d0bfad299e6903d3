"""Column lineage (``dagster/column_lineage``) from contracts and mart declarations.

A reference is ``layer/agency/table:column``, the asset key's user string and a column.
Staging lineage derives from the contract: each staging column comes from its raw column, or,
for direct identifiers, from the pii zone's raw copy. Integrated assets can use
``column_lineage`` with their own mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg

from datalabs_pipelines.cleaning.staging import staging_columns
from datalabs_pipelines.contracts.model import Contract

LINEAGE_KEY = "dagster/column_lineage"


def parse_ref(ref: str) -> dg.TableColumnDep:
    """``'staging/agency/table:column'`` → a column dependency."""
    key, _, column = ref.rpartition(":")
    if not key or not column:
        raise ValueError(f"{ref!r} is not 'layer/agency/table:column'")
    return dg.TableColumnDep(asset_key=dg.AssetKey.from_user_string(key), column_name=column)


def column_lineage(mapping: Mapping[str, Iterable[str]]) -> dg.TableColumnLineage:
    """Column → references it derives from; columns with no references are left out."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [parse_ref(r) for r in refs] for column, refs in mapping.items() if refs
        }
    )


def _raw_ref(contract: Contract, column: str) -> str:
    return f"raw/{contract.agency}/{contract.name}:{column}"


def _pii_ref(contract: Contract, column: str) -> str:
    return f"pii/{contract.agency}/{contract.name}_raw:{column}"


def staging_lineage_map(contract: Contract) -> dict[str, list[str]]:
    """Staging column → the raw (or pii raw) columns it is typed, folded or tokenized from."""
    mapping: dict[str, list[str]] = {
        "record_id": [_raw_ref(contract, "_delivery"), _raw_ref(contract, "_line")],
        "_delivery": [_raw_ref(contract, "_delivery")],
        "_line": [_raw_ref(contract, "_line")],
    }
    for column in contract.columns:
        ref = (
            _pii_ref(contract, column.name)
            if column.classification == "pii"
            else _raw_ref(contract, column.name)
        )
        for name in staging_columns(column):
            mapping[name] = [ref]
    return mapping


def identities_lineage_map(contract: Contract) -> dict[str, list[str]]:
    """``pii.<extract>_identities`` column → the pii raw column it normalizes."""
    mapping = {"record_id": [_raw_ref(contract, "_delivery"), _raw_ref(contract, "_line")]}
    for column in contract.pii_columns:
        mapping[column.name] = [_pii_ref(contract, column.name)]
    return mapping
