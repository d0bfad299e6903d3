"""Run the pipeline the way `make run` does, in a subprocess a test can pause and kill."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import RunOutcome, materialize_everything
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.contracts.loader import load_contract
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.ingestion.loading import LEDGER, QUARANTINE, raw_table
from datalabs_pipelines.pause_points import PAUSE_AT, PAUSE_DIR
from datalabs_pipelines.run_lease import LEASE_ENV
from datalabs_pipelines.settings import PROJECT_ROOT
from datalabs_pipelines.warehouse import qualified, table_exists
from datalabs_pipelines_tests.conftest import FIXTURE_CONTRACTS, FIXTURE_LANDING, TEST_KEY_HEX

GUARD_SECONDS = 300  # only to stop a hung test; nothing asserts how long anything takes
# A run held at a pause point is about to be killed: a short lease lets the next run release
# it within a second rather than the default half-minute. Nothing checks the lease while the run
# lives (the next run starts only after the kill), so a renewal starved on a loaded machine
# cannot get a live run released; the next run waits out what is left of the lease.
KILLED_RUN_LEASE = {LEASE_ENV: "1"}
NEW_DELIVERY = (
    "PERSON_ID|LAST_NAME|FIRST_NAME|DOB|SSN|COUNTY|START|END|BENEFIT\n"
    "8|Stone|Sam|01/02/1990|234-56-7890|007|01/01/2026|02/01/2026|$10.00\n"
)


@dataclass(frozen=True)
class Site:
    """One installation: landing, warehouse, published folder and Dagster home under ``root``."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published" / "datalabs.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def pause_dir(self) -> Path:
        return self.root / "pause"

    def env(self) -> dict[str, str]:
        return {
            "DATALABS_CONTRACTS_DIR": str(FIXTURE_CONTRACTS),
            "DATALABS_LANDING_DIR": str(self.landing),
            "DATALABS_WAREHOUSE": str(self.warehouse),
            "DATALABS_PUBLISHED_DIR": str(self.published.parent),
            "DATALABS_LINKAGE_KEY": TEST_KEY_HEX,
            "DAGSTER_HOME": str(self.dagster_home),
            PAUSE_DIR: str(self.pause_dir),
        }


def new_site(root: Path) -> Site:
    """Fixture landing files and the project's dagster.yaml, as the Makefile installs it."""
    site = Site(root)
    shutil.copytree(FIXTURE_LANDING, site.landing)
    site.dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", site.dagster_home / "dagster.yaml")
    site.pause_dir.mkdir()
    return site


def deliver_new_file(site: Site) -> None:
    """A fourth, valid delivery, so that a new snapshot differs from the previous one."""
    (site.landing / "test_agency" / "people" / "people_2026.txt").write_text(NEW_DELIVERY)


def run_in_process(site: Site, instance: dg.DagsterInstance) -> RunOutcome:
    """Everything once, in this process (as `make run` does), against ``site``; it must pass."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in site.env().items():
            env.setenv(name, value)
        contracts = list(all_contracts())
        outcome = materialize_everything(build_definitions(contracts), contracts, instance)
    assert outcome.failed_runs == []
    return outcome


def copy_outputs(source: Site, target: Path) -> None:
    """``source``'s warehouse and published folder into ``target`` (a ``Site`` root or an
    ``isolated_env`` folder: the same layout), as if its run had run there."""
    for path in source.root.glob(f"{source.warehouse.name}*"):  # a write-ahead log too
        shutil.copy2(path, target / path.name)
    shutil.copytree(source.published.parent, target / source.published.parent.name)


def start_run(site: Site, pause_at: str | None = None) -> subprocess.Popen:
    """`datalabs run` in its own process, optionally holding at a pause point (to be killed
    there: its lease is then short)."""
    env = {**os.environ, **site.env()}
    env.pop(PAUSE_AT, None)
    env.pop(LEASE_ENV, None)
    if pause_at:
        env.update({PAUSE_AT: pause_at, **KILLED_RUN_LEASE})
    return subprocess.Popen(
        [sys.executable, "-m", "datalabs_pipelines.cli", "run"],
        env=env,
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    """Wait for a run to end; fail the test with its output unless it succeeded."""
    out, _ = process.communicate(timeout=GUARD_SECONDS)
    assert process.returncode == 0, out
    return out


def wait_until_paused(site: Site, process: subprocess.Popen, point: str) -> None:
    marker = site.pause_dir / f"{point}.reached"
    deadline = time.monotonic() + GUARD_SECONDS
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"run ended before {point}: {process.communicate()[0]}")
        assert time.monotonic() < deadline, f"run never reached {point}"
        time.sleep(0.1)


def kill(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL: no cleanup handler runs
    process.communicate(timeout=GUARD_SECONDS)


def inconsistencies(warehouse: Path) -> list[str]:
    """Deliveries not all-or-nothing: ledger, raw rows and quarantine must agree exactly."""
    problems = []
    ledger, raw, quarantined = {}, {}, {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for contract in map(load_contract, sorted(FIXTURE_CONTRACTS.rglob("*.yaml"))):
            if not table_exists(con, raw_table(contract)):
                continue
            ledger |= {
                (e, d): (records, loaded, held)
                for e, d, records, loaded, held in con.execute(
                    "SELECT extract, delivery, records_in_file, rows_loaded, rows_quarantined "
                    f"FROM {qualified(LEDGER.of(contract))}"
                ).fetchall()
            }
            raw[contract.name] = dict(
                con.execute(
                    f"SELECT _delivery, count(*) FROM {qualified(raw_table(contract))} GROUP BY 1"
                ).fetchall()
            )
            quarantined |= {
                (e, d): n
                for e, d, n in con.execute(
                    "SELECT extract, delivery, count(*) "
                    f"FROM {qualified(QUARANTINE.of(contract))} GROUP BY 1, 2"
                ).fetchall()
            }
    for (extract, delivery), (records, loaded, held) in ledger.items():
        found = (raw.get(extract, {}).get(delivery, 0), quarantined.get((extract, delivery), 0))
        if found != (loaded, held) or records != loaded + held:
            problems.append(f"{extract}/{delivery}: ledger {records, loaded, held}, found {found}")
    for extract, deliveries in raw.items():
        problems += [
            f"{extract}/{d}: rows without a ledger entry"
            for d in deliveries
            if (extract, d) not in ledger
        ]
    problems += [f"{k}: quarantine without a ledger entry" for k in quarantined if k not in ledger]
    return problems
