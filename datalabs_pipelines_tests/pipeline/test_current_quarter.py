"""A sample dated to the current quarter runs clean: no contract has expired.

`generate(through=today)` moves the simulated three years so that they end today; the whole
graph then runs on it with every blocking check passing and publishes a snapshot whose spend
reaches the current quarter.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from datalabs_pipelines.automation.local_run import materialize_everything
from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.definitions import build_definitions
from datalabs_pipelines.generator.main import generate
from datalabs_pipelines.governance.agreements import run_date
from datalabs_pipelines.settings import get_settings

pytestmark = pytest.mark.slow


def test_a_sample_dated_to_the_current_quarter_runs_clean(tmp_path, monkeypatch):
    today = run_date()
    generate(scale=0.03, seed=5, out=tmp_path, progress=False, through=today)
    monkeypatch.delenv("DATALABS_CONTRACTS_DIR", raising=False)
    monkeypatch.setenv("DATALABS_LANDING_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("DATALABS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DATALABS_PUBLISHED_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DATALABS_LINKAGE_KEY", "33" * 32)
    contracts = list(all_contracts())
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = materialize_everything(build_definitions(contracts), contracts, instance)
    assert outcome.failed_runs == []
    assert not [c for c in outcome.checks_failed if "(WARN)" not in c]
    settings = get_settings()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        latest = con.execute("SELECT max(payment_date) FROM staging.payments").fetchone()[0]
        blocked = con.execute(
            "SELECT count(*) FROM staging.check_results WHERE severity = 'error' AND NOT passed"
        ).fetchone()[0]
    quarter = (today.month - 1) // 3
    assert (latest.year, (latest.month - 1) // 3) == (today.year, quarter)
    assert latest <= today
    assert blocked == 0
    assert settings.published_path.exists()
