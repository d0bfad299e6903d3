"""The code location loads, and every asset tells the UI what it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions, defs
from datalabs_pipelines.ingestion.assets import raw_specs
from datalabs_pipelines.ingestion.loading import LEDGER_TABLES

ROOT = Path(__file__).parents[2]
SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "asset_graph.json"
LAYER_GROUPS = {"raw", "staging", "pii", "integrated", "marts", "published"}


def all_specs() -> list[dg.AssetSpec]:
    # Sorted: the order must be the same in every process that collects it (pytest-xdist).
    return sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string())


def test_dagster_definitions_validate(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.key.to_user_string())
def test_every_asset_is_described_for_the_ui(spec: dg.AssetSpec):
    description = spec.description or ""
    for word in ("Source", "Grain", "Target"):
        assert word in description, f"{spec.key}: docstring lacks {word}"
    assert spec.group_name in LAYER_GROUPS
    assert spec.key.path[0] == spec.group_name
    assert len(spec.key.path) == 3
    assert spec.kinds, "no kinds"
    assert spec.owners, "no owners"
    assert {"domain", "classification"} <= set(spec.tags)
    if spec.group_name != "published":
        assert "dagster/column_schema" in spec.metadata


def test_every_asset_writing_the_warehouse_takes_the_duckdb_pool():
    for assets_def in defs.assets:
        if "warehouse" in assets_def.required_resource_keys:
            assert assets_def.op.pool == "duckdb", assets_def.node_def.name
        else:  # pages built from the published snapshot, opened read-only
            assert assets_def.group_names_by_key[assets_def.key] == "published"


def test_error_expectations_hold_back_instead_of_blocking():
    """ERROR expectations reject the candidate and hold back dependent marts; Dagster's
    `blocking` would stop the publish of unrelated marts, so only the raw reconciliation and
    the dashboard's nothing_held_back check block."""
    from datalabs_pipelines.contracts import all_contracts

    by_key = {
        (spec.asset_key.path[-1], spec.name): spec
        for assets_def in defs.assets
        for spec in assets_def.check_specs
    }
    for contract in all_contracts():
        for exp in contract.expectations:
            from datalabs_pipelines.contracts.model import check_name

            spec = by_key[(contract.name, check_name(exp))]
            assert not spec.blocking
            assert ("holds back" in spec.description) == (exp.severity == "error")
        assert by_key[(contract.name, "delivery_reconciles")].blocking


def test_nightly_schedule_and_landing_sensor():
    schedule = defs.get_schedule_def("nightly")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "America/Chicago"
    assert defs.get_sensor_def("landing_sensor")
    assert defs.get_sensor_def("dead_run_sensor")


def test_the_schedule_launches_the_named_in_process_nightly_job():
    """`make run`, the schedule and the UI run the same job, in one process (issue 16.2)."""
    schedule = defs.get_schedule_def("nightly")
    assert schedule.job_name == "nightly_job"
    job = defs.resolve_job_def("nightly_job")
    assert job.executor_def.name == dg.in_process_executor.name
    selected = job.asset_layer.selected_asset_keys
    loads = {s.key for c in all_contracts() for s in raw_specs(c)}
    assert loads and not loads & selected  # the loads are the landing sensor's
    assert {"staging", "marts", "published"} <= {k.path[0] for k in selected}


def test_ledger_tables_are_not_partitioned_by_delivery():
    """A ledger table holds every delivery: a load of N deliveries records it once, not N
    times (each materialization and its planned event are writes to the event log)."""
    for contract in all_contracts():
        raw, *rest = raw_specs(contract)
        ledgers = rest[-len(LEDGER_TABLES) :]
        assert raw.partitions_def is not None
        assert ledgers and all(spec.partitions_def is None for spec in ledgers)


def test_asset_graph_snapshot():
    """Keys, groups and owners; regenerate with UPDATE_SNAPSHOTS=1 after a deliberate change.

    A missing snapshot fails: writing it here would make the test pass on whatever the code
    does."""
    current = {
        spec.key.to_user_string(): {"group": spec.group_name, "owners": sorted(spec.owners)}
        for spec in sorted(all_specs(), key=lambda s: s.key.to_user_string())
    }
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    if not SNAPSHOT.exists():
        pytest.fail(
            f"{SNAPSHOT} is missing; after checking the asset graph, write it with "
            "UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest "
            "datalabs_pipelines_tests/pipeline/test_definitions.py -k snapshot"
        )
    assert current == json.loads(SNAPSHOT.read_text())


def test_definitions_build_from_any_contract_folder(isolated_env):
    built = build_definitions()
    keys = {s.key.to_user_string() for s in built.resolve_all_asset_specs()}
    assert "raw/test_agency/people" in keys and "staging/test_agency/visits" in keys
