"""The dashboard and the data dictionary in a real (headless) Chromium: charts, console, looks.

Screenshots land in `test-artifacts/` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.render import render_dashboard
from datalabs_pipelines.definitions import defs
from datalabs_pipelines.governance.dictionary import build_entries
from datalabs_pipelines.governance.dictionary_page import render_dictionary
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines_tests.browser import ARTIFACTS, require_chromium, run_chromium
from datalabs_pipelines_tests.dashboard.demo import declarations, write_demo_snapshot


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("published")
    snapshot = write_demo_snapshot(folder / "datalabs.duckdb", skip=("student_outcomes",))
    html, summary = render_dashboard(snapshot, [*declarations(), *all_declarations()])
    dashboard = write_atomic(folder / "dashboard.html", html)
    entries = build_entries(defs.resolve_all_asset_specs(), all_contracts(), all_declarations())
    dictionary = write_atomic(
        folder / "dictionary.html", render_dictionary(entries, dt.datetime(2026, 3, 3, 11))
    )
    return dashboard, summary, dictionary


def test_dashboard_charts_render_without_console_errors(pages):
    dashboard, summary, _ = pages
    run = run_chromium(dashboard.as_uri(), dump_dom=True)
    assert run.console == []
    assert run.output.count("<svg") == summary.charts > 0
    assert len(re.findall(r'<rect class="bar"', run.output)) > 50
    assert "<polyline" in run.output  # trends
    assert 'class="suppressed"' in run.output
    assert "not yet published" in run.output
    shot = run_chromium(
        dashboard.as_uri(), screenshot=ARTIFACTS / "dashboard.png", window=(1280, 2600)
    )
    assert shot.console == []
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 50_000


def test_dictionary_page_renders_and_filters_without_console_errors(pages):
    _, _, dictionary = pages
    run = run_chromium(dictionary.as_uri() + "#staging.snap_enrollment", dump_dom=True)
    assert run.console == []
    assert 'id="staging.snap_enrollment.ssn_token"' in run.output
    assert 'id="marts.data_dictionary"' in run.output
    run_chromium(dictionary.as_uri(), screenshot=ARTIFACTS / "dictionary.png", window=(1280, 1600))
    assert (ARTIFACTS / "dictionary.png").stat().st_size > 50_000
