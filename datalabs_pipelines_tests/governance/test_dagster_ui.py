"""The Dagster UI as an engineer sees it: the real webserver and daemon on this workspace.

Each extract's deliveries are loaded by one run of its load job (a partition range) and
everything downstream by one run, all launched with the `launchRun` mutation the UI's
"Materialize" buttons send (steps in process, to keep the test short). Then checks (linking
into the data dictionary), owners, groups, column lineage and the nightly schedule must be
visible through the same API, and the asset lineage page must render in Chromium (screenshot
in `test-artifacts/`). The landing sensor and the nightly schedule are stopped (as the UI's
toggles do): only the test's runs run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from datalabs_pipelines.automation.schedules import NIGHTLY
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines_tests.browser import ARTIFACTS, require_chromium, run_chromium
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING, TEST_KEY_HEX
from datalabs_pipelines_tests.dagster_server import (
    LOCATION,
    REPOSITORY,
    ROOT,
    DagsterServer,
    dagster_server,
    wait_for,
)

pytestmark = pytest.mark.slow

REPO = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
NUX_SEEN = "mutation { setNuxSeen }"
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
TAGS = {"datalabs/trigger": "ui test"}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

SENSOR = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
  __typename ... on Sensor { id jobOriginId sensorState { selectorId status } } } }"""
STOP_SENSOR = """mutation($id: String, $origin: String, $sel: String) {
  stopSensor(id: $id, jobOriginId: $origin, jobSelectorId: $sel) {
    __typename ... on StopSensorMutationResult { instigationState { status } }
    ... on PythonError { message } } }"""
ADD_PARTITION = """mutation($r: RepositorySelector!, $p: String!, $k: String!) {
  addDynamicPartition(repositorySelector: $r, partitionsDefName: $p, partitionKey: $k) {
    __typename ... on PythonError { message } } }"""
