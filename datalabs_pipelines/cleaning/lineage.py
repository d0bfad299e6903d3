"""Column lineage of the staging and identities tables, derived from the contract.

A reference is ``layer/agency/table:column`` (``assets_common.column_lineage``). Each staging
column comes from its raw column, or, for direct identifiers, from the pii zone's raw copy.
"""

from __future__ import annotations

from datalabs_pipelines.cleaning.staging import staging_columns
from datalabs_pipelines.contracts.model import Contract


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
