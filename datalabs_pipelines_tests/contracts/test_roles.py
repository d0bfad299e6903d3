"""Contracts against the roles their domains declare: checked before any run, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datalabs_pipelines.cleaning.validate import render, validate_extract
from datalabs_pipelines.cli import main
from datalabs_pipelines.contracts import ContractError, load_contracts
from datalabs_pipelines.contracts.loader import CONTRACTS_DIR, load_contract
from datalabs_pipelines.contracts.model import Contract
from datalabs_pipelines.contracts.roles import all_roles, filling, role_problems

PAYMENTS = CONTRACTS_DIR / "procurement" / "payments.yaml"
REGISTRY = CONTRACTS_DIR / "procurement" / "certified_firms.yaml"


def _data(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _renamed(data: dict, old: str, new: str) -> dict:
    for column in data["columns"]:
        if column["name"] == old:
            column["name"] = new
    for expectation in data.get("expectations", []):
        if expectation.get("column") == old:
            expectation["column"] = new
    return data


def test_every_shipped_contract_fits_its_role():
    contracts = load_contracts(CONTRACTS_DIR)
    for role in ("vendor_master", "certified_firm_registry", "payments", "awards"):
        assert filling(contracts, role), role
    assert all(role_problems(c) == [] for c in contracts)


def test_payments_named_otherwise_fails_naming_the_column(tmp_path):
    data = _renamed(_data(PAYMENTS), "amount", "paid_amount")
    folder = tmp_path / "contracts" / "procurement"
    folder.mkdir(parents=True)
    path = folder / "payments.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert str(info.value) == (
        f"{path}: role payments needs column 'amount' (none of the contract's canonical names)"
    )
    # validate-extract says the same before it reads a line of the file
    report = validate_extract(tmp_path / "never_read.csv", Contract.model_validate(data))
    assert not report.clean and "role payments needs column 'amount'" in render(report)


def test_validate_extract_command_names_the_missing_column(tmp_path, monkeypatch, capsys):
    data = _renamed(_data(PAYMENTS), "payment_date", "paid_on")
    folder = tmp_path / "contracts" / "procurement"
    folder.mkdir(parents=True)
    (folder / "payments.yaml").write_text(yaml.safe_dump(data))
    delivery = tmp_path / "payments_2024Q1.csv"
    delivery.write_text("Payment ID\n")
    monkeypatch.setenv("DATALABS_CONTRACTS_DIR", str(tmp_path / "contracts"))
    assert main(["validate-extract", str(delivery)]) == 2
    err = capsys.readouterr().err
    assert "role payments needs column 'payment_date'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(role="payment"), "role 'payment' is not declared by any domain"),
        (lambda d: d.pop("value_maps"), "role certified_firm_registry needs value_maps."),
        (
            lambda d: d["value_maps"]["certification_type"]["MBE"].pop("program"),
            "value_maps.certification_type.MBE: needs program",
        ),
        (
            lambda d: d["value_maps"].update(naics={"23": {"program": "BEP"}}),
            "value_maps.naics: role certified_firm_registry reads no map on 'naics'",
        ),
        (
            lambda d: [
                c.update(type="string", formats=[])
                for c in d["columns"]
                if c["name"] == "cert_start_date"
            ],
            "role certified_firm_registry reads column 'cert_start_date' as DATE",
        ),
        (
            lambda d: [
                c.update(classification="pii", pii_kind="name")
                for c in d["columns"]
                if c["name"] == "business_name"
            ],
            "role certified_firm_registry reads column 'business_name' from staging",
        ),
    ],
)
def test_role_problems_are_one_line_each(change, problem):
    data = _data(REGISTRY)
    change(data)
    problems = role_problems(Contract.model_validate(data))
    assert any(p.startswith(problem) for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_optional_role_columns_may_be_absent():
    data = _data(REGISTRY)
    data["columns"] = [c for c in data["columns"] if c["name"] not in ("fein", "naics")]
    data["expectations"] = [e for e in data["expectations"] if e.get("column") != "fein"]
    assert role_problems(Contract.model_validate(data)) == []
    assert not all_roles()["certified_firm_registry"].columns["fein"].required
