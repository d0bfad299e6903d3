"""Extract contracts: YAML files per agency folder, loaded and validated here."""

from datalabs_pipelines.contracts.loader import (
    ContractError,
    all_contracts,
    contract_errors,
    load_contracts,
)
from datalabs_pipelines.contracts.model import Column, Contract

__all__ = [
    "Column",
    "Contract",
    "ContractError",
    "all_contracts",
    "contract_errors",
    "load_contracts",
]
