"""The nightly schedule builds what changed since the last night, the marts judged on the run
date, and the snapshot; the whole job when no night can be started from."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from datalabs_pipelines import cli
from datalabs_pipelines.automation import local_run
from datalabs_pipelines.automation.local_run import load_everything, materialize_everything
from datalabs_pipelines.automation.nightly_scope import (
    CODE_TAG,
    code_fingerprint,
    judged_tonight,
    reached_from,
    report_withdrawal,
    run_date_changed,
)
from datalabs_pipelines.automation.schedules import NIGHTLY, NIGHTLY_JOB, nightly_request
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.contracts.loader import load_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.assets import raw_specs
from datalabs_pipelines.mart_assets import mart_key
from datalabs_pipelines.marts.registry import mart_declarations
from datalabs_pipelines.publishing.assets import SNAPSHOT
from datalabs_pipelines.quality.extract_status import EXTRACT_STATUS_KEY
from datalabs_pipelines.run_context import RUN_TIMEZONE
from datalabs_pipelines.settings import get_settings
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS

PEOPLE = dg.AssetKey(["staging", "test_agency", "people"])
VISITS = dg.AssetKey(["staging", "test_agency", "visits"])


def _selected(request: dg.RunRequest) -> set[dg.AssetKey] | None:
    return None if request.asset_selection is None else set(request.asset_selection)


def test_a_night_builds_what_changed_and_the_snapshot(isolated_env):
    contracts = load_contracts(FIXTURE_CONTRACTS)
    defs = build_definitions(contracts)
    graph = defs.resolve_asset_graph()
    marts = dg.AssetSelection.groups("marts").resolve(graph)
    job = defs.resolve_job_def(NIGHTLY_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        assert _selected(nightly_request(instance, graph, contracts)) is None  # no night yet
        assert materialize_everything(defs, contracts, instance).failed_runs == []

        nothing_new = _selected(nightly_request(instance, graph, contracts))
        assert nothing_new is not None and SNAPSHOT in nothing_new
        # extract_quality reads every staging table, none changed, and not the run date
        assert not ({PEOPLE, VISITS} | marts) & nothing_new

        visits = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
        visits.write_text(visits.read_text().replace('"site": "A"', '"site": "B"', 1))
        load_everything(defs, contracts, instance)  # a corrected visits delivery
        request = nightly_request(instance, graph, contracts)
        tonight = _selected(request)
        assert tonight is not None and VISITS in tonight and PEOPLE not in tonight
        assert marts | {SNAPSHOT} <= tonight  # extract_quality reads the visits
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


def test_a_first_run_launches_with_the_code_tag_of_the_key_it_creates(isolated_env, monkeypatch):
    """`datalabs run` on a machine with no development key creates it before the definitions
    load, so the run's code tag is the one the next night computes: that night starts from
    the run instead of rebuilding everything."""
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    key_file = isolated_env / "keys" / "linkage.key"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(key_file))
    contracts = load_contracts(FIXTURE_CONTRACTS)
    launched = []

    def launch(defs, contracts_run, instance):
        assert key_file.exists()  # before anything is launched
        launched.append(build_definitions(contracts).resolve_job_def(NIGHTLY_JOB).tags[CODE_TAG])
        raise KeyboardInterrupt  # stop here: the tag at launch is what is tested

    monkeypatch.setattr(local_run, "materialize_everything", launch)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["run"])
    assert launched == [code_fingerprint(contracts)]


def test_ui_creates_the_key_before_dagster_dev_loads_the_definitions(isolated_env, monkeypatch):
    """`make ui` (`datalabs ui`) creates the development key, then hands its process to
    `dagster dev` on the workspace: the code server's launches carry the key's code tag,
    the one the next night computes."""
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    key_file = isolated_env / "keys" / "linkage.key"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(key_file))
    started = []

    def execv(path, argv):
        assert key_file.exists()  # before dagster dev starts
        started.append(argv[1:])
        raise KeyboardInterrupt  # stop here: what would be started is what is tested

    monkeypatch.setattr(cli.os, "execv", execv)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["ui"])
    assert started == [["dev", "-w", "workspace.yaml"]]


def test_ui_refuses_to_start_without_a_production_key(isolated_env, monkeypatch, capsys):
    """In production with no key set, `datalabs ui` stops before starting anything."""
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setattr(cli.os, "execv", pytest.fail)
    assert cli.main(["ui"]) == 2
    assert "datalabs ui: DATALABS_LINKAGE_KEY is not set" in capsys.readouterr().err


def test_run_refuses_to_start_without_a_production_key(isolated_env, monkeypatch, capsys):
    """In production with no key set, `datalabs run` stops before anything loads, saying why."""
    monkeypatch.delenv("DATALABS_LINKAGE_KEY")
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setattr(local_run, "materialize_everything", pytest.fail)
    assert cli.main(["run"]) == 2
    assert "DATALABS_LINKAGE_KEY is not set" in capsys.readouterr().err


def test_marts_are_judged_again_on_their_run_date_and_when_an_agreement_expired():
    """Marts whose SQL reads the run date run when what they read of it changed; every mart
    runs the night after an agreement's last valid day; the rest only when their data
    changed. The readers of ``staging.extract_status`` are not reached through it (each reads
    its own sources' rows)."""
    contracts = list(all_contracts())
    graph = build_definitions(contracts).resolve_asset_graph()
    # linkage_quality reads the run date's year alone (ages by calendar year): judged again
    # when the year turned, also for a night started just after midnight on the 1st
    for started, tonight, judged in [
        ("2026-06-01T07:00", "2026-06-02", set()),
        ("2026-12-31T08:00", "2027-01-01", {"linkage_quality"}),
        ("2027-01-01T06:05", "2027-01-01", {"linkage_quality"}),
        ("2027-01-02T08:00", "2027-01-03", set()),
    ]:
        since = dt.datetime.fromisoformat(started).replace(tzinfo=dt.UTC)
        daily = judged_tonight(contracts, since, dt.date.fromisoformat(tonight))
        assert {key.path[-1] for key in daily} == judged, started
    payments = [c for c in contracts if c.name == "payments"]
    reached = reached_from(graph, {s.key for c in payments for s in raw_specs(c)})
    marts = {key.path[-1] for key in reached if key.path[0] == "marts"}
    assert {"procurement_utilization", "extract_quality", "mart_status"} <= marts
    assert not {"workforce_outcomes", "safety_net_enrollment", "student_outcomes"} & marts
    assert EXTRACT_STATUS_KEY in reached
    # dates of their own, not the clock's (on the day clocks fall back, now less 24 hours was
    # still today in Chicago)
    last_night = dt.datetime(2026, 6, 1, 7, 0, tzinfo=dt.UTC)  # 02:00 on 1 June in Chicago
    expiring = [
        c.model_copy(update={"agreement": c.agreement.model_copy(update={"expires": day})})
        if c.name == "payments"
        else c
        for c in contracts
        for day in [last_night.astimezone(RUN_TIMEZONE).date()]
    ]
    assert judged_tonight(expiring, last_night, dt.date(2026, 6, 2)) == {
        mart_key(d) for d in mart_declarations(expiring)
    }
    assert judged_tonight(expiring, last_night, dt.date(2026, 6, 1)) == set()


def test_what_a_mart_reads_of_the_run_date_decides_when_it_is_judged_again():
    year_only = "SELECT year(getvariable('run_date')) - birth_year"
    dated = "SELECT getvariable('run_date') - start_date"
    both = f"{year_only} UNION ALL {dated}"
    june_1, june_2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
    assert not run_date_changed("SELECT 1", june_1, june_2)
    assert not run_date_changed(year_only, june_1, june_2)
    assert run_date_changed(year_only, dt.date(2026, 12, 31), dt.date(2027, 1, 1))
    assert run_date_changed(dated, june_1, june_2) and run_date_changed(both, june_1, june_2)
