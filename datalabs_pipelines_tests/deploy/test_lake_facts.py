"""Integrated facts built night by night on the production backend (DuckLake on a real
PostgreSQL catalog) equal a whole rebuild, as on the embedded file."""

from __future__ import annotations

import pytest

from datalabs_pipelines.deploy import lake
from datalabs_pipelines.outcomes import incremental
from datalabs_pipelines.outcomes.build import build_fact
from datalabs_pipelines_tests.outcomes.test_incremental_facts import (
    CONTRACTS,
    FACTS,
    fill_cohort,
    night,
    wage_quarter,
)
from datalabs_pipelines_tests.procurement.test_roles_sql import fill_procurement, payments_nights


@pytest.fixture
def lake_con(postgres, tmp_path, monkeypatch, request):
    """An empty lake on its own PostgreSQL catalog (named after the test), connected."""
    name = request.node.name.removeprefix("test_")[:40]
    postgres.create_database(name)
    monkeypatch.setenv(lake.BACKEND_VARIABLE, "ducklake")
    monkeypatch.setenv(lake.CATALOG_VARIABLE, postgres.dsn(name))
    monkeypatch.setenv(lake.DATA_PATH_VARIABLE, str(tmp_path / "data"))
    settings = lake.lake_settings()
    lake.prepare_lake(settings, ("staging", "integrated"))
    con = lake.connect(settings.database, {})
    yield con
    con.close()


def test_a_fact_night_on_the_lake_equals_a_whole_rebuild(lake_con):
    rng = fill_cohort(lake_con)
    for name in ("employment_quarters", "benefit_spells"):
        assert build_fact(lake_con, FACTS[name], CONTRACTS).mode == incremental.FULL
    wage_quarter(lake_con, rng, "w5", 2024, 1)
    lake_con.execute("UPDATE staging.ui_wages SET wages = wages + 1 WHERE record_id = 'w2:1'")
    lake_con.execute("DELETE FROM staging.ui_wages WHERE record_id = 'w3:1'")
    lake_con.execute("UPDATE integrated.person_keys SET person_key = 'P4' WHERE person_key = 'P5'")
    assert night(lake_con, "employment_quarters").records_changed > 0
    assert night(lake_con, "benefit_spells").records_changed > 0


def test_payments_nights_on_the_lake_equal_a_whole_rebuild(lake_con, monkeypatch):
    """The certified-spend payments rebuilt by changed lines (deletes and inserts on the lake's
    tables, in one transaction) equal a whole build there too."""
    fill_procurement(lake_con)
    payments_nights(lake_con, monkeypatch)
