"""What the dashboard charts publishes: the share of suppressed cells it shows, choices and
metrics withheld at 30 % or more, the state shown where finer rows would be mostly suppressed.
Hand-made rows; each share is counted in the comments."""

from __future__ import annotations

import pytest

from datalabs_pipelines.dashboard.figures import NARROWED, build_chart
from datalabs_pipelines.dashboard.sections import ChartSpec, Metric
from datalabs_pipelines.dashboard.suppression import MAX_SUPPRESSED, Share, share_of

RATE = Metric("rate", "rate", "share", "rate_low", "rate_high", "people")
BY_GROUP = ChartSpec(
    "by group",
    "group_name",
    (RATE,),
    filters=("year", "breakdown"),
    period="year",
    context="breakdown",
    order="axis",
)
BY_AREA = ChartSpec("by area", "area_name", (RATE,), filters=("year",), period="year")


def _row(year, breakdown, group, people, rate, hidden=False, **codes):
    """A row whose rate (and bounds) are suppressed when ``hidden``, its base with them when
    ``people`` is None."""
    return {
        "year": year,
        "breakdown": breakdown,
        "group_code": codes.get("group_code", group),
        "group_name": group,
        "area_name": group,
        "county_fips": codes.get("county_fips", "x"),
        "people": people,
        "people_suppressed": people is None,
        **{
            name: None if hidden else rate + shift
            for name, shift in (("rate", 0.0), ("rate_low", -0.05), ("rate_high", 0.05))
        },
        **{f"{name}_suppressed": hidden for name in ("rate", "rate_low", "rate_high")},
    }


def test_a_share_counts_shown_and_suppressed_cells_never_unobserved_ones():
    rows = [
        {"a": 5, "a_suppressed": False, "b": None, "b_suppressed": True},
        {"a": None, "a_suppressed": False, "b": 3, "b_suppressed": False},  # a not observed
        {"label": "x"},  # no gated column
    ]
    assert share_of(rows) == Share(suppressed=1, cells=3)
    assert share_of(rows, ["a"]) == Share(0, 1)
    assert Share(3, 10).publishes is False and Share(2, 10).publishes is True
    assert MAX_SUPPRESSED == 0.30


ALL_2024 = _row(2024, "all", "All", 400, 0.5, group_code="ALL")
ALL_2023 = _row(2023, "all", "All", 380, 0.4, group_code="ALL")
SEX = [
    # 2024: 3 rows x 4 cells; Male's rate and bounds hidden: 3 of 12 = 25 %, publishes
    _row(2024, "sex", "Female", 250, 0.6),
    _row(2024, "sex", "Male", 150, 0.4, hidden=True),
    # 2023: Female and Male both hidden, Male's base too: 7 of 12 = 58 %, withheld
    _row(2023, "sex", "Female", 300, 0.4, hidden=True),
    _row(2023, "sex", "Male", None, 0.4, hidden=True),
]


def test_a_choice_with_30_percent_or_more_of_its_cells_suppressed_is_withheld():
    chart = build_chart(BY_GROUP, [ALL_2024, ALL_2023, *SEX])
    assert sorted(chart.views) == ["2023|all", "2024|all", "2024|sex"]
    assert chart.withheld.views == 1
    # what the charts show: both totals (8 cells) and 2024's groups (8): 3 of 16 suppressed
    assert chart.share == Share(3, 16)
    assert chart.default_key == "2024|all"  # one group published: the total leads


def test_a_filter_value_left_with_no_view_leaves_the_filter():
    chart = build_chart(BY_GROUP, [ALL_2024, *SEX[2:]])  # 2023 exists only by sex, withheld
    years = next(f for f in chart.filters if f.column == "year")
    assert [o.value for o in years.options] == ["2024"]
    assert chart.default_key in chart.views


def test_a_metric_suppressed_even_at_the_total_grain_is_not_charted():
    other = Metric("other", "other rate", "share", base="people")
    spec = ChartSpec("two", "group_name", (RATE, other), filters=("year",), period="year")
    rows = [{**r, "other": None, "other_suppressed": True} for r in (ALL_2024, ALL_2023)]
    chart = build_chart(spec, rows)
    assert [m.label for m in chart.spec.metrics] == ["rate"]
    assert chart.withheld.metrics == ["other rate"]
    assert chart.share == Share(0, 8)  # rate, bounds and base of two totals


def test_without_a_breakdown_the_state_is_shown_where_its_areas_would_be_mostly_suppressed():
    state = _row(2024, "all", "State", 500, 0.5, county_fips="ALL")
    areas = [_row(2024, "all", f"County {n}", None, 0.5, hidden=True) for n in range(3)]
    chart = build_chart(BY_AREA, [state, *areas])  # 16 of 20 suppressed with the counties
    (view,) = chart.views.values()
    assert view.note.startswith(NARROWED) and chart.withheld.narrowed == 1
    assert view.figure["data"][0]["y"] == ["State"]
    assert chart.share == Share(0, 4)


@pytest.mark.parametrize("hidden", [0, 1])
def test_a_chart_under_the_limit_keeps_every_choice(hidden):
    rows = [ALL_2024, _row(2024, "sex", "Female", 250, 0.6), _row(2024, "sex", "Male", 150, 0.4)]
    if hidden:
        rows[2] = _row(2024, "sex", "Male", 150, 0.4, hidden=True)  # 3 of 12 = 25 %
    chart = build_chart(BY_GROUP, rows)
    assert sorted(chart.views) == ["2024|all", "2024|sex"] and chart.withheld.views == 0
