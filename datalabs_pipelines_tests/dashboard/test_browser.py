"""The dashboard and the data dictionary in a real (headless) Chromium, as a reader sees them.

The dashboard is loaded once with a measuring script appended: after Plotly drew, it counts
each chart's plotted marks, compares every label's box with its chart's, reads the period
selects, changes a filter and writes what it found into the DOM, which ``--dump-dom`` returns.
Screenshots land in `test-artifacts/` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

from datalabs_pipelines.contracts import all_contracts
from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.render import render_dashboard
from datalabs_pipelines.dashboard.suppression import MAX_SUPPRESSED
from datalabs_pipelines.definitions import defs
from datalabs_pipelines.governance.dictionary import build_entries
from datalabs_pipelines.governance.dictionary_page import render_dictionary
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines_tests.browser import ARTIFACTS, require_chromium, run_chromium
from datalabs_pipelines_tests.dashboard.sample import write_sample_snapshot

pytestmark = pytest.mark.slow

MEASURE = """<script>
window.addEventListener('load', function () { setTimeout(measure, 200); });
function marks(plot) {
  return plot.querySelectorAll('.barlayer .point path, .scatterlayer .point').length;
}
function clipped(plot) {
  var box = plot.querySelector('svg.main-svg').getBoundingClientRect(), out = [];
  plot.querySelectorAll('.xtick text, .ytick text, .legendtext, .annotation-text, .gtitle')
    .forEach(function (t) {
      var b = t.getBoundingClientRect();
      if (b.width > 0 && (b.left < box.left - 0.5 || b.right > box.right + 0.5 ||
          b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5)) { out.push(t.textContent); }
    });
  return out;
}
function measure() {
  var out = {sections: [], charts: [], filter: null};
  document.querySelectorAll('section.card').forEach(function (s) {
    var n = 0, charts = 0, numbers = 0;
    s.querySelectorAll('.plot').forEach(function (p) {
      var m = marks(p);
      n += m;
      if (m > 0) { charts += 1; }
    });
    s.querySelectorAll('table.view td').forEach(function (td) {
      if (/\d/.test(td.textContent) && td.textContent.indexOf('suppressed') !== 0) {
        numbers += 1;
      }
    });
    var stated = s.querySelector('.meta.suppression');
    out.sections.push({id: s.id, empty: s.classList.contains('empty'), marks: n,
      charts: charts, plots: s.querySelectorAll('.plot').length, numbers: numbers,
      share: stated ? parseFloat(stated.getAttribute('data-charts-share')) : null,
      stated: stated ? stated.textContent : null});
  });
  document.querySelectorAll('figure.chart[data-chart]').forEach(function (f) {
    var plot = f.querySelector('.plot');
    var periods = Array.prototype.map.call(f.querySelectorAll('option[data-partial]'),
      function (o) { return {text: o.textContent, selected: o.selected}; });
    var legend = Array.prototype.map.call(plot.querySelectorAll('.legendtext'),
      function (t) { return t.textContent; });
    out.charts.push({id: f.id, marks: marks(plot), clipped: clipped(plot), partial: periods,
      legend: legend,
      note: f.querySelector('.note').textContent, label: plot.getAttribute('aria-label')});
  });
  var select = document.querySelector('#safety_net_annual-1 select[data-filter="program"]');
  var plot = document.querySelector('#safety_net_annual-1 .plot');
  var before = JSON.stringify(plot.data.map(function (t) { return t.x; }));
  select.value = select.options[select.selectedIndex === 0 ? 1 : 0].value;
  select.dispatchEvent(new Event('change'));
  setTimeout(function () {
    var after = JSON.stringify(plot.data.map(function (t) { return t.x; }));
    out.filter = {changed: before !== after, marks: marks(plot)};
    var pre = document.createElement('pre');
    pre.id = 'measured';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 200);
}
</script></body>"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("published")
    snapshot = write_sample_snapshot(folder / "datalabs.duckdb", skip=("student_outcomes",))
    page, summary = render_dashboard(snapshot, all_declarations(), threshold=10)
    dashboard = write_atomic(folder / "dashboard.html", page)
    measured = write_atomic(folder / "measured.html", page.replace("</body>", MEASURE))
    entries = build_entries(defs.resolve_all_asset_specs(), all_contracts(), all_declarations())
    dictionary = write_atomic(
        folder / "dictionary.html", render_dictionary(entries, dt.datetime(2026, 3, 3, 11))
    )
    return dashboard, measured, summary, dictionary


@pytest.fixture(scope="module")
def seen(pages) -> dict:
    """What the reader sees: one load of the dashboard, measured by the appended script."""
    _, measured, _, _ = pages
    run = run_chromium(measured.as_uri(), dump_dom=True, window=(1280, 1000), wait_ms=20000)
    assert run.console == []
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.output, re.S)
    assert found, "the measuring script did not finish"
    return json.loads(html.unescape(found.group(1)))


