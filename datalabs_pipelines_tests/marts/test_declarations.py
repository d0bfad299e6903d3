"""Mart declarations load, and mistakes name the file and the field."""

from __future__ import annotations

import re

import pytest
import yaml

from datalabs_pipelines.marts.declaration import (
    MARTS_DIR,
    DeclarationError,
    all_declarations,
    load_declaration,
)
from datalabs_pipelines.marts.environment import COHORTS_DIR

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
        (lambda d: d["columns"][1].update(base="people"), "its bases lead back to 'people'"),
        (lambda d: d["columns"][0].update(role="total"), "columns.0.role"),
        (lambda d: d.pop("grain"), "grain"),
        # a type reaches SQL text (empty marts, casts): only allow-listed DuckDB types pass
        (lambda d: d["columns"][1].update(type="BIGINT); DROP TABLE x; --"), "columns.1.type"),
        (lambda d: d["columns"][1].update(type="bigint"), "columns.1.type"),
        (lambda d: d.update(built_by="marts/x.py"), "built_by"),  # a mart is built from SQL
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
        (lambda d: d.update(cohorts=["nowhere"]), "cohorts ['nowhere'] have no file"),
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


@pytest.mark.parametrize(
    "sql_type", ["VARCHAR", "BIGINT", "DECIMAL(18,2)", "DECIMAL(18, 2)", "VARCHAR[]", "TIMESTAMP"]
)
def test_declared_types_cover_the_types_the_declarations_use(tmp_path, sql_type):
    data = yaml.safe_load(yaml.safe_dump(VALID))
    data["columns"][0]["type"] = sql_type
    assert load_declaration(write(tmp_path, data)).columns[0].type == sql_type


def test_facts_and_marts_share_one_loader(tmp_path):
    """A fact declaration's mistakes are reported like a mart's: file and field."""
    from datalabs_pipelines.outcomes.facts import load_fact

    fact = {k: VALID[k] for k in ("name", "domain", "description", "grain", "owners")} | {
        "sources": ["snap_enrollment"],
        "key": ["person_key"],
        "columns": [{"name": "person_key", "type": "VARCHAR(", "description": "p"}],
    }
    path = write(tmp_path, fact)
    with pytest.raises(DeclarationError) as info:
        load_fact(path)
    assert str(path) in str(info.value) and "columns.0.type" in str(info.value)


# The person-level tables an outcome cohort is drawn from: only marts/cohorts/ reads them.
COHORT_SOURCES = (
    "integrated.benefit_spells",
    "integrated.employment_quarters",
    "integrated.k12_graduates",
    "integrated.postsecondary_enrollments",
    "integrated.postsecondary_completions",
)


def test_each_cohort_is_defined_once_and_marts_read_it_from_there():
    defined = [
        name
        for path in sorted(COHORTS_DIR.glob("*.sql"))
        for name in re.findall(r"CREATE OR REPLACE TEMP MACRO (\w+)", path.read_text())
    ]
    assert defined and len(defined) == len(set(defined))
    for path in MARTS_DIR.rglob("*.sql"):
        if path.parent != COHORTS_DIR:
            assert not [t for t in COHORT_SOURCES if t in path.read_text()], path
    used = {c for d in all_declarations() for c in d.cohorts}
    assert used == {p.stem for p in COHORTS_DIR.glob("*.sql")}  # no cohort file unused
