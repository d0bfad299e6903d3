"""The dashboard from a snapshot: chart views on hand-made rows, sections, banners, one page."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from datalabs_pipelines.dashboard.cells import SUPPRESSED, fmt
from datalabs_pipelines.dashboard.columns import ColumnInfo, display
from datalabs_pipelines.dashboard.figures import build_chart
from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.render import NOT_PUBLISHED, render_dashboard
from datalabs_pipelines.dashboard.sections import SECTIONS, ChartSpec, Metric
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines_tests.dashboard.sample import write_sample_snapshot

CHURN = ChartSpec(
    "churn",
    "group_name",
    (Metric("churn_rate", "churn", "share", "churn_rate_low", "churn_rate_high", "exits"),),
    filters=("year", "breakdown"),
    period="year",
    complete="year_complete",
    context="breakdown",
    order="axis",
)


def _row(year, breakdown, group, rate, exits, complete=True, hidden=False):
    return {
        "year": year,
        "breakdown": breakdown,
        "group_name": group,
        "year_complete": complete,
        "churn_rate": None if hidden else rate,
        "churn_rate_suppressed": hidden,
        "churn_rate_low": None if hidden else rate - 0.02,
        "churn_rate_high": None if hidden else rate + 0.03,
        "exits": exits,
        "exits_suppressed": False,
    }


ROWS = [
    _row(2023, "all", "All people", 0.10, 400),
    _row(2023, "sex", "Female", 0.12, 250),
    _row(2023, "sex", "Male", None, 4, hidden=True),
    _row(2024, "all", "All people", 0.11, 420),
    _row(2024, "sex", "Female", 0.13, 260),
    _row(2024, "sex", "Male", 0.09, 160),
    _row(2025, "all", "All people", 0.05, 90, complete=False),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = write_sample_snapshot(tmp_path_factory.mktemp("pub") / "datalabs.duckdb")
    html, summary = render_dashboard(path, all_declarations(), threshold=10)
    return path, html, summary


def _section(html: str, mart: str) -> str:
    found = re.search(rf'<section class="card[^"]*" id="{mart}">.*?</section>', html, re.S)
    assert found, mart
    return found.group(0)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.123, "share", "12.3%"),
        (31.25, "pct", "31.2%"),
        (-4.06, "pp", "-4.1 pp"),
        (6123.4, "usd", "$6,123"),
        (12345, "count", "12,345"),
        (0.7512, "index", "0.75"),
    ],
)
def test_values_read_in_their_unit(value, unit, text):
    assert fmt(value, unit) == text


def test_partial_period_is_marked_and_the_latest_complete_one_is_the_default():
    chart = build_chart(CHURN, ROWS)
    years = chart.filters[0]
    assert [(o.value, o.text, o.partial) for o in years.options] == [
        ("2025", "2025 (partial)", True),
        ("2024", "2024", False),
        ("2023", "2023", False),
    ]
    assert years.default == "2024"
    assert "Partial period" in chart.views["2025|all"].note
    assert chart.views[chart.default_key].note == ""


def test_the_breakdown_that_publishes_most_is_the_default_with_the_state_leading():
    chart = build_chart(CHURN, ROWS)
    assert chart.default_key == "2024|sex"
    bars = chart.views["2024|sex"].figure["data"][0]
    assert bars["y"] == ["All people", "Female", "Male"]
    assert bars["x"] == pytest.approx([0.11, 0.13, 0.09])


def test_a_breakdown_mostly_suppressed_is_not_the_default():
    chart = build_chart(CHURN, [r for r in ROWS if r["year"] == 2023])
    assert chart.default_key == "2023|all"  # sex: one group published, one suppressed


def test_rates_carry_their_interval_and_denominator():
    view = build_chart(CHURN, ROWS).views["2024|sex"]
    bars = view.figure["data"][0]
    assert bars["error_x"]["array"] == pytest.approx([0.03] * 3)
    assert bars["error_x"]["arrayminus"] == pytest.approx([0.02] * 3)
    assert "9.0% to 14.0%" in bars["customdata"][0] and "out of exits: 420" in bars["customdata"][0]
    assert view.table[0] == ["All people", "11.0% (9.0% to 14.0%) of 420"]


def test_a_suppressed_cell_is_drawn_hatched_and_reads_suppressed():
    view = build_chart(CHURN, ROWS).views["2023|sex"]
    hatched = [t for t in view.figure["data"] if t["name"] == SUPPRESSED]
    assert len(hatched) == 1 and hatched[0]["y"] == ["Male"]
    assert hatched[0]["marker"]["pattern"]["shape"] and SUPPRESSED in hatched[0]["customdata"][0]
    assert view.figure["data"][0]["x"][2] is None  # never drawn as zero
    assert view.table[2][1].startswith(SUPPRESSED)
    assert "1 suppressed" in view.summary


def test_lowest_first_order():
    spec = ChartSpec("m", "name", (Metric("rate", "rate", "share"),), order="asc")
    rows = [{"name": n, "rate": r} for n, r in (("a", 0.9), ("b", 0.2), ("c", 0.5))]
    assert build_chart(spec, rows).views[""].figure["data"][0]["y"] == ["b", "c", "a"]


def test_suppressed_cell_in_the_whole_table_reads_suppressed_never_zero():
    column = ColumnInfo("enrolled", "count", "BIGINT", "people enrolled")
    assert display({"enrolled": 0, "enrolled_suppressed": True}, column) == "suppressed"


def test_every_section_has_charts_and_every_view_is_a_valid_plotly_figure(sample):
    _, html, summary = sample
    assert summary.missing == []
    for section in SECTIONS:
        assert 'class="plot"' in _section(html, section.mart), section.mart
    views = re.findall(r'<script type="application/json" class="views">(.*?)</script>', html)
    assert len(views) == summary.charts >= len(SECTIONS)
    for found in views:
        assert json.loads(found)["views"]


def test_a_table_lacking_a_charted_column_renders_as_a_table(tmp_path):
    path = write_sample_snapshot(tmp_path / "datalabs.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE main.linkage_quality DROP COLUMN match_rate")
    html, _ = render_dashboard(path, all_declarations(), threshold=10)
    section = _section(html, "linkage_quality")
    assert 'class="plot"' not in section and "<details open>" in section


def test_a_section_whose_measures_are_mostly_suppressed_says_why_it_has_no_chart(tmp_path):
    path = write_sample_snapshot(tmp_path / "datalabs.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE main.linkage_quality SET match_rate = NULL, match_rate_suppressed = true"
        )
    html, summary = render_dashboard(path, all_declarations(), threshold=10)
    section = _section(html, "linkage_quality")
    assert 'class="plot"' not in section and "<details open>" in section
    assert "No chart. Not charted: " in section and "Charts: " not in section
    assert "mostly suppressed even at the coarsest grain" in section
    charts, _ = summary.suppressed["linkage_quality"]
    assert charts.cells == 0


def test_suppression_is_explained_once_with_the_threshold(sample):
    _, html, _ = sample
    assert html.count('id="suppression"') == 1
    assert "below 10" in html and "complementary" in html
    assert 'href="#suppression">small cells suppressed' in _section(html, "safety_net_annual")


def test_each_section_shows_the_period_it_covers(sample):
    _, html, _ = sample
    assert "covers 2023 to 2025 (2025 partial)" in _section(html, "safety_net_annual")


def test_page_is_self_contained(sample):
    _, html, _ = sample
    assert html.count('<script id="plotly-js">') == 1
    outside = re.sub(r'<script id="plotly-js">.*?</script>', "", html, flags=re.S)
    for pattern in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert pattern not in outside


def test_empty_snapshot_renders_every_section_as_not_yet_published(tmp_path):
    path = tmp_path / "datalabs.duckdb"
    duckdb.connect(str(path)).close()
    html, summary = render_dashboard(path, all_declarations(), threshold=10)
    assert summary.rendered == [] and html.count(NOT_PUBLISHED) == len(SECTIONS)


def test_write_atomic_leaves_no_temporary(tmp_path):
    target = write_atomic(tmp_path / "out" / "page.html", "<p>hi</p>")
    assert target.read_text() == "<p>hi</p>"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_nightly_run_rebuilds_the_pages():
    from datalabs_pipelines.automation.schedules import downstream_of_raw
    from datalabs_pipelines.contracts import all_contracts
    from datalabs_pipelines.dashboard.assets import DASHBOARD_KEY
    from datalabs_pipelines.definitions import defs
    from datalabs_pipelines.governance.dictionary_assets import DICTIONARY_KEY, DICTIONARY_PAGE_KEY

    nightly = downstream_of_raw(all_contracts()).resolve(defs.resolve_asset_graph())
    assert {DASHBOARD_KEY, DICTIONARY_KEY, DICTIONARY_PAGE_KEY} <= nightly


def _with_status(tmp_path, skip: str, statuses: str):
    """The sample snapshot without ``skip``, with a ``mart_status`` holding ``statuses``."""
    path = write_sample_snapshot(tmp_path / "datalabs.duckdb", skip=(skip,))
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE main.mart_status (mart VARCHAR, domain VARCHAR, status VARCHAR, "
            "reason VARCHAR, data_through VARCHAR, built_at TIMESTAMP, checked_at TIMESTAMP)"
        )
        con.execute(f"INSERT INTO main.mart_status VALUES {statuses}")
    return render_dashboard(path, all_declarations(), threshold=10)


def test_held_back_and_not_measurable_sections_carry_a_banner(tmp_path):
    html, summary = _with_status(
        tmp_path,
        "student_outcomes",
        "('workforce_outcomes', 'workforce', 'stale', 'ui_claims held back (x: 2 rows)', "
        "'2025Q1', '2026-03-01 02:00', now()), "
        "('student_outcomes', 'education', 'not measurable', 'not delivered: k12_graduation',"
        " NULL, now(), now()), "
        "('procurement_utilization', 'procurement', 'fresh', NULL, '2026', "
        "'2026-03-03 02:00', now())",
    )
    stale = _section(html, "workforce_outcomes")
    assert 'class="banner stale"' in stale and "ui_claims held back (x: 2 rows)" in stale
    assert "built 2026-03-01 02:00" in stale and "data through 2025Q1" in stale
    empty = _section(html, "student_outcomes")
    assert 'class="banner not-measurable"' in empty and "not delivered: k12_graduation" in empty
    assert 'class="plot"' not in empty and "<table" not in empty  # no zeros shown
    fresh = _section(html, "procurement_utilization")
    assert "banner" not in fresh and "data through 2026" in fresh
    assert set(summary.not_fresh) == {"workforce_outcomes", "student_outcomes"}


def test_a_mart_the_disclosure_audit_withheld_is_not_said_blocked_by_an_agreement(tmp_path):
    html, _ = _with_status(
        tmp_path,
        "safety_net_annual",
        "('safety_net_annual', 'safety_net', 'blocked', 'withheld by the disclosure audit: "
        "safety_net_annual: exits in row 3 (in dimension order) can be narrowed to 2 possible "
        "values (threshold 10)', NULL, now(), now())",
    )
    withheld = _section(html, "safety_net_annual")
    assert 'class="banner blocked"' in withheld and "withheld by the disclosure audit" in withheld
    assert "data-sharing agreement" not in withheld
