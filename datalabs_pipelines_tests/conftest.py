"""Shared fixtures: an isolated warehouse, landing folder and key for every test that needs one,
and the whole graph materialized once for the session, on the hand-made fixture deliveries and
on a small generated sample."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from datalabs_pipelines.contracts.loader import load_contract

if TYPE_CHECKING:
    import dagster as dg

    from datalabs_pipelines.automation.local_run import RunOutcome
    from datalabs_pipelines.settings import Settings
    from datalabs_pipelines_tests.reliability.pipeline_process import Site

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CONTRACTS = FIXTURES / "contracts"
FIXTURE_LANDING = FIXTURES / "landing"
TEST_KEY_HEX = "11" * 32


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a slow test first, each file's tests in their order: `make test` hands the
    files to its two workers in this order (``--no-loadscope-reorder``), so the longest start
    first and the short ones even out the workers' ends."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Warehouse, published folder, landing copy and Dagster home under ``tmp_path``."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    monkeypatch.setenv("DATALABS_CONTRACTS_DIR", str(FIXTURE_CONTRACTS))
    monkeypatch.setenv("DATALABS_LANDING_DIR", str(landing))
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DATALABS_LINKAGE_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


@pytest.fixture(scope="session")
def code_location_modules() -> set[str]:
    """The ``datalabs_pipelines`` modules a fresh interpreter holds once it has loaded the
    definitions (as the code server does), whatever the import path: a static check would miss
    ``importlib``. One interpreter for the session; the layering and public-API tests read it."""
    probe = (
        "import sys, datalabs_pipelines.definitions\n"
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] == 'datalabs_pipelines'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    return set(out.stdout.split())


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


@pytest.fixture
def people_contract():
    return load_contract(FIXTURE_CONTRACTS / "test_agency" / "people.yaml")


@pytest.fixture
def visits_contract():
    return load_contract(FIXTURE_CONTRACTS / "test_agency" / "visits.yaml")


@dataclass(frozen=True)
class FixtureGraph:
    """The fixture deliveries materialized once. Read it, or copy its outputs (``copy_outputs``)
    before changing anything: others read it too."""

    site: Site  # the landing, warehouse and published folder, laid out as in ``isolated_env``
    outcome: RunOutcome
    instance: dg.DagsterInstance  # its runs and their event logs


@pytest.fixture(scope="session")
def fixture_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureGraph]:
    """The whole graph on the fixture deliveries, as `make run` does, in an ephemeral instance:
    what a first run leaves behind."""
    import dagster as dg

    from datalabs_pipelines_tests.reliability.pipeline_process import new_site, run_in_process

    site = new_site(tmp_path_factory.mktemp("fixture_graph"))
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_in_process(site, instance)
        yield FixtureGraph(site, outcome, instance)


@pytest.fixture
def after_clean_run(isolated_env: Path, fixture_graph: FixtureGraph) -> Path:
    """``isolated_env`` holding what the session's clean fixture run left: its warehouse and
    published folder (the landing copy is the same deliveries)."""
    from datalabs_pipelines_tests.reliability.pipeline_process import copy_outputs

    copy_outputs(fixture_graph.site, isolated_env)
    return isolated_env


@dataclass(frozen=True)
class SampleGraph:
    """A generated sample materialized once. Read it; change nothing (others read it too)."""

    folder: Path  # raw/ is the landing folder, truth/ says who is who
    through: dt.date  # the sample's last day
    outcome: RunOutcome
    settings: Settings  # its warehouse and published snapshot
    instance: dg.DagsterInstance  # its runs and their event logs


@pytest.fixture(scope="session")
def sample_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleGraph]:
    """Every extract of a scale-0.05 sample (about 500 people) dated to end today, run through
    the whole graph as `make run` does, with the project's own contracts."""
    import dagster as dg  # here, not above: a broken definition fails only the tests using it

    from datalabs_pipelines.automation.local_run import materialize_everything
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.definitions import build_definitions
    from datalabs_pipelines.generator.main import generate
    from datalabs_pipelines.run_context import run_date
    from datalabs_pipelines.settings import get_settings

    folder = tmp_path_factory.mktemp("sample_graph")
    through = run_date()
    generate(scale=0.05, seed=11, out=folder, progress=False, through=through)
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.MonkeyPatch.context() as env:  # only while the graph runs
            env.delenv("DATALABS_CONTRACTS_DIR", raising=False)
            env.setenv("DATALABS_LANDING_DIR", str(folder / "raw"))
            env.setenv("DATALABS_WAREHOUSE", str(folder / "warehouse.duckdb"))
            env.setenv("DATALABS_PUBLISHED_DIR", str(folder / "published"))
            env.setenv("DATALABS_LINKAGE_KEY", "22" * 32)
            contracts = list(all_contracts())
            outcome = materialize_everything(build_definitions(contracts), contracts, instance)
            settings = get_settings()
        yield SampleGraph(folder, through, outcome, settings, instance)
