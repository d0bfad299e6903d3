"""A sample dated to the current quarter runs clean: no contract has expired.

`generate(through=today)` moves the simulated three years so that they end today; the whole
graph then runs on it (the session's ``sample_graph``) with every blocking check passing and
publishes a snapshot whose spend reaches the current quarter.
"""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines_tests.conftest import SampleGraph

pytestmark = pytest.mark.slow


def test_a_sample_dated_to_the_current_quarter_runs_clean(sample_graph: SampleGraph):
    today, outcome, settings = sample_graph.through, sample_graph.outcome, sample_graph.settings
    assert outcome.failed_runs == []
    assert not [c for c in outcome.checks_failed if "(WARN)" not in c]
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
