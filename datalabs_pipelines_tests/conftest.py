"""Shared fixtures: an isolated warehouse, landing folder and key for every test that needs one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from datalabs_pipelines.contracts.loader import load_contract

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CONTRACTS = FIXTURES / "contracts"
FIXTURE_LANDING = FIXTURES / "landing"
TEST_KEY_HEX = "11" * 32


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