LAUNCH_RUN = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message stack } ... on InvalidSubsetError { message } } }"""
RUNS = """query($ids: [String!]) { runsOrError(filter: {runIds: $ids}) {
  ... on Runs { results { runId status } } } }"""
ASSETS = """{ assetNodes {
  assetKey { path } groupName kinds jobNames
  owners { __typename ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  metadataEntries { label }
  assetChecksOrError { __typename ... on AssetChecks { checks {
    name blocking
    executionForLatestMaterialization { status evaluation { success metadataEntries {
      label __typename ... on UrlMetadataEntry { url } } } } } } } } }"""
SCHEDULES = """query($r: RepositorySelector!) { schedulesOrError(repositorySelector: $r) {
  __typename ... on Schedules { results { name cronSchedule executionTimezone
    scheduleState { status } } } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> DagsterServer:
    tmp = tmp_path_factory.mktemp("dagster_ui")
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    (tmp / "landing").mkdir()  # empty until the landing sensor is paused
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DATALABS_CONTRACTS_DIR": str(FIXTURE_CONTRACTS),
        "DATALABS_LANDING_DIR": str(tmp / "landing"),
        "DATALABS_WAREHOUSE": str(tmp / "warehouse.duckdb"),
        "DATALABS_PUBLISHED_DIR": str(tmp / "published"),
        "DATALABS_LINKAGE_KEY": TEST_KEY_HEX,
    }
    # 02:00 in Chicago would launch a nightly run of its own: only the test's runs run
    with dagster_server(env, tmp / "logs", stopped=[NIGHTLY]) as running:
        _prepare(running, tmp / "landing")
        _run_everything(running, tmp / "landing")
        yield running


def _prepare(server: DagsterServer, landing: Path) -> None:
    """Pause the landing sensor (so only our backfill loads), deliver, add the partitions."""
    selector = {**REPO, "sensorName": "landing_sensor"}
    sensor = server.graphql(SENSOR, {"s": selector})["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    stopped = server.graphql(
        STOP_SENSOR,
        {
            "id": sensor["id"],
            "origin": sensor["jobOriginId"],
            "sel": sensor["sensorState"]["selectorId"],
        },
        attempts=5,  # the daemon may be writing the sensor's tick to SQLite at that moment
    )["stopSensor"]
    assert stopped["__typename"] == "StopSensorMutationResult", stopped
    server.graphql(NUX_SEEN)  # the UI's one-time community dialog would cover the screenshot
    shutil.copytree(FIXTURE_LANDING, landing, dirs_exist_ok=True)
    for folder in sorted(p for p in landing.glob("*/*") if p.is_dir()):
        for delivery in sorted(folder.iterdir()):
            added = server.graphql(
                ADD_PARTITION,
                {"r": REPO, "p": f"{folder.name}_deliveries", "k": delivery.name},
            )["addDynamicPartition"]
            assert added["__typename"] == "AddDynamicPartitionSuccess", added


def _finished_runs(server: DagsterServer, run_ids: list[str]) -> list[dict] | None:
    runs = server.graphql(RUNS, {"ids": run_ids})["runsOrError"]["results"]
    return (
        runs if len(runs) == len(run_ids) and all(r["status"] in RUN_DONE for r in runs) else None
    )


def _wait_for_runs(server: DagsterServer, run_ids: list[str], what: str) -> None:
    try:
        runs = wait_for(lambda: _finished_runs(server, run_ids), 240, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{server.log_tail()}") from exc
    assert all(r["status"] == "SUCCESS" for r in runs), f"{runs}\n{server.log_tail()}"


def _launch(server: DagsterServer, job: str, tags: dict[str, str], assets=None) -> str:
    selector = {**REPO, "jobName": job}
    if assets is not None:
        selector["assetSelection"] = [{"path": k} for k in assets]
    launched = server.graphql(
        LAUNCH_RUN,
        {
            "p": {
                "selector": selector,
                # every job runs in one process by itself (the Definitions' executor)
                "runConfigData": {},
                "mode": "default",
                "executionMetadata": {
                    "tags": [{"key": k, "value": v} for k, v in {**TAGS, **tags}.items()]
                },
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _run_everything(server: DagsterServer, landing: Path) -> None:
    """Load every delivery (one run per extract, its deliveries as a partition range), then
    staging, marts and the published pages in one run of the downstream assets."""
    loads = []
    for folder in sorted(p for p in landing.glob("*/*") if p.is_dir()):
        names = sorted(d.name for d in folder.iterdir())
        loads.append(
            _launch(
                server,
                f"load_{folder.name}",
                {RANGE_START: names[0], RANGE_END: names[-1]},
            )
        )
    _wait_for_runs(server, loads, "the delivery loads")
    nodes = server.graphql(ASSETS)["assetNodes"]
    downstream = [  # what the loads do not write (their steps also write the ledger tables)
        n["assetKey"]["path"]
        for n in nodes
        if not any(job.startswith("load_") for job in n["jobNames"])
    ]
    run = _launch(server, "__ASSET_JOB", {}, downstream)
    _wait_for_runs(server, [run], "staging, marts and publish")


@pytest.fixture(scope="module")
def nodes(server) -> dict[str, dict]:
    return {"/".join(n["assetKey"]["path"]): n for n in server.graphql(ASSETS)["assetNodes"]}


def test_checks_and_their_metadata_are_visible(nodes):
    staging = nodes["staging/test_agency/people"]
    checks = {c["name"]: c for c in staging["assetChecksOrError"]["checks"]}
    assert not checks["unique_person_id_start_date"]["blocking"]  # holds back, see checks.py
    assert not checks["ssn_not_null"]["blocking"]
    execution = checks["person_id_not_null"]["executionForLatestMaterialization"]
    assert execution["status"] == "SUCCEEDED"
    entries = {e["label"]: e for e in execution["evaluation"]["metadataEntries"]}
    assert {"unexpected_count", "expectation", "dictionary"} <= set(entries)
    assert entries["dictionary"]["url"].endswith("dictionary.html#staging.people.person_id")

    mart = nodes["marts/platform/extract_quality"]
    (agreement,) = mart["assetChecksOrError"]["checks"]
    assert agreement["name"] == "agreement_permits_purpose" and not agreement["blocking"]
    assert agreement["executionForLatestMaterialization"]["status"] == "SUCCEEDED"


def test_owners_groups_and_lineage_are_visible(nodes):
    groups = {n["groupName"] for n in nodes.values()}
    assert {"raw", "staging", "pii", "marts", "published"} <= groups
    owners = {
        o.get("team") or o.get("email") for o in nodes["staging/test_agency/people"]["owners"]
    }
    assert {"test_data", "steward@test.example.gov"} <= owners
    labels = {e["label"] for e in nodes["staging/test_agency/people"]["metadataEntries"]}
    assert {"dagster/column_schema", "dagster/column_lineage"} <= labels
    assert nodes["published/platform/dashboard"]["groupName"] == "published"


def test_nightly_schedule_is_visible_and_on_by_default(server):
    """Visible with its time and zone, stopped on this instance (the fixture stopped it as the
    UI's toggle does), on by default in the code."""
    schedules = server.graphql(SCHEDULES, {"r": REPO})["schedulesOrError"]["results"]
    nightly = next(s for s in schedules if s["name"] == NIGHTLY)
    assert nightly["cronSchedule"] == "0 2 * * *"
    assert nightly["executionTimezone"] == "America/Chicago"
    assert nightly["scheduleState"]["status"] == "STOPPED"
    defs = build_definitions(load_contracts(FIXTURE_CONTRACTS))
    assert defs.get_schedule_def(NIGHTLY).default_status == dg.DefaultScheduleStatus.RUNNING


def test_backfill_published_the_pages(server):
    published = Path(server.env["DATALABS_PUBLISHED_DIR"])
    assert {"datalabs.duckdb", "dashboard.html", "dictionary.html"} <= {
        p.name for p in published.iterdir()
    }


def _rendered(page: str, text: str, shot: Path) -> str:
    """The page's DOM once ``text`` is in it, and its screenshot taken then: the UI fetches its
    data after loading, which on a loaded two-core machine can outlast one render budget, so
    it gets three."""
    for wait_ms in (10000, 20000, 30000):
        output = run_chromium(
            page, dump_dom=True, screenshot=shot, window=(1600, 1000), wait_ms=wait_ms
        ).output
        if text in output:
            break
    return output


def test_asset_lineage_page_renders_in_chromium(server):
    require_chromium()
    shot = ARTIFACTS / "dagster_asset_lineage.png"
    dom = _rendered(f"{server.url}/asset-groups", "Global asset lineage", shot)
    assert "Global asset lineage" in dom and "staging" in dom
    assert "Join the Dagster community" not in dom
    assert shot.stat().st_size > 20_000


def test_asset_checks_page_renders_in_chromium(server):
    require_chromium()
    page = f"{server.url}/assets/staging/test_agency/people?view=checks"
    shot = ARTIFACTS / "dagster_asset_checks.png"
    assert "unique_person_id_start_date" in _rendered(page, "unique_person_id_start_date", shot)
    assert shot.stat().st_size > 20_000
