"""Load and validate every contract YAML under the contract folder.

A broken contract holds back only its own extract: ``all_contracts`` returns the valid ones and
``contract_errors`` says what is wrong with the others, one line per problem (see ``errors``).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from datalabs_pipelines.contracts.errors import problems
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import role_problems
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines.yaml_files import read_yaml

CONTRACTS_DIR = Path(__file__).parent
log = logging.getLogger(__name__)


class ContractError(ValueError):
    """A contract file is invalid: one line per problem, each naming the file and the place."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = [f"{path}: {line}" for line in lines]
        super().__init__("\n".join(self.lines))


def load_contract(path: Path) -> Contract:
    try:
        data = read_yaml(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise ContractError(path, [f"{where}not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ContractError(path, ["a contract must be a YAML mapping"])
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        raise ContractError(path, problems(exc, data)) from None
    if role_issues := role_problems(contract):
        raise ContractError(path, role_issues)
    return contract


def scan_contracts(directory: Path = CONTRACTS_DIR) -> tuple[list[Contract], list[ContractError]]:
    """The valid contracts under ``directory`` (by name), and an error for each invalid file.

    A contract reusing a name already taken (in file order) is an error of its own file.
    """
    contracts: list[Contract] = []
    errors: list[ContractError] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.yaml")):
        try:
            contract = load_contract(path)
        except ContractError as exc:
            errors.append(exc)
            continue
        if contract.name in seen:
            errors.append(
                ContractError(path, [f"name {contract.name!r} also used by {seen[contract.name]}"])
            )
            continue
        seen[contract.name] = path
        contracts.append(contract)
    return sorted(contracts, key=lambda c: c.name), errors


def load_contracts(directory: Path = CONTRACTS_DIR) -> list[Contract]:
    """All contracts under ``directory``, sorted by name; any invalid one raises."""
    contracts, errors = scan_contracts(directory)
    if errors:
        raise errors[0]
    return contracts


@cache
def _scanned(directory: Path) -> tuple[tuple[Contract, ...], tuple[ContractError, ...]]:
    contracts, errors = scan_contracts(directory)
    for error in errors:
        log.warning("contract skipped, its extract is held back:\n%s", error)
    return tuple(contracts), tuple(errors)


def all_contracts() -> tuple[Contract, ...]:
    """The valid contracts in ``DATALABS_CONTRACTS_DIR`` (default: the package's own)."""
    return _scanned(get_settings().contracts_dir)[0]


def contract_errors() -> tuple[ContractError, ...]:
    """What is wrong with each invalid contract in ``DATALABS_CONTRACTS_DIR``."""
    return _scanned(get_settings().contracts_dir)[1]
