"""A night equals a rebuild from scratch (#20, points 2 and 4), end to end in `make test`.

On a generated sample (the heavy error profile; ``NIGHT_TEST_SEED`` picks another seed): the
nights before are built without the files that arrive later; the files land, are loaded by the
landing sensor's rule, and the nightly schedule's request (``nightly_request``: what changed
since the last night) runs. Every staging, integrated and published table must then equal a
build from scratch over the same deliveries, compared as the benchmark compares them
(``bench.incremental``: keys and run ids left out), and no person or vendor record may sit in
another cluster. The benchmark measures the same at scale 10 and 100; this keeps it in CI, on
the nights a state sees: four nights in a row (the benchmark's wage quarter with a SNAP year,
then a late wage quarter, an earlier period than those loaded, then procurement's files, then a
domain adopted: every education file on one night); and a delivery corrected with another
resent under a new name, a file the load rejects, and another's file deleted from landing.
Each night must stage only the extracts that brought something.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import load_everything, materialize_everything
from datalabs_pipelines.bench.checksums import differing_tables
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.landing import Delivery, deliveries
from datalabs_pipelines.procurement.keys import ASSIGNMENTS as VENDOR_KEY_MEMORY
from datalabs_pipelines.procurement.linkage import RESOLVED_FROM as VENDOR_KEYS
from datalabs_pipelines.warehouse import literal, qualified
from datalabs_pipelines_tests.pipeline.nights import (
    PERSON_LINKAGE,
    PUBLISHED,
    Built,
    built,
    environment,
    from_scratch,
    generated_sample,
    linkage_metadata,
    published_before,
    same_warehouse_clusters,
    tonight,
)

pytestmark = pytest.mark.slow

REJECTED_LOAD = ["load ui_claims"]  # the run that loads a rejected UI-claims file fails


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated deliveries (``raw/``), dated to end today as a live state's are."""
    return generated_sample(tmp_path_factory.mktemp("night_sample"))


# Each night: the deliveries that arrive, as (extract, their place in name order): the
# benchmark's night (a wage quarter and a SNAP year), then a late wage quarter (an earlier
# period than the ones loaded), then procurement's files (a payments quarter, the vendor
# master, a registry's list, the awards), then a state adopting a domain: every file of
# education's four extracts on one night
PROCUREMENT = tuple(
    (extract, -1) for extract in ("payments", "vendor_master", "certified_firms", "contract_awards")
)
EVERY = slice(None)
EDUCATION = tuple(
    (extract, EVERY)
    for extract in (
        "k12_enrollment",
        "k12_graduation",
        "postsecondary_enrollment",
        "postsecondary_completion",
    )
)
NIGHTS = (
    (("ui_wages", -1), ("snap_enrollment", -1)),
    (("ui_wages", 1),),
    PROCUREMENT,
    EDUCATION,
)


