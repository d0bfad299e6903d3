"""A broken contract holds back only its own extract: the others load, run and validate."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from datalabs_pipelines.cli import main
from datalabs_pipelines.contracts import all_contracts, contract_errors
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING

PROBLEM = "columns[3] (dob): unknown key 'format'; did you mean 'formats'?"


@pytest.fixture
def one_broken(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = isolated_env / "contracts"
    shutil.copytree(FIXTURE_CONTRACTS, folder)
    data = yaml.safe_load((folder / "test_agency" / "people.yaml").read_text())
    data.update(name="clients", file_pattern="clients_*.txt")
    data["columns"][3]["format"] = data["columns"][3].pop("formats")
    (folder / "test_agency" / "clients.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("DATALABS_CONTRACTS_DIR", str(folder))
    return folder


def test_the_others_load_and_the_error_names_the_file(one_broken):
    assert [c.name for c in all_contracts()] == ["people", "visits"]
    (error,) = contract_errors()
    assert error.lines == [f"{one_broken / 'test_agency' / 'clients.yaml'}: {PROBLEM}"]


def test_definitions_load_and_show_the_broken_contract(one_broken):
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    spec = specs[dg.AssetKey(["contract_errors", "test_agency__clients"])]
    assert PROBLEM in spec.description
    assert dg.AssetKey(["staging", "test_agency", "people"]) in specs


def test_validate_extract_still_works_for_the_others(one_broken, tmp_path, capsys):
    people = FIXTURE_LANDING / "test_agency" / "people" / "people_2025.txt"
    assert main(["validate-extract", str(people)]) == 0
    capsys.readouterr()
    clients = tmp_path / "clients_2025.txt"
    clients.write_bytes(people.read_bytes())
    assert main(["validate-extract", str(clients)]) == 2
    assert PROBLEM in capsys.readouterr().err
