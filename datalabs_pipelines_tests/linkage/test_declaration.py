"""Linkage declarations: the committed model files compare what the YAML declares, and a
mistaken declaration fails at load with one line naming the file and the place."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from datalabs_pipelines.linkage.declaration import (
    PERSON_DECLARATION,
    LinkageDeclaration,
    load_declaration,
)
from datalabs_pipelines.linkage.modelfile import load_model
from datalabs_pipelines.procurement.config import load_config
from datalabs_pipelines.yaml_files import read_yaml

TRAINED = {"m_probability", "u_probability", "fix_m_probability", "fix_u_probability"}


def _declared() -> dict[str, LinkageDeclaration]:
    return {"person": load_declaration(), "vendor": load_config().linkage}


def _untrained(comparisons: list[dict]) -> list[tuple[str, list[dict]]]:
    """Name and levels without trained parameters (Splink rewrites the description)."""
    return [
        (c["output_column_name"], [_without_parameters(lv) for lv in c["comparison_levels"]])
        for c in comparisons
    ]


def _without_parameters(level: dict) -> dict:
    return {k: v for k, v in level.items() if k not in TRAINED}


@pytest.mark.parametrize("entity", ["person", "vendor"])
def test_committed_model_file_compares_what_the_declaration_declares(entity):
    declaration = _declared()[entity]
    declared = declaration.splink_settings()
    committed = load_model(declaration.model_path).splink_settings
    assert _untrained(committed["comparisons"]) == _untrained(declared["comparisons"])
    assert [r["blocking_rule"] for r in committed["blocking_rules_to_generate_predictions"]] == (
        declared["blocking_rules_to_generate_predictions"]
    )
    assert committed["unique_id_column_name"] == declared["unique_id_column_name"]
    assert committed["additional_columns_to_retain"] == declared["additional_columns_to_retain"]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "entity.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def person() -> dict:
    data = read_yaml(PERSON_DECLARATION)
    return copy.deepcopy(data) | {"model": str(PERSON_DECLARATION.parent / data["model"])}


def _error(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as caught:
        load_declaration(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_a_copy_of_the_person_declaration_loads(tmp_path, person):
    loaded = load_declaration(_write(tmp_path, person))
    assert loaded.splink_settings() == load_declaration().splink_settings()


def test_unknown_column_in_a_level_names_the_comparison_and_level(tmp_path, person):
    person["comparisons"][3]["comparison_levels"][1]["sql_condition"] = '"dobb_l" = "dobb_r"'
    assert _error(tmp_path, person) == (
        "comparisons[3] (dob).comparison_levels[1]: unknown column 'dobb' (not in columns)"
    )


def test_unknown_column_in_a_blocking_rule_names_the_rule(tmp_path, person):
    person["blocking_rules"][4] = "l.ssn9 = r.ssn9"
    assert _error(tmp_path, person) == "blocking_rules[4]: unknown column 'ssn9' (not in columns)"


def test_unknown_term_frequency_column_is_refused(tmp_path, person):
    person["comparisons"][0]["comparison_levels"][1]["tf_adjustment_column"] = "forename"
    assert "unknown column 'forename'" in _error(tmp_path, person)


def test_duplicate_comparison_name_is_refused(tmp_path, person):
    person["comparisons"][6]["output_column_name"] = "sex"
    person["comparisons"][6]["comparison_levels"] = person["comparisons"][5]["comparison_levels"]
    assert _error(tmp_path, person) == "comparisons[6]: duplicate comparison name 'sex'"


def test_level_without_a_condition_names_the_level(tmp_path, person):
    del person["comparisons"][4]["comparison_levels"][2]["sql_condition"]
    assert _error(tmp_path, person) == "comparisons[4].comparison_levels[2].sql_condition: missing"


def test_unknown_key_in_the_deterministic_pass_is_refused(tmp_path, person):
    person["deterministic"]["corroborate"] = "l.dob = r.dob"
    assert _error(tmp_path, person) == "deterministic.corroborate: unknown key"


def test_unknown_column_in_the_corroboration_names_the_place(tmp_path, person):
    person["deterministic"]["corroborated_by"] = "l.birth = r.birth"
    assert _error(tmp_path, person) == (
        "deterministic.corroborated_by[0]: unknown column 'birth' (not in columns)"
    )


def test_an_exclusive_key_or_guard_on_an_undeclared_column_is_refused(tmp_path, person):
    assert "exclusive_key: unknown column 'fein'" in _error(
        tmp_path, person | {"exclusive_key": "fein"}
    )
    assert "link_guard[0]: unknown column 'fein'" in _error(
        tmp_path, person | {"link_guard": "l.fein = r.fein"}
    )


def test_a_column_that_is_no_identifier_is_refused(tmp_path, person):
    person["columns"].append("first name")
    assert _error(tmp_path, person) == ("columns: 'first name' is not a lower-case SQL identifier")