def test_nights_equal_a_rebuild_from_scratch(sample, tmp_path, tmp_path_factory, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(sample, landing)
    contracts = list(all_contracts())
    landed = deliveries(tuple(contracts), landing)
    arrivals = [
        [
            d
            for extract, place in night
            for d in _as_list([d for d in landed if d.contract.name == extract][place])
        ]
        for night in NIGHTS
    ]
    aside = tmp_path / "arriving"
    aside.mkdir()
    for delivery in (d for night in arrivals for d in night):
        shutil.move(delivery.path, aside / delivery.name)
    environment(monkeypatch, tmp_path, landing)
    defs = build_definitions(contracts)
    before = tmp_path_factory.mktemp("history")
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_everything(defs, contracts, instance).failed_runs == []
        for night in arrivals:
            history = published_before(tmp_path, before)  # the last night's is the one compared
            for delivery in night:
                shutil.move(aside / delivery.name, delivery.path)
            loads = load_everything(defs, contracts, instance)
            assert (loads.failed_runs, loads.deliveries_loaded) == ([], len(night))
            request = tonight(defs, instance)
            # a night, not a whole build: the staging of an extract that brought nothing is kept
            selected = set(request.asset_selection or ())
            assert request.asset_selection is not None
            arrived = {d.contract.name for d in night}
            kept = {dg.AssetKey(["staging", c.agency, c.name]) for c in contracts}
            kept -= {dg.AssetKey(["staging", d.contract.agency, d.contract.name]) for d in night}
            assert arrived and not kept & selected
            if "ui_wages" in arrived:  # scored against the kept clusters
                assert PERSON_LINKAGE in selected
                assert linkage_metadata(instance)["incremental"] is True

    night = built(tmp_path)
    # the snapshots published before tonight's, as a rebuild in the same site would have them
    rebuild = from_scratch(sample, tmp_path_factory.mktemp("rebuild"), history=history)
    assert differing_tables(night.published, rebuild.published) == []
    assert differing_tables(night.integrated, rebuild.integrated) == []
    same_warehouse_clusters(night, rebuild)


def _as_list(chosen: object) -> list:
    return chosen if isinstance(chosen, list) else [chosen]


def _correct(delivery: Path) -> None:
    """An agency's correction of a CSV delivery, sent under the same name: its first record's
    last name and benefit amount changed, its second record gone."""
    with delivery.open(newline="", encoding="latin-1") as f:  # any byte reads, and is kept
        header, first, _second, *rest = list(csv.reader(f))
    first[header.index("last_name")] += "SON"
    first[header.index("weekly_benefit_amount")] = "123.00"
    with delivery.open("w", newline="", encoding="latin-1") as f:
        csv.writer(f, lineterminator="\n").writerows([header, first, *rest])


def test_a_night_after_a_correction_and_a_deleted_file_equals_a_rebuild_of_landing(
    sample, tmp_path, tmp_path_factory, monkeypatch
) -> None:
    """An agency corrects one delivery, resends another under a new name (the steward deletes
    the first name) and sends a file the load rejects, procurement re-exports its vendor master
    a firm shorter (later lines move to other line numbers), and a steward deletes a file
    (no ``datalabs withdraw``): the landing sensor reports the deletions and requests the
    loads, the night stages the extract, which withdraws the deleted deliveries, and every
    table but the ledger's own account of the withdrawals equals a build from what landing now
    holds: the resend's rows are not lost with the name it replaced. On labor's and
    procurement's files alone (persons and firms linked, as a state adopting two offices)."""
    landing = tmp_path / "landing"
    for agency in ("labor", "procurement"):
        shutil.copytree(sample / agency, landing / agency)
    environment(monkeypatch, tmp_path, landing)
    contracts = list(all_contracts())
    defs = build_definitions(contracts)
    sensor = defs.get_sensor_def("landing_sensor")
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_everything(defs, contracts, instance).failed_runs == []
        landed = deliveries(tuple(contracts), landing)
        gone, *others = [d for d in landed if d.contract.name == "ui_claims"]
        corrected, renamed = sorted(others, key=lambda d: -d.path.stat().st_size)[:2]
        resent = renamed.path.with_name(f"{renamed.path.stem}_resent{renamed.path.suffix}")
        shutil.copy(renamed.path, resent)  # the same bytes: recorded as a duplicate
        assert load_everything(defs, contracts, instance).deliveries_loaded == 1
        cursor = sensor(dg.build_sensor_context(instance=instance, definitions=defs)).cursor
        renamed.path.unlink()  # then the first name is cleared away
        gone.path.unlink()
        _correct(corrected.path)  # the largest: two records at least
        vendors, dropped = _drop_a_firm([d for d in landed if d.contract.name == "vendor_master"])
        rejected = corrected.path.with_name("ui_claims_2099Q1.csv")
        rejected.write_text("not,the,header\n1,2,3\n")  # a whole file the load rejects
        tick = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
        for event in tick.asset_events:  # as the daemon stores a sensor's events
            instance.report_runless_asset_event(event)
        requested = sorted(r.partition_key for r in tick.run_requests)
        assert requested == sorted([corrected.name, rejected.name, vendors.name])
        loads = load_everything(defs, contracts, instance)  # the loads the sensor requested
        assert (loads.failed_runs, loads.deliveries_loaded) == (REJECTED_LOAD, 3)
        history = published_before(tmp_path, tmp_path_factory.mktemp("history"))
        request = tonight(defs, instance)
    assert dg.AssetKey(["staging", "labor", "ui_claims"]) in set(request.asset_selection or ())

    night = built(tmp_path)
    site = tmp_path_factory.mktemp("rebuild_without")
    rebuilt = from_scratch(landing, site, failing=REJECTED_LOAD, history=history)
    assert differing_tables(night.integrated, rebuilt.integrated) == []
    same_warehouse_clusters(night, rebuilt)
    assert ("vendor_master", dropped) in _remembered_firms(night, rebuilt)  # keeps its key
    # the published tables differ by the withdrawals' own account: their rows in
    # extract_quality, and the status they may add to the dictionary's examples of the column
    differ = differing_tables(night.published, rebuilt.published)
    assert set(differ) <= {"main.data_dictionary", "main.extract_quality"}
    published = (tmp_path / PUBLISHED, site / PUBLISHED)
    only = _rows_of_one(*published, "extract_quality", "* EXCLUDE (load_time)")
    assert sorted(row[:4] for row in only) == sorted(
        ("night", "ui_claims", name, "withdrawn") for name in (gone.name, renamed.name)
    )
    entries = _rows_of_one(*published, "data_dictionary", "table_name, column_name")
    assert {e[1:] for e in entries} <= {("marts.extract_quality", "status")}


def _drop_a_firm(files: list[Delivery]) -> tuple[Delivery, str]:
    """A vendor master re-exported a firm shorter: the first firm on one line of all ``files``
    dropped from its file (every later line moves up a line number); the file and its id."""
    tables = []
    for delivery in files:
        with delivery.path.open(newline="", encoding="latin-1") as f:
            tables.append(list(csv.reader(f)))
    ids = Counter(row[0] for table in tables for row in table[1:])
    for delivery, (header, *lines) in zip(files, tables, strict=True):
        line = next((n for n, row in enumerate(lines) if ids[row[0]] == 1), None)
        if line is not None and line < len(lines) - 1:  # later lines move
            kept = [header, *lines[:line], *lines[line + 1 :]]
            with delivery.path.open("w", newline="", encoding="latin-1") as f:
                csv.writer(f, lineterminator="\n").writerows(kept)
            return delivery, lines[line][0]
    raise AssertionError("no firm on one line of the vendor master")


def _remembered_firms(night: Built, rebuilt: Built) -> set[tuple[str, str]]:
    """The firms whose keys the night's vendor key memory holds and the rebuild's does not
    (``HISTORY``), each checked to be delivered no more: the memory keeps a dropped firm's key
    should it return, and holds nothing else a rebuild lacks."""
    memory, delivered_keys = qualified(VENDOR_KEY_MEMORY), qualified(VENDOR_KEYS)
    with duckdb.connect() as con:
        for name, build in (("night", night), ("rebuilt", rebuilt)):
            con.execute(f"ATTACH {literal(str(build.warehouse))} AS {name} (READ_ONLY)")
        rows = con.execute(
            f"SELECT source_extract, source_id FROM night.{memory} EXCEPT "
            f"SELECT source_extract, source_id FROM rebuilt.{memory}"
        ).fetchall()
        delivered = con.execute(
            f"SELECT source_extract, source_id FROM night.{delivered_keys}"
        ).fetchall()
    assert not set(rows) & set(delivered)
    return set(rows)


def _rows_of_one(night: Path, rebuilt: Path, table: str, columns: str) -> list[tuple]:
    """The rows of published ``table`` (its ``columns``) that only one side holds, each
    marked with its side."""
    with duckdb.connect() as con:
        for name, path in (("night", night), ("rebuilt", rebuilt)):
            con.execute(f"ATTACH {literal(str(path))} AS {name} (READ_ONLY)")
        return con.execute(
            f"SELECT 'night', {columns} FROM night.main.{table} EXCEPT ALL "
            f"SELECT 'night', {columns} FROM rebuilt.main.{table} UNION ALL "
            f"(SELECT 'rebuilt', {columns} FROM rebuilt.main.{table} EXCEPT ALL "
            f"SELECT 'rebuilt', {columns} FROM night.main.{table})"
        ).fetchall()
