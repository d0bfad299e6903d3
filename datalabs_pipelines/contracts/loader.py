"""Load and validate every contract YAML under this package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import role_problems
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.yaml_files import read_yaml

CONTRACTS_DIR = Path(__file__).parent


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the field."""


def load_contract(path: Path) -> Contract:
    try:
        data = read_yaml(path)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ContractError(f"{path}: a contract must be a YAML mapping")
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<contract>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContractError(f"{path}: {problems}") from exc
    if problems := role_problems(contract):
        raise ContractError("\n".join(f"{path}: {p}" for p in problems))
    return contract


def load_contracts(directory: Path = CONTRACTS_DIR) -> list[Contract]:
    """All contracts under ``directory``, sorted by name; names must be unique."""
    contracts = [load_contract(p) for p in sorted(directory.rglob("*.yaml"))]
    seen: dict[str, str] = {}
    for path, contract in zip(sorted(directory.rglob("*.yaml")), contracts, strict=True):
        if contract.name in seen:
            raise ContractError(
                f"{path}: name {contract.name!r} also used by {seen[contract.name]}"
            )
        seen[contract.name] = str(path)
    return sorted(contracts, key=lambda c: c.name)


@cache
def _contracts_in(directory: Path) -> tuple[Contract, ...]:
    return tuple(load_contracts(directory))


def all_contracts() -> tuple[Contract, ...]:
    """The contracts in ``DATALABS_CONTRACTS_DIR`` (default: the package's own)."""
    return _contracts_in(get_settings().contracts_dir)
