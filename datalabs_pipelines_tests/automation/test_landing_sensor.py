"""The landing sensor turns each delivery file into a partition and a run request."""

from __future__ import annotations

import json
import os
import shutil

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.landing_hashes import content_hashes
from datalabs_pipelines.automation.sensors import REPORTED
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.ingestion.landing import Delivery, deliveries
from datalabs_pipelines.ingestion.ledger import withdraw_missing
from datalabs_pipelines.ingestion.loading import load_delivery
from datalabs_pipelines.settings import get_settings


def evaluate(instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    defs = build_definitions()
    sensor = defs.get_sensor_def("landing_sensor")
    return sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))


def test_new_files_become_partitions_and_runs(isolated_env):
    with dg.DagsterInstance.ephemeral() as instance:
        result = evaluate(instance)
        added = {
            r.partitions_def_name: sorted(r.partition_keys)
            for r in result.dynamic_partitions_requests
        }
        assert added == {
            "people_deliveries": ["people_2024.txt", "people_2025.txt"],
            "visits_deliveries": ["visits_2024q2.jsonl"],
        }
        jobs = sorted((r.job_name, r.partition_key) for r in result.run_requests)
        assert jobs == [
            ("load_people", "people_2024.txt"),
            ("load_people", "people_2025.txt"),
            ("load_visits", "visits_2024q2.jsonl"),
        ]
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        again = evaluate(instance)
        assert again.dynamic_partitions_requests == []
        keys = {r.run_key for r in result.run_requests}
        assert {r.run_key for r in again.run_requests} == keys  # the daemon skips seen run keys


def test_replaced_file_gets_a_new_run_key(isolated_env):
    path = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        before = {r.partition_key: r.run_key for r in evaluate(instance).run_requests}
        path.write_text(
            path.read_text() + '{"visit_id": "v9", "person": "X", '
            '"visited_on": "2024-06-01", "site": "A"}\n'
        )
        os.utime(path, ns=(1, 1))
        after = {r.partition_key: r.run_key for r in evaluate(instance).run_requests}
    assert after["visits_2024q2.jsonl"] != before["visits_2024q2.jsonl"]
    assert after["people_2024.txt"] == before["people_2024.txt"]


def _load_everything() -> None:
    """What `make run` leaves in the load ledger: every landing file loaded."""
    contracts = tuple(all_contracts())
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        for delivery in deliveries(contracts, get_settings().landing_dir):
            load_delivery(con, delivery.contract, delivery.path, delivery.name)


def test_files_the_ledger_holds_are_not_loaded_again(isolated_env):
    """After a run the sensor requests nothing; a same-size, same-mtime edit is one run."""
    _load_everything()
    path = get_settings().landing_dir / "test_agency" / "visits" / "visits_2024q2.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        assert evaluate(instance).run_requests == []
        stat = path.stat()
        text = path.read_text()
        edited = text.replace('"site": "A"', '"site": "B"', 1)
        assert edited != text and len(edited) == len(text)
        path.write_text(edited)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size
        (request,) = evaluate(instance).run_requests
    assert (request.job_name, request.partition_key) == ("load_visits", "visits_2024q2.jsonl")


def test_hash_cache_notices_a_rewrite_with_the_old_mtime(tmp_path):
    """The cursor's cache is keyed by inode, size, mtime and ctime: a rewrite moves ctime."""
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n")
    delivery = Delivery(contract=None, name="f.csv", path=path)  # type: ignore[arg-type]
    first, cache = content_hashes([delivery], {})
    assert content_hashes([delivery], cache)[0] == first
    stat = path.stat()
    path.write_text("a,b\n1,3\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert content_hashes([delivery], cache)[0] != first


def test_a_tick_during_a_run_skips_without_opening_the_warehouse(isolated_env):
    """A read-only open takes DuckDB's file lock: the run's next step could not open it."""
    _load_everything()
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="nightly_job", run_id="r1", status=dg.DagsterRunStatus.STARTED)
        )
        with duckdb.connect(str(get_settings().warehouse_path)):  # held as a step holds it
            result = evaluate(instance)  # opening the file here would raise
        assert result.run_requests == [] and "run is in progress" in result.skip_reason.skip_message
        instance.delete_run("r1")
        assert evaluate(instance).skip_reason is None


def test_a_link_in_landing_is_offered_to_the_load_unhashed(isolated_env):
    """A symbolic link is never followed (not even to hash it; a dangling one raised): the
    load it is offered to rejects it as outside the confined landing."""
    _load_everything()
    folder = get_settings().landing_dir / "test_agency" / "visits"
    (folder / "visits_gone.jsonl").symlink_to(isolated_env / "missing")
    with dg.DagsterInstance.ephemeral() as instance:
        (request,) = evaluate(instance).run_requests
    assert (request.job_name, request.partition_key) == ("load_visits", "visits_gone.jsonl")


def test_a_deleted_file_is_reported_withdrawn_once_until_staging_withdraws_it(isolated_env):
    """The night after a file left landing stages its extract (``nightly_scope`` reads the
    raw asset's events), which withdraws the delivery: the sensor says so once, and forgets it
    once the ledger has it withdrawn."""
    _load_everything()
    landing = get_settings().landing_dir
    (people,) = [c for c in all_contracts() if c.name == "people"]
    with dg.DagsterInstance.ephemeral() as instance:
        first = evaluate(instance)
        assert first.asset_events == []
        (landing / "test_agency" / "people" / "people_2024.txt").unlink()
        tick = evaluate(instance, first.cursor)
        (event,) = tick.asset_events
        assert (event.asset_key, event.partition) == (
            dg.AssetKey(["raw", "test_agency", "people"]),
            "people_2024.txt",
        )
        assert event.metadata["withdrawn"].value is True
        assert evaluate(instance, tick.cursor).asset_events == []  # once
        with duckdb.connect(str(get_settings().warehouse_path)) as con:
            assert withdraw_missing(con, people, landing) == ["people_2024.txt"]  # staging's
        after = evaluate(instance, tick.cursor)
        assert after.asset_events == [] and json.loads(after.cursor)[REPORTED] == []


def test_nothing_is_reported_withdrawn_while_landing_itself_is_missing(isolated_env):
    """An unmounted landing folder is not a steward deleting files (as ``withdraw_missing``)."""
    _load_everything()
    shutil.rmtree(get_settings().landing_dir)
    with dg.DagsterInstance.ephemeral() as instance:
        assert evaluate(instance).asset_events == []


def test_a_rejected_file_deleted_from_landing_is_reported_too(isolated_env):
    """``withdraw_missing`` gives a file that was only ever rejected its withdrawn record when
    the file leaves; the night must stage its extract for that, as for a loaded one."""
    _load_everything()
    bad = get_settings().landing_dir / "test_agency" / "people" / "people_bad.txt"
    bad.write_text("no header here\n")
    (people,) = [c for c in all_contracts() if c.name == "people"]
    with (
        duckdb.connect(str(get_settings().warehouse_path)) as con,
        pytest.raises(DeliveryRejected),
    ):
        load_delivery(con, people, bad, bad.name)
    with dg.DagsterInstance.ephemeral() as instance:
        cursor = evaluate(instance).cursor
        bad.unlink()
        (event,) = evaluate(instance, cursor).asset_events
    assert event.partition == "people_bad.txt"
