"""A night on the production backend equals a rebuild from scratch (#20, point 4, on #19's
DuckLake): the benchmark's night (a wage quarter and a SNAP year) together with a correction of
the wage quarter before (``bench --correcting``: one line in 100 dropped, so later lines move
to other record ids and linkage takes records out), on DuckLake with its catalog on a real
PostgreSQL, against an embedded build of what landing then holds. Staging by delivery, the kept
linkage tables, the facts' ledgers and the marts all write the lake's tables night by night.
On labor's and human services' files alone (the offices the night's files come from, persons
linked across both): every domain's night is compared on the embedded profile
(``pipeline/test_night_equals_rebuild.py``), and the lake's build and rebuild cost less."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from datalabs_pipelines.automation.local_run import load_everything, materialize_everything
from datalabs_pipelines.bench.checksums import differing_tables, table_checksums
from datalabs_pipelines.bench.incremental import arriving, correct, corrected_deliveries
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.deploy import lake
from datalabs_pipelines.warehouse import literal
from datalabs_pipelines_tests.pipeline.nights import (
    PERSON_LINKAGE,
    PUBLISHED,
    environment,
    from_scratch,
    generated_sample,
    lake_sums,
    linkage_metadata,
    published_before,
    same_clusters,
    tonight,
)

pytestmark = pytest.mark.slow

OFFICES = ("labor", "human_services")


def test_a_corrected_night_on_the_lake_equals_a_rebuild(postgres, tmp_path, monkeypatch):
    sample = generated_sample(tmp_path / "sample")
    site = tmp_path / "lake_site"
    landing = site / "landing"
    for agency in OFFICES:
        shutil.copytree(sample / agency, landing / agency)
    tonights = arriving(landing)
    fix = corrected_deliveries(landing, ["ui_wages"], tonights)[0]
    aside = tmp_path / "arriving"
    aside.mkdir()
    for delivery in tonights:
        shutil.move(delivery.path, aside / delivery.name)

    environment(monkeypatch, site, landing)
    postgres.create_database("lake_night")
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn("lake_night"))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(site / "lake"))
    contracts = list(all_contracts())
    defs = build_definitions(contracts)
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_everything(defs, contracts, instance).failed_runs == []
        for delivery in tonights:
            shutil.move(aside / delivery.name, delivery.path)
        assert correct(fix) > 0
        loads = load_everything(defs, contracts, instance)
        assert (loads.failed_runs, loads.deliveries_loaded) == ([], 3)
        history = published_before(site, tmp_path)
        request = tonight(defs, instance)
        assert PERSON_LINKAGE in set(request.asset_selection or ())
        linkage = linkage_metadata(instance)
        assert linkage["incremental"] is True
        assert linkage["records_removed"] > 0  # the correction's moved lines went
        assert linkage["prepared_in_full"] == ""  # no reason to prepare every record
    assert not (site / "warehouse.duckdb").exists()  # every table was the lake's

    rebuilt = from_scratch(landing, tmp_path / "rebuild", history=history)
    assert differing_tables(table_checksums(site / PUBLISHED), rebuilt.published) == []
    with lake.connect(lake.lake_settings().database, {}) as con:
        assert differing_tables(lake_sums(con, lake.LAKE_ALIAS), rebuilt.integrated) == []
        con.execute(f"ATTACH {literal(str(rebuilt.warehouse))} AS rebuilt_db (READ_ONLY)")
        same_clusters(con, lake.LAKE_ALIAS, "rebuilt_db", ["person"])  # no vendors
