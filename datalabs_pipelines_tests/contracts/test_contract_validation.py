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
    ("change", "line"),
    [
        (
            lambda d: d["columns"][0].update(type="int"),
            "columns[0] (person_id).type: 'int' is not one of string, identifier, integer, "
            "decimal, money, date, boolean, ssn, fein; did you mean 'integer'?",
        ),
        (
            lambda d: d["columns"][3].update(format="%m/%d/%Y"),
            "columns[3] (dob): unknown key 'format'; did you mean 'formats'?",
        ),
        (lambda d: d["columns"][1].pop("name"), "columns[1]: missing key 'name'"),
        (
            lambda d: d["expectations"].append({"type": "not_null", "column": "nope"}),
            "contract: expectations[6] (not_null) names unknown column 'nope'",
        ),
        (
            lambda d: d["expectations"].append({"type": "notnull", "column": "county"}),
            "expectations[6] (notnull): type 'notnull' is not one of not_null, unique, between, "
            "in_set, date_order, row_count; did you mean 'not_null'?",
        ),
        (
            lambda d: d["expectations"][1].update(colums=["x"]),
            "expectations[1] (unique): unknown key 'colums'; did you mean 'columns'?",
        ),
        (
            lambda d: d["expectations"][3].update(max="2025-12-31"),
            "expectations[3] (between).max: a fixed date '2025-12-31' as max expires; write it "
            "relative to the run date, e.g. 'run_date + 31 days'",
        ),
        (lambda d: d.update(primary_key=["ghost"]), "contract: primary_key names unknown column"),
        (
            lambda d: d["format"].update(encoding="utf8"),
            "format.encoding: 'utf8' is not one of utf-8, latin-1; did you mean 'utf-8'?",
        ),
        (lambda d: d["columns"][1].pop("pii_kind"), "columns[1] (last_name): column 'last_name'"),
        (lambda d: d["columns"][3].pop("formats"), "columns[3] (dob): column 'dob': a date"),
        (lambda d: d.update(name="Bad Name"), "name: 'Bad Name' is not a lower_snake_case"),
        (lambda d: d.update(cadance="daily"), "contract: unknown key 'cadance'; did you mean"),
        (lambda d: d["agreement"].pop("expires"), "agreement: missing key 'expires'"),
        (
            lambda d: d["expectations"].append({"type": "not_null", "column": "person_id"}),
            "contract: expectations: more than one check would be named ['person_id_not_null']",
        ),
    ],
)
def test_invalid_contract_says_file_place_and_problem_in_one_line(tmp_path, change, line):
    path = write(tmp_path, mutate(change))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert info.value.lines[0].startswith(f"{path}: {line}")
    assert len(str(info.value).splitlines()) == len(info.value.lines)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no traceback chain


def test_every_problem_gets_its_own_line(tmp_path):
    def two_mistakes(d):
        d["columns"][3].update(format="x")
        d.update(cadance="daily")

    path = write(tmp_path, mutate(two_mistakes))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert len(info.value.lines) == 2


def test_broken_yaml_names_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ncolumns: [a, b\n")
    with pytest.raises(ContractError, match=r"bad.yaml: line \d+, column \d+: not valid YAML"):
        load_contract(path)


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


def test_a_persons_name_or_birth_date_never_holds_back_its_records():
    # A benefit, claim or school record with a blank name or an implausible birth date is still
    # that record (FEBRL's benchmark records: 2 to 5 % blank names, births from 1900): the
    # checks on identity fields warn, and linkage uses what the record has
    for contract in load_contracts():
        kinds = {c.name: c.pii_kind for c in contract.columns if c.classification == "pii"}
        for expectation in contract.expectations:
            if kinds.get(getattr(expectation, "column", None)) in ("name", "dob"):
                assert expectation.severity == "warn", (contract.name, expectation)
