"""What a run may do with a mart: fresh, stale (held back), not measurable or blocked."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from datalabs_pipelines.governance.agreements import AgreementFinding
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.marts.status import (
    BLOCKED,
    FRESH,
    NOT_MEASURABLE,
    STALE,
    assess,
    mart_statuses,
    record_mart_status,
)
from datalabs_pipelines.quality.extract_status import HELD_BACK, LOADED, NOT_DELIVERED

MART = MartDeclaration.model_validate(
    {
        "name": "outcomes",
        "domain": "workforce",
        "description": "d",
        "grain": "One row per program.",
        "purpose": "program_evaluation",
        "sources": ["claims", "wages", "snap"],
        "optional_sources": {"snap": ["snap_rate"]},
        "owners": ["team:t"],
        "disclosure_control": False,
        "period": "quarter",
        "columns": [
            {"name": "quarter", "type": "VARCHAR", "role": "dimension", "description": "q"},
            {"name": "snap_rate", "type": "DOUBLE", "role": "measure", "description": "r"},
        ],
    }
)
ALL_LOADED = {s: (LOADED, None) for s in ("claims", "wages", "snap")}


def finding(source: str, permits: bool = True) -> AgreementFinding:
    return AgreementFinding(
        "outcomes", "program_evaluation", source, "MOU", dt.date(2030, 1, 1), permits, False
    )


def test_all_sources_loaded_is_fresh():
    verdict = assess(MART, [finding("claims"), finding("wages")], ALL_LOADED)
    assert (verdict.status, verdict.reason, verdict.nulled) == (FRESH, None, [])


def test_a_required_source_not_delivered_is_not_measurable():
    extracts = {**ALL_LOADED, "wages": (NOT_DELIVERED, None)}
    verdict = assess(MART, [], extracts)
    assert verdict.status == NOT_MEASURABLE and verdict.reason == "not delivered: wages"
    assert assess(MART, [], {}).status == NOT_MEASURABLE  # never staged at all


def test_an_optional_source_not_delivered_empties_its_columns_only():
    verdict = assess(MART, [], {**ALL_LOADED, "snap": (NOT_DELIVERED, None)})
    assert verdict.status == FRESH and verdict.nulled == ["snap_rate"]
    assert "snap not delivered: snap_rate not measurable" in verdict.reason


@pytest.mark.parametrize("source", ["claims", "snap"])
def test_a_held_back_source_keeps_the_last_good_version(source):
    extracts = {**ALL_LOADED, source: (HELD_BACK, "unique_id: 2 rows, first at f.csv:4")}
    verdict = assess(MART, [], extracts)
    assert verdict.status == STALE
    assert verdict.reason == f"{source} held back (unique_id: 2 rows, first at f.csv:4)"


def test_agreement_lacking_the_purpose_blocks_only_when_the_source_is_required():
    blocked = assess(MART, [finding("wages", permits=False)], ALL_LOADED)
    assert blocked.status == BLOCKED and "does not permit purpose" in blocked.reason
    left_out = assess(MART, [finding("snap", permits=False)], ALL_LOADED)
    assert left_out.status == FRESH and left_out.excluded == ["snap"]
    assert left_out.nulled == ["snap_rate"] and "snap left out" in left_out.reason


def test_a_stale_mart_keeps_its_built_at_and_data_through():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        fresh = assess(MART, [], ALL_LOADED)
        built_at = dt.datetime(2026, 1, 2, 3, 4)
        record_mart_status(con, MART, fresh.status, fresh.reason, "2025Q2", built_at)
        held = assess(MART, [], {**ALL_LOADED, "claims": (HELD_BACK, "x")})
        later = dt.datetime(2026, 1, 3)
        record_mart_status(con, MART, held.status, held.reason, None, later)
        (row,) = mart_statuses(con)
    assert row[2:] == (STALE, "claims held back (x)", "2025Q2", built_at)


ROLE_MART = MART.model_copy(
    update={
        "sources": ["snap", "tanf", "wages"],
        "optional_sources": {"wages": []},
        "roles": ["benefit_enrollment"],
        "optional_roles": {"wage_records": []},
        "role_sources": {"benefit_enrollment": ["snap", "tanf"], "wage_records": ["wages"]},
        "measured_by": {"snap_rate": ["snap"]},
    }
)


def test_a_required_role_needs_one_delivered_contract_not_all():
    tanf_only = {"tanf": (LOADED, None), "snap": (NOT_DELIVERED, None)}
    verdict = assess(ROLE_MART, [], tanf_only)
    assert (verdict.status, verdict.nulled) == (FRESH, ["snap_rate"])
    assert verdict.reason == "snap_rate not measurable: none of snap delivered"
    verdict = assess(ROLE_MART, [], {"wages": (LOADED, None)})
    assert verdict.status == NOT_MEASURABLE
    assert verdict.reason == "not delivered: benefit_enrollment (snap, tanf)"


def test_a_contract_of_a_required_role_not_permitted_blocks_one_of_an_optional_role_is_left_out():
    loaded = {s: (LOADED, None) for s in ("snap", "tanf", "wages")}
    assert assess(ROLE_MART, [finding("tanf", permits=False)], loaded).status == BLOCKED
    verdict = assess(ROLE_MART, [finding("wages", permits=False)], loaded)
    assert (verdict.status, verdict.excluded) == (FRESH, ["wages"])
