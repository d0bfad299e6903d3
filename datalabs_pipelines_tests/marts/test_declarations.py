"""Mart declarations load, and mistakes name the file and the field."""

from __future__ import annotations

import pytest
import yaml

from datalabs_pipelines.marts.declaration import (
    DeclarationError,
    all_declarations,
    load_declaration,
)

VALID = {
    "name": "m",
    "domain": "safety_net",
    "description": "d",
    "grain": "One row per x.",
    "purpose": "program_evaluation",
    "owners": ["team:t"],
    "columns": [
        {"name": "county", "type": "VARCHAR", "role": "dimension", "description": "c"},
        {"name": "people", "type": "BIGINT", "role": "count", "description": "p"},
        {"name": "rate", "type": "DOUBLE", "role": "rate", "base": "people", "description": "r"},
    ],
}


def write(tmp_path, data, name="m"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    path.with_suffix(".sql").write_text("SELECT 1")
    return path


def test_valid_declaration_loads(tmp_path):
    declaration = load_declaration(write(tmp_path, VALID))
    assert declaration.sql_path == tmp_path / "m.sql"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["columns"][2].pop("base"), "needs a `base`"),
        (lambda d: d["columns"][2].update(base="county"), "is not a count column"),
        (lambda d: d["columns"][0].update(role="total"), "columns.0.role"),
        (lambda d: d.pop("grain"), "grain"),
        (
            lambda d: d.update(rolls_up=[{"mart": "f", "columns": {"people": "people"}}]),
            "must name every dimension",
        ),
        (
            lambda d: d.update(
                rolls_up=[{"mart": "f", "match": {"county": "c"}, "columns": {"rate": "r"}}]
            ),
            "are not count columns",
        ),
    ],
)
def test_invalid_declarations_name_file_and_field(tmp_path, change, fragment):
    data = yaml.safe_load(yaml.safe_dump(VALID))
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(DeclarationError) as info:
        load_declaration(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_name_must_match_file(tmp_path):
    with pytest.raises(DeclarationError, match="differs from the file name"):
        load_declaration(write(tmp_path, VALID, name="other"))


def test_shipped_declarations_load():
    names = {d.name for d in all_declarations()}
    assert "extract_quality" in names
