"""The dashboard renders from a snapshot: role-driven charts, suppression, missing marts."""

from __future__ import annotations

import re

import duckdb
import pytest

from datalabs_pipelines.dashboard.columns import ColumnInfo, display, formatter
from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.render import NOT_PUBLISHED, render_dashboard
from datalabs_pipelines.dashboard.sections import SECTIONS
from datalabs_pipelines.dashboard.svg import Bar, bar_chart, nice_ticks
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines_tests.dashboard.demo import declarations, write_demo_snapshot


@pytest.fixture
def demo(tmp_path):
    path = write_demo_snapshot(tmp_path / "datalabs.duckdb", skip=("student_outcomes",))
    html, summary = render_dashboard(path, declarations())
    return path, html, summary


@pytest.mark.parametrize(
    ("high", "ticks"),
    [(0.37, [0.0, 0.1, 0.2, 0.3, 0.4]), (877, [0, 250, 500, 750, 1000]), (0, [0.0, 1.0])],
)
def test_nice_ticks(high, ticks):
    assert nice_ticks(high) == pytest.approx(ticks)


@pytest.mark.parametrize(
    ("role", "name", "value", "text"),
    [
        ("share", "utilization", 0.3125, "31.2%"),
        ("amount", "paid_amount", 1234567.8, "$1,234,568"),
        ("rate", "disparity_index", 0.7512, "0.75"),
        ("median", "median_earnings_q2", 6123.4, "$6,123"),
        ("count", "people", 12345, "12,345"),
    ],
)
def test_values_read_by_role(role, name, value, text):
    column = ColumnInfo(name, role, "DOUBLE", name)
    assert display({name: value}, column) == text


def test_suppressed_cell_reads_suppressed_never_zero():
    column = ColumnInfo("enrolled", "count", "BIGINT", "people enrolled")
    assert display({"enrolled": None, "enrolled_suppressed": True}, column) == "suppressed"
    assert display({"enrolled": 0, "enrolled_suppressed": True}, column) == "suppressed"
    svg = bar_chart([Bar("Cook", [None]), Bar("Lake", [40.0])], ["n"], "people", str, "t")
    assert 'class="suppressed"' in svg and ">suppressed<" in svg


def test_compact_money_and_percent():
    assert formatter(ColumnInfo("paid", "amount", "DOUBLE", "p"), compact=True)(2.5e7) == "$25.0M"
    share = formatter(ColumnInfo("s", "share", "DOUBLE", "s"), compact=True)
    assert (share(0.3), share(0.025)) == ("30%", "2.5%")


def test_every_section_renders_or_says_not_yet_published(demo):
    _, html, summary = demo
    assert summary.missing == ["student_outcomes"]
    assert f"student_outcomes</code>: {NOT_PUBLISHED}" in html
    for section in SECTIONS:
        assert f'id="{section.mart}"' in html
    assert summary.charts >= 14
    assert html.count("<svg") == summary.charts


def test_as_of_date_on_every_section(demo):
    _, html, _ = demo
    sections = re.findall(r'<section class="card[^"]*".*?</section>', html, flags=re.S)
    assert len(sections) == len(SECTIONS)
    assert all("Data as of 2026-03-03 11:00" in s for s in sections)  # latest extract load


def test_suppressed_cells_in_tables_and_charts(demo):
    path, html, _ = demo
    with duckdb.connect(str(path), read_only=True) as con:
        suppressed = con.execute(
            "SELECT count(*) FROM safety_net_enrollment WHERE enrolled_suppressed"
        ).fetchone()[0]
    assert suppressed > 0
    section = re.search(
        r'<section class="card" id="safety_net_enrollment">.*?</section>', html, re.S
    )
    assert section and section.group(0).count('<span class="pill suppressed">') >= suppressed
    assert "_suppressed" not in re.sub(r"<[^>]+>", "", section.group(0))  # companions hidden


def test_areas_for_improvement_are_called_out(demo):
    _, html, _ = demo
    assert re.search(r"disparity index below 0.80 \(fiscal year 2025\)</strong>: \d+ of 5", html)


def test_page_is_self_contained(demo):
    _, html, _ = demo
    without_namespace = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for pattern in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert pattern not in without_namespace


def test_empty_snapshot_renders_every_section_as_not_yet_published(tmp_path):
    path = tmp_path / "datalabs.duckdb"
    duckdb.connect(str(path)).close()
    html, summary = render_dashboard(path, all_declarations())
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


def test_percent_points_read_as_percent_and_take_the_goal_marker():
    utilization = ColumnInfo("utilization_pct", "share", "DOUBLE", "u", fraction=False)
    goal = ColumnInfo("goal_pct", "measure", "DOUBLE", "g", fraction=False)
    assert utilization.is_percent and goal.is_percent
    assert display({"utilization_pct": 31.25}, utilization) == "31.2%"
    assert formatter(utilization, compact=True)(30.0) == "30%"


def test_held_back_and_not_measurable_sections_carry_a_banner(tmp_path):
    path = write_demo_snapshot(tmp_path / "datalabs.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE main.mart_status (mart VARCHAR, domain VARCHAR, status VARCHAR, "
            "reason VARCHAR, data_through VARCHAR, built_at TIMESTAMP, checked_at TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO main.mart_status VALUES "
            "('workforce_outcomes', 'workforce', 'stale', 'ui_claims held back (x: 2 rows)', "
            "'2025Q1', '2026-03-01 02:00', now()), "
            "('student_outcomes', 'education', 'not measurable', 'not delivered: k12_graduation',"
            " NULL, now(), now()), "
            "('procurement_utilization', 'procurement', 'fresh', NULL, '2026', "
            "'2026-03-03 02:00', now())"
        )
    html, summary = render_dashboard(path, declarations())

    def section(mart: str) -> str:
        found = re.search(rf'<section class="card[^"]*" id="{mart}">.*?</section>', html, re.S)
        assert found
        return found.group(0)

    stale = section("workforce_outcomes")
    assert 'class="banner stale"' in stale and "ui_claims held back (x: 2 rows)" in stale
    assert "built 2026-03-01 02:00" in stale and "data through 2025Q1" in stale
    empty = section("student_outcomes")
    assert 'class="banner not-measurable"' in empty and "not delivered: k12_graduation" in empty
    assert "<svg" not in empty and "<table" not in empty  # no zeros shown
    fresh = section("procurement_utilization")
    assert "banner" not in fresh and "data through 2026" in fresh
    assert set(summary.not_fresh) == {"workforce_outcomes", "student_outcomes"}
