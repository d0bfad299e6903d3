"""The data dictionary covers every layer's tables and columns, from contracts and declarations."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.cleaning.lineage import staging_lineage_map
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import defs
from datalabs_pipelines.governance.dictionary import LAYERS, build_entries, may_show_examples
from datalabs_pipelines.governance.dictionary_assets import read_entries, write_dictionary
from datalabs_pipelines.governance.dictionary_page import render_dictionary
from datalabs_pipelines.mart_assets import build_mart_asset
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines.quality.checks import dictionary_anchor
from datalabs_pipelines_tests.dashboard.demo import declarations as demo_declarations


@pytest.fixture(scope="module")
def entries():
    specs = list(defs.resolve_all_asset_specs())
    return build_entries(specs, all_contracts(), all_declarations())


def test_every_table_shaped_asset_is_described(entries):
    tables = {e.table_name for e in entries}
    for spec in defs.resolve_all_asset_specs():
        if spec.key.path[0] in LAYERS:
            assert f"{spec.key.path[0]}.{spec.key.path[-1]}" in tables
    assert {e.layer for e in entries} >= {"raw", "staging", "pii", "marts"}
    assert "marts.data_dictionary" in tables


def test_every_column_has_type_classification_source_and_owner(entries):
    for e in entries:
        assert e.column_type and e.source and e.owners and e.table_description, e.anchor
        assert e.classification in {"pii", "confidential", "public"}, e.anchor


def test_classification_follows_the_contract(entries):
    by_anchor = {e.anchor: e for e in entries}
    assert by_anchor["pii.snap_enrollment_raw.ssn"].classification == "pii"
    assert by_anchor["staging.snap_enrollment.ssn_token"].classification == "confidential"
    assert by_anchor["staging.snap_enrollment.case_id"].classification == "confidential"
    assert by_anchor["marts.extract_quality.extract"].classification == "public"
    raw = by_anchor["raw.snap_enrollment.case_id"]
    assert "CASE_ID" in raw.source and "hhs" in raw.owners.lower()
    assert by_anchor["staging.snap_enrollment.ssn_token"].source == "pii.snap_enrollment_raw.ssn"


def test_metric_definitions_and_roles_come_from_declarations(tmp_path):
    mart = demo_declarations()[0]
    path = tmp_path / f"{mart.name}.yaml"
    path.write_text("x")
    path.with_suffix(".sql").write_text("SELECT 1")
    mart._path = path
    specs = build_mart_asset(mart, all_contracts()).specs
    rows = {e.column_name: e for e in build_entries(specs, all_contracts(), [mart])}
    assert rows["utilization"].role == "share"
    assert rows["utilization"].definition == "certified_paid / total_paid"
    assert rows["fiscal_year"].grain == mart.grain


def test_examples_never_for_identifiers_or_confidential_columns(entries):
    allowed = [e for e in entries if may_show_examples(e)]
    assert allowed and all(e.layer == "marts" or e.classification == "public" for e in allowed)
    assert not [
        e for e in allowed if e.classification != "public" or e.column_name.endswith("_token")
    ]


def test_round_trip_through_the_table_and_page(entries, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        write_dictionary(con, entries)
        con.execute("CREATE TABLE main.data_dictionary AS SELECT * FROM marts.data_dictionary")
        back = read_entries(con)
    assert back == entries
    html = render_dictionary(back, dt.datetime(2026, 1, 1))
    assert 'id="staging.snap_enrollment"' in html
    assert 'id="staging.snap_enrollment.ssn_token"' in html
    assert "Data as of 2026-01-01 00:00" in html


def test_staging_lineage_covers_every_staging_column():
    schema_cols = {}
    for spec in defs.resolve_all_asset_specs():
        if spec.key.path[0] == "staging":
            schema_cols[spec.key.path[-1]] = spec
    for contract in all_contracts():
        spec = schema_cols[contract.name]
        lineage = spec.metadata["dagster/column_lineage"]
        assert isinstance(lineage, dg.TableColumnLineage)
        mapping = staging_lineage_map(contract)
        assert set(lineage.deps_by_column) == set(mapping)
        for deps in lineage.deps_by_column.values():
            assert all(d.asset_key.path[0] in {"raw", "pii"} for d in deps)


def test_mart_lineage_is_emitted(tmp_path):
    mart = demo_declarations()[1].model_copy(
        update={"lineage": {"firms": ["staging/procurement/certified_firms:vendor_id"]}}
    )
    path = tmp_path / f"{mart.name}.yaml"
    path.with_suffix(".sql").write_text("SELECT 1")
    mart._path = path
    (spec,) = build_mart_asset(mart, all_contracts()).specs
    dep = spec.metadata["dagster/column_lineage"].deps_by_column["firms"][0]
    assert dep.asset_key == dg.AssetKey(["staging", "procurement", "certified_firms"])
    assert dep.column_name == "vendor_id"


@pytest.mark.parametrize(
    ("extract", "check", "anchor"),
    [
        ("snap_enrollment", "case_id_not_null", "staging.snap_enrollment.case_id"),
        ("snap_enrollment", "ssn_not_null", "staging.snap_enrollment.ssn_token"),
        ("snap_enrollment", "dob_between", "staging.snap_enrollment.dob_year"),
        ("snap_enrollment", "row_count_in_bounds", "staging.snap_enrollment"),
    ],
)
def test_check_results_link_to_their_dictionary_entry(extract, check, anchor, entries):
    contract = next(c for c in all_contracts() if c.name == extract)
    assert dictionary_anchor(contract, check) == anchor
    assert anchor in {e.anchor for e in entries} | {e.table_name for e in entries}


def test_every_published_mart_column_is_listed_suppression_flags_included():
    from datalabs_pipelines.governance.disclosure import published_columns

    entries = build_entries(defs.resolve_all_asset_specs(), all_contracts(), all_declarations())
    listed = {(e.table_name, e.column_name) for e in entries}
    for mart in all_declarations():
        columns = published_columns(mart) if mart.disclosure_control else mart.columns
        names = [c[0] if isinstance(c, tuple) else c.name for c in columns]
        assert {(f"marts.{mart.name}", n) for n in names} <= listed, mart.name
    flags = [e for e in entries if e.column_name.endswith("_suppressed")]
    assert flags and all(e.column_type == "BOOLEAN" and e.role == "flag" for e in flags)


def test_rates_found_through_a_link_say_when_they_are_withheld(entries):
    by_anchor = {e.anchor: e for e in entries}
    rate = by_anchor["marts.workforce_outcomes.employment_rate_q2"].definition
    assert rate.startswith("WIOA Employment Rate") and "Withheld (NULL)" in rate
    assert "link_coverage is below 0.8" in rate
    coverage = by_anchor["marts.workforce_outcomes.link_coverage"].definition
    assert "Below 0.8" in coverage and "employment_rate_q2" in coverage
    assert "Withheld" not in by_anchor["marts.workforce_outcomes.exiters"].definition
