"""Invalid contracts fail at load time with the file and the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datalabs_pipelines.contracts import ContractError, load_contracts
from datalabs_pipelines.contracts.loader import load_contract
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS

VALID = yaml.safe_load((FIXTURE_CONTRACTS / "test_agency" / "people.yaml").read_text())


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def mutate(change) -> dict:
    data = yaml.safe_load(yaml.safe_dump(VALID))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (lambda d: d["columns"][0].update(type="uuid"), "columns.0.type", "Input should be"),
        (lambda d: d["columns"][1].pop("name"), "columns.1.name", "Field required"),
        (
            lambda d: d["expectations"].append({"type": "not_null", "column": "nope"}),
            "<contract>",
            "expectations[6] (not_null) names unknown column 'nope'",
        ),
        (lambda d: d.update(primary_key=["ghost"]), "<contract>", "unknown column 'ghost'"),
        (
            lambda d: d["format"].update(encoding="ebcdic"),
            "format.delimited.encoding",
            "Input should be",
        ),
        (lambda d: d["columns"][1].pop("pii_kind"), "columns.1", "needs `pii_kind`"),
        (lambda d: d["columns"][3].pop("formats"), "columns.3", "needs `formats`"),
        (lambda d: d.update(name="Bad Name"), "name", "lower_snake_case"),
        (
            lambda d: d["expectations"].append({"type": "not_null", "column": "person_id"}),
            "<contract>",
            "more than one check would be named ['person_id_not_null']",
        ),
    ],
)
def test_invalid_contract_names_file_and_field(tmp_path, change, field, fragment):
    path = write(tmp_path, mutate(change))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert fragment in message


def test_duplicate_contract_names_are_rejected(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(VALID))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(VALID))
    with pytest.raises(ContractError, match="also used by"):
        load_contracts(tmp_path)


def test_shipped_contracts_load_and_cover_four_domains():
    contracts = load_contracts()
    assert {c.domain for c in contracts} == {"procurement", "safety_net", "workforce", "education"}
    for contract in contracts:
        readme = (
            Path(__file__).parents[2]
            / "datalabs_pipelines"
            / "contracts"
            / contract.agency
            / "README.md"
        )
        assert readme.exists(), f"{contract.agency} has no README"
        assert contract.expectations, f"{contract.name} declares no expectations"
