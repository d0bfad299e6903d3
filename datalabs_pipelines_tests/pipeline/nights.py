"""What the night-against-rebuild tests share: a generated sample dated to end today, a build
from scratch, tonight's run as the schedule requests it, and the comparisons the benchmark makes
(tables by checksum, keys and run ids left out; people and firms by cluster)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import materialize_everything
from datalabs_pipelines.automation.schedules import NIGHTLY_JOB, nightly_request
from datalabs_pipelines.bench.checksums import catalog_checksums, table_checksums
from datalabs_pipelines.bench.incremental import (
    COMPARED_SCHEMAS,
    HISTORY,
    KEYED,
    LEFT_OUT_COLUMNS,
    keys_sql,
)
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.deploy import lake
from datalabs_pipelines.evaluation.incremental_linkage import differing
from datalabs_pipelines.generator.errors import profile
from datalabs_pipelines.generator.main import generate
from datalabs_pipelines.publishing.audit_memory import memory_path
from datalabs_pipelines.run_context import run_date
from datalabs_pipelines.warehouse import literal

PERSON_LINKAGE = dg.AssetKey(["pii", "linkage", "person_crosswalk"])
PUBLISHED = Path("published") / "datalabs.duckdb"
SCALE, SEED = 0.05, int(os.environ.get("NIGHT_TEST_SEED", "29"))  # another seed: NIGHT_TEST_SEED


@dataclass(frozen=True)
class Built:
    """What a build left: its tables' checksums, and its warehouse (each record's keys)."""

    published: dict[str, str]
    integrated: dict[str, str]
    warehouse: Path


def generated_sample(folder: Path) -> Path:
    """The deliveries (``raw/``) of the night tests' sample (``SCALE``, ``SEED``) with the heavy
    error profile, dated to end today as a live state's are."""
    generate(scale=SCALE, seed=SEED, out=folder, progress=False, through=run_date(),
             errors=profile("heavy"))  # fmt: skip
    return folder / "raw"


def environment(monkeypatch: pytest.MonkeyPatch, site: Path, landing: Path) -> None:
    """The settings of an embedded build in ``site`` from ``landing``."""
    monkeypatch.delenv("DATALABS_CONTRACTS_DIR", raising=False)
    monkeypatch.delenv(lake.BACKEND_VARIABLE, raising=False)
    monkeypatch.setenv("DATALABS_LANDING_DIR", str(landing))
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(site / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(site / "published"))
    monkeypatch.setenv("DATALABS_LINKAGE_KEY", "33" * 32)


def compared(sums: dict[str, str]) -> dict[str, str]:
    """The staging and integrated tables' checksums the comparison reads (``HISTORY`` left
    out)."""
    return {t: s for t, s in sums.items() if t not in HISTORY}


def built(site: Path) -> Built:
    """What the embedded build in ``site`` left."""
    warehouse = site / "warehouse.duckdb"
    return Built(
        published=table_checksums(site / PUBLISHED),
        integrated=compared(table_checksums(warehouse, COMPARED_SCHEMAS, LEFT_OUT_COLUMNS)),
        warehouse=warehouse,
    )


def lake_sums(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, str]:
    """The compared tables' checksums of a DuckLake attached as ``catalog``."""
    return compared(catalog_checksums(con, COMPARED_SCHEMAS, LEFT_OUT_COLUMNS, catalog))


def published_before(site: Path, into: Path) -> Path:
    """The disclosure audit's memory of what ``site`` published so far, copied to ``into``."""
    return Path(shutil.copy(memory_path(site / "warehouse.duckdb"), into))


def from_scratch(
    landing: Path, site: Path, failing: list[str] | None = None, history: Path | None = None
) -> Built:
    """Every delivery in ``landing`` built from scratch in ``site``, as `make run` builds it
    (``failing``: the runs that fail, a rejected file's load). ``history``: the memory of the
    snapshots published before (``published_before``), which the publish combines with its
    own as a night does: a rebuild publishes what the night publishes only given it."""
    if history is not None:
        site.mkdir(parents=True, exist_ok=True)
        shutil.copy(history, memory_path(site / "warehouse.duckdb"))
    with pytest.MonkeyPatch.context() as env, dg.DagsterInstance.ephemeral() as instance:
        environment(env, site, landing)
        contracts = list(all_contracts())
        outcome = materialize_everything(build_definitions(contracts), contracts, instance)
        assert outcome.failed_runs == (failing or [])
    return built(site)


def tonight(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.RunRequest:
    """What the nightly schedule launches tonight, run as the daemon runs it."""
    contracts = list(all_contracts())
    request = nightly_request(instance, defs.resolve_asset_graph(), contracts)
    result = defs.resolve_job_def(NIGHTLY_JOB).execute_in_process(
        instance=instance,
        asset_selection=request.asset_selection,
        tags=request.tags,
        raise_on_error=False,
    )
    assert result.success
    return request


def linkage_metadata(instance: dg.DagsterInstance) -> dict[str, object]:
    """The last person linkage's metadata (``incremental``: scored against the kept clusters;
    ``records_removed``: kept records of reloaded or withdrawn deliveries taken out)."""
    event = instance.get_latest_materialization_event(PERSON_LINKAGE)
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def same_clusters(
    con: duckdb.DuckDBPyConnection, night: str, rebuilt: str, entities: Collection[str] = KEYED
) -> None:
    """Every person and vendor record (``entities``: those built) shares its key with the same
    records in the ``night`` and ``rebuilt`` catalogs of ``con``."""
    for entity in entities:
        table, key = KEYED[entity]
        for name, catalog in (("night", night), ("rebuilt", rebuilt)):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS {keys_sql(table, key, catalog + '.')}"
            )
        found = differing(con, "temp.night", "temp.rebuilt")
        records = con.execute("SELECT count(*) FROM temp.rebuilt").fetchone()[0]
        assert found["records"] == records > 0, entity
        assert found["records_in_differing_clusters"] == 0, (entity, found)


def same_warehouse_clusters(night: Built, rebuilt: Built) -> None:
    """``same_clusters`` of two embedded builds."""
    with duckdb.connect() as con:
        for name, build in (("night", night), ("rebuilt", rebuilt)):
            con.execute(f"ATTACH {literal(str(build.warehouse))} AS {name}_db (READ_ONLY)")
        same_clusters(con, "night_db", "rebuilt_db")
