"""Data-sharing agreements: a mart may use a source only for a permitted, unexpired purpose."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import yaml

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.contracts.loader import load_contract
from datalabs_pipelines.governance.agreement_check import agreement_check_result
from datalabs_pipelines.governance.agreements import (
    AGREEMENT_CHECK,
    evaluate_agreements,
    sources_used,
)
from datalabs_pipelines.mart_assets import build_mart_asset, mart_key
from datalabs_pipelines.marts.declaration import load_declaration
from datalabs_pipelines.marts.registry import mart_declarations
from datalabs_pipelines.marts.status import BLOCKED, build_mart_status_asset
from datalabs_pipelines.run_context import run_date
from datalabs_pipelines.warehouse import table_exists, warehouse_resource
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS

MART = {
    "name": "visit_counts",
    "domain": "education",
    "description": "Visits per site.",
    "grain": "One row per site.",
    "purpose": "program_evaluation",
    "sources": ["visits"],
    "deps": ["staging/test_agency/visits"],
    "owners": ["team:test"],
    "disclosure_control": False,
    "columns": [
        {"name": "site", "type": "VARCHAR", "role": "dimension", "description": "site"},
        {"name": "visits", "type": "BIGINT", "role": "count", "description": "visits"},
    ],
}


def declaration(tmp_path, **changes):
    path = tmp_path / "visit_counts.yaml"
    path.write_text(yaml.safe_dump({**MART, **changes}))
    path.with_suffix(".sql").write_text(
        "CREATE OR REPLACE TABLE marts.visit_counts AS SELECT 'A' AS site, 12::BIGINT AS visits"
    )
    return load_declaration(path)


def contract_with(tmp_path, name: str, **agreement):
    data = yaml.safe_load((FIXTURE_CONTRACTS / "test_agency" / f"{name}.yaml").read_text())
    data["agreement"].update(agreement)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_contract(path)


def test_permitted_and_current_agreement_passes(tmp_path, visits_contract):
    findings = evaluate_agreements(declaration(tmp_path), [visits_contract], dt.date(2026, 1, 1))
    assert [(f.source, f.ok) for f in findings] == [("visits", True)]


def test_agreement_is_valid_through_its_expiry_date(tmp_path, visits_contract):
    mart = declaration(tmp_path)
    assert evaluate_agreements(mart, [visits_contract], dt.date(2099, 12, 31))[0].ok
    late = evaluate_agreements(mart, [visits_contract], dt.date(2100, 1, 1))[0]
    assert late.expired and "expired on 2099-12-31" in late.problem()


def test_purpose_not_permitted_names_mart_source_and_agreement(tmp_path, visits_contract):
    mart = declaration(tmp_path, purpose="marketing")
    (finding,) = evaluate_agreements(mart, [visits_contract], dt.date(2026, 1, 1))
    problem = finding.problem()
    assert "'visit_counts'" in problem and "'visits'" in problem and "'Test MOU'" in problem
    assert "does not permit purpose 'marketing'" in problem


def test_dependencies_count_as_sources(tmp_path, people_contract, visits_contract):
    contracts = [people_contract, visits_contract]
    mart = declaration(tmp_path, sources=[], deps=["staging/*"])
    assert [c.name for c in sources_used(mart, contracts)] == ["people", "visits"]
    mart = declaration(tmp_path, sources=[], deps=["pii/test_agency/people_identities"])
    assert [c.name for c in sources_used(mart, contracts)] == ["people"]
    (finding,) = evaluate_agreements(
        declaration(tmp_path, sources=["nope"], deps=[]), contracts, dt.date(2026, 1, 1)
    )
    assert not finding.ok and "'nope', which has no contract" in finding.problem()


def test_check_result_carries_the_violation(tmp_path):
    expired = contract_with(tmp_path, "visits", expires="2020-06-30")
    on = dt.date(2026, 1, 1)
    result = agreement_check_result(
        dg.AssetKey("m"), evaluate_agreements(declaration(tmp_path), [expired], on), on
    )
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "expired on 2020-06-30" in result.description
    assert result.metadata["agreements"].value["visits"]["days_left"] < 0


def test_run_date_uses_the_schedule_time_in_chicago():
    assert run_date("2026-03-01T07:30:00+00:00") == dt.date(2026, 3, 1)
    assert run_date("2026-03-01T03:00:00+00:00") == dt.date(2026, 2, 28)


def test_expired_agreement_blocks_the_mart(tmp_path, isolated_env):
    """A required source on an expired agreement: the check fails (ERROR), the mart's table is
    dropped and its status says why; the step itself completes so the publish still runs."""
    mart = declaration(tmp_path)
    expired = contract_with(tmp_path, "visits", expires="2020-06-30")
    asset = build_mart_asset(mart, [expired])
    status = build_mart_status_asset([mart], [mart_key(mart)])
    with warehouse_resource().get_connection() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.visit_counts AS SELECT 'A' AS site, 1::BIGINT AS visits")
    result = dg.materialize(
        [asset, status],
        resources={"warehouse": warehouse_resource()},
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == AGREEMENT_CHECK and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "visit_counts" in evaluation.description and "Test MOU" in evaluation.description
    (materialization,) = result.asset_materializations_for_node(asset.node_def.name)
    metadata = materialization.metadata
    assert metadata["status"].value == BLOCKED
    assert "expired on 2020-06-30" in metadata["reason"].value
    with warehouse_resource().get_connection() as con:
        assert not table_exists(con, ("marts", "visit_counts"))
        assert con.execute("SELECT status FROM marts.mart_status").fetchall() == [(BLOCKED,)]

    current = build_mart_asset(mart, [contract_with(tmp_path, "visits")])
    ok = dg.materialize([current], resources={"warehouse": warehouse_resource()})
    assert ok.success
    assert all(e.passed for e in ok.get_asset_check_evaluations())


@pytest.mark.parametrize("mart", mart_declarations(all_contracts()), ids=lambda d: d.name)
def test_shipped_agreements_permit_shipped_marts_today(mart):
    findings = evaluate_agreements(mart, all_contracts(), run_date())
    assert [f.problem() for f in findings if not f.ok] == []


@pytest.mark.parametrize(
    "purpose",
    [
        "data_quality_monitoring",
        "linkage_quality_monitoring",
        "program_evaluation",
        "performance_reporting",
    ],
)
def test_every_agreement_permits_the_platform_wide_purposes(purpose):
    for contract in all_contracts():
        assert purpose in contract.agreement.permitted_purposes, contract.name


def test_procurement_agreements_permit_procurement_equity():
    for contract in all_contracts():
        if contract.domain == "procurement":
            assert "procurement_equity" in contract.agreement.permitted_purposes