def test_every_published_section_has_a_non_empty_chart(seen, pages):
    _, _, summary, _ = pages
    shown = [s for s in seen["sections"] if not s["empty"]]
    assert {s["id"] for s in shown} == set(summary.rendered)
    assert [s["id"] for s in shown if s["marks"] == 0] == []
    assert [s["id"] for s in seen["sections"] if s["empty"]] == ["student_outcomes"]


def test_every_section_shows_numbers_in_every_chart_and_states_its_share_suppressed(seen):
    shown = [s for s in seen["sections"] if not s["empty"]]
    assert [s["id"] for s in shown if s["charts"] < s["plots"] or s["charts"] == 0] == []
    assert [s["id"] for s in shown if s["numbers"] == 0] == []  # numbers in the text tables
    gated = [s for s in shown if s["share"] is not None]
    assert len(gated) >= 6  # every disclosure-controlled section of the sample says it
    for section in gated:
        assert 0.0 <= section["share"] < MAX_SUPPRESSED, section["id"]
        assert section["stated"].startswith("Charts: ") and "whole table" in section["stated"]


def test_no_label_is_clipped(seen):
    assert {c["id"]: c["clipped"] for c in seen["charts"] if c["clipped"]} == {}


def test_partial_periods_are_marked_and_never_the_default(seen):
    with_periods = [c for c in seen["charts"] if c["partial"]]
    assert len(with_periods) >= 5  # the sample's latest period is partial in every yearly mart
    for chart in with_periods:
        assert all("(partial)" in o["text"] and not o["selected"] for o in chart["partial"])
        assert chart["note"] == ""  # the default view is a complete period


def test_suppressed_cells_are_drawn_as_such(seen):
    assert any("suppressed" in c["legend"] for c in seen["charts"])


def test_a_filter_changes_the_chart(seen):
    assert seen["filter"]["changed"] and seen["filter"]["marks"] > 0


def test_every_chart_has_a_text_alternative(seen):
    assert all(re.search(r": \d+ (bars|points)", c["label"]) for c in seen["charts"])


def test_screenshot_of_the_dashboard(pages):
    dashboard, _, _, _ = pages
    shot = run_chromium(
        dashboard.as_uri(),
        screenshot=ARTIFACTS / "dashboard.png",
        window=(1280, 2600),
        wait_ms=10000,
    )
    assert shot.console == []
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 50_000


def test_dictionary_page_renders_and_filters_without_console_errors(pages):
    _, _, _, dictionary = pages
    run = run_chromium(dictionary.as_uri() + "#staging.snap_enrollment", dump_dom=True)
    assert run.console == []
    assert 'id="staging.snap_enrollment.ssn_token"' in run.output
    assert 'id="marts.data_dictionary"' in run.output
    run_chromium(dictionary.as_uri(), screenshot=ARTIFACTS / "dictionary.png", window=(1280, 1600))
    assert (ARTIFACTS / "dictionary.png").stat().st_size > 50_000
