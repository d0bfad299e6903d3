"""The nightly schedule builds what changed since the last night, every mart, and the snapshot;
the whole job when no night can be started from."""

from __future__ import annotations

import dagster as dg

from datalabs_pipelines.automation.local_run import load_everything, materialize_everything
from datalabs_pipelines.automation.nightly_scope import CODE_TAG, report_withdrawal
from datalabs_pipelines.automation.schedules import NIGHTLY, NIGHTLY_JOB, nightly_request
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.publishing.assets import SNAPSHOT
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS

PEOPLE = dg.AssetKey(["staging", "test_agency", "people"])
VISITS = dg.AssetKey(["staging", "test_agency", "visits"])


def _selected(request: dg.RunRequest) -> set[dg.AssetKey] | None:
    return None if request.asset_selection is None else set(request.asset_selection)


def test_a_night_builds_what_changed_and_every_mart(isolated_env):
    contracts = load_contracts(FIXTURE_CONTRACTS)
    defs = build_definitions(contracts)
    graph = defs.resolve_asset_graph()
    marts = dg.AssetSelection.groups("marts").resolve(graph)
    job = defs.resolve_job_def(NIGHTLY_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        assert _selected(nightly_request(instance, graph, contracts)) is None  # no night yet
        assert materialize_everything(defs, contracts, instance).failed_runs == []

        nothing_new = _selected(nightly_request(instance, graph, contracts))
        assert nothing_new is not None
        assert marts | {SNAPSHOT} <= nothing_new  # agreements are judged on the run date
        assert not {PEOPLE, VISITS} & nothing_new

        visits = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
        visits.write_text(visits.read_text().replace('"site": "A"', '"site": "B"', 1))
        load_everything(defs, contracts, instance)  # a corrected visits delivery
        request = nightly_request(instance, graph, contracts)
        tonight = _selected(request)
        assert tonight is not None and VISITS in tonight and PEOPLE not in tonight
        assert marts | {SNAPSHOT} <= tonight
        assert all(check.asset_key in tonight for check in request.asset_check_keys)
        assert any(check.asset_key == VISITS for check in request.asset_check_keys)

        result = job.execute_in_process(
            instance=instance,
            asset_selection=request.asset_selection,
            tags=request.tags,
            raise_on_error=False,
        )
        assert result.success
        assert VISITS not in _selected(nightly_request(instance, graph, contracts))

        (people,) = [c for c in contracts if c.name == "people"]
        report_withdrawal(instance, people, "people_2024.txt", "sent to the wrong state")
        assert PEOPLE in _selected(nightly_request(instance, graph, contracts))


def test_a_run_built_with_other_code_since_the_last_night_makes_the_night_whole(isolated_env):
    contracts = load_contracts(FIXTURE_CONTRACTS)
    defs = build_definitions(contracts)
    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_everything(defs, contracts, instance).failed_runs == []
        assert _selected(nightly_request(instance, graph, contracts)) is not None
        defs.resolve_job_def(NIGHTLY_JOB).execute_in_process(
            instance=instance,
            asset_selection=[SNAPSHOT],
            tags={CODE_TAG: "an older deployment"},
            raise_on_error=False,
        )
        assert _selected(nightly_request(instance, graph, contracts)) is None


def test_the_schedule_launches_the_request(isolated_env):
    defs = build_definitions(load_contracts(FIXTURE_CONTRACTS))
    schedule = defs.resolve_schedule_def(NIGHTLY)
    repository = defs.get_repository_def()
    with (
        dg.DagsterInstance.get() as instance,  # the isolated DAGSTER_HOME's
        dg.build_schedule_context(instance=instance, repository_def=repository) as context,
    ):
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.asset_selection is None  # nothing built yet: the whole job
    assert request.tags[CODE_TAG]


def test_loading_the_definitions_creates_no_key_file(isolated_env, monkeypatch):
    """The job's code tag reads the linkage key only if there is one: loading the definitions
    leaves no development key behind; the first staging run creates it (and the tag moves)."""
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    key_file = isolated_env / "keys" / "linkage.key"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(key_file))
    contracts = load_contracts(FIXTURE_CONTRACTS)
    before = build_definitions(contracts).resolve_job_def(NIGHTLY_JOB).tags[CODE_TAG]
    assert not key_file.exists()
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text("22" * 32)
    key_file.chmod(0o600)
    assert build_definitions(contracts).resolve_job_def(NIGHTLY_JOB).tags[CODE_TAG] != before
