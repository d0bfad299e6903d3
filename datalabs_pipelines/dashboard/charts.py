"""Which charts a published mart gets, decided by its columns' roles.

Rates, shares and medians are shown per category for the latest period, against a goal
column when there is one; amounts side by side; counts as bars; a time dimension adds a
trend. Additive measures of tables that are not disclosure-controlled are summed by their
first category. Flags become call-outs listing the flagged rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datalabs_pipelines.dashboard.columns import (
    RATE_LIKE,
    ColumnInfo,
    cell_value,
    formatter,
    is_suppressed,
)
from datalabs_pipelines.dashboard.svg import Bar, Series, bar_chart, line_chart

MAX_BARS = 16
MAX_LINES = 6
NON_LABEL_TYPES = ("TIMESTAMP", "DATE")


@dataclass(frozen=True)
class Figure:
    caption: str
    svg: str


@dataclass(frozen=True)
class Callout:
    title: str
    flagged: list[str]
    total: int


@dataclass(frozen=True)
class Layout:
    """The dimensions that label rows: an optional time axis and the categories."""

    time: ColumnInfo | None
    categories: list[ColumnInfo]

    def label(self, row: dict[str, object]) -> str:
        parts = [str(row[c.name]) for c in self.categories if row.get(c.name) is not None]
        return " · ".join(parts) if parts else "all"

    def periods(self, rows: list[dict[str, object]]) -> list[object]:
        if self.time is None:
            return []
        return sorted({r[self.time.name] for r in rows if r.get(self.time.name) is not None})

    def latest(
        self, rows: list[dict[str, object]], metric: ColumnInfo | None = None
    ) -> tuple[list[dict[str, object]], str]:
        """Rows of the latest period (with a value of ``metric`` that is not suppressed, if
        one is given) and a phrase naming it ('' without a time axis)."""
        periods = self.periods(rows)
        if not periods or self.time is None:
            return rows, ""
        if metric is not None:
            shown = {r.get(self.time.name) for r in rows if cell_value(r, metric) is not None}
            periods = [p for p in periods if p in shown] or periods
        last = periods[-1]
        return [r for r in rows if r.get(self.time.name) == last], f"{self.time.label} {last}"


def layout_of(infos: Sequence[ColumnInfo]) -> Layout:
    dims = [c for c in infos if c.role == "dimension"]
    time = next((c for c in dims if c.is_time), None)
    categories = [
        c for c in dims if c is not time and not c.type.upper().startswith(NON_LABEL_TYPES)
    ]
    return Layout(time, categories)


def _axis(column: ColumnInfo) -> str:
    unit = " (%)" if column.is_percent else " ($)" if column.is_money else ""
    return column.description[:70] + unit if len(column.description) < 70 else column.label


def _bars_for(
    rows: list[dict[str, object]],
    layout: Layout,
    metrics: Sequence[ColumnInfo],
    goal: ColumnInfo | None,
) -> tuple[list[Bar], int]:
    bars = [
        Bar(
            layout.label(r),
            [cell_value(r, m) for m in metrics],
            cell_value(r, goal) if goal is not None else None,
        )
        for r in rows
    ]
    bars.sort(key=lambda b: (b.values[0] is None, -(b.values[0] or 0.0), b.label))
    return bars[:MAX_BARS], len(bars)


def _count_note(shown: int, total: int) -> str:
    return f" (top {shown} of {total})" if total > shown else ""


def bar_figure(
    rows: list[dict[str, object]],
    layout: Layout,
    metrics: Sequence[ColumnInfo],
    goal: ColumnInfo | None = None,
) -> Figure:
    latest, period = layout.latest(rows, metrics[0])
    bars, total = _bars_for(latest, layout, metrics, goal)
    lead = metrics[0]
    names = [m.label for m in metrics]
    what = " vs ".join(names) if len(metrics) > 1 else lead.label
    by = " · ".join(c.label for c in layout.categories) or "total"
    caption = f"{what.capitalize()} by {by}" + (f", {period}" if period else "")
    caption += _count_note(len(bars), total)
    axis = _axis(lead) if len(metrics) == 1 else ("dollars" if lead.is_money else "value")
    svg = bar_chart(
        bars, names, axis, formatter(lead, compact=True), caption, goal.label if goal else "goal"
    )
    return Figure(caption, svg)


def summed_figure(rows: list[dict[str, object]], by: ColumnInfo, metric: ColumnInfo) -> Figure:
    """An additive measure summed over everything but ``by`` (tables without suppression)."""
    totals: dict[str, float] = {}
    for row in rows:
        value = cell_value(row, metric)
        totals[str(row.get(by.name))] = totals.get(str(row.get(by.name)), 0.0) + (value or 0.0)
    bars = sorted((Bar(k, [v]) for k, v in totals.items()), key=lambda b: -(b.values[0] or 0))
    caption = f"{metric.label.capitalize()} by {by.label}" + _count_note(
        min(len(bars), MAX_BARS), len(bars)
    )
    svg = bar_chart(
        bars[:MAX_BARS], [metric.label], _axis(metric), formatter(metric, True), caption
    )
    return Figure(caption, svg)


def trend_figure(
    rows: list[dict[str, object]], layout: Layout, metric: ColumnInfo
) -> Figure | None:
    periods = layout.periods(rows)
    if layout.time is None or len(periods) < 2:
        return None
    by_label: dict[str, dict[object, float | None]] = {}
    for row in rows:
        by_label.setdefault(layout.label(row), {})[row.get(layout.time.name)] = cell_value(
            row, metric
        )
    ranked = sorted(by_label, key=lambda k: -(by_label[k].get(periods[-1]) or 0.0))
    chosen = ranked[:MAX_LINES]
    series = [Series(k, [by_label[k].get(p) for p in periods]) for k in chosen]
    caption = f"{metric.label.capitalize()} over {layout.time.label}"
    if len(ranked) > len(chosen):
        caption += f" ({len(chosen)} largest of {len(ranked)})"
    unit = " (%)" if metric.is_percent else " ($)" if metric.is_money else ""
    svg = line_chart(
        [str(p) for p in periods],
        series,
        layout.time.label,
        metric.label + unit,
        formatter(metric, compact=True),
        caption,
    )
    return Figure(caption, svg)


def figures_for(
    infos: Sequence[ColumnInfo],
    rows: list[dict[str, object]],
    disclosure_controlled: bool,
    featured: Sequence[str] = (),
) -> list[Figure]:
    """Charts for a table; ``featured`` (column names) narrows the metrics shown."""
    if not rows:
        return []
    layout = layout_of(infos)
    goal = next((c for c in infos if c.is_goal and c.role != "dimension"), None)
    metrics = [
        c
        for c in infos
        if c.role not in ("dimension", "label", "flag", "interval") and not c.is_goal
    ]
    chosen = sorted(
        (m for m in metrics if m.name in featured), key=lambda m: list(featured).index(m.name)
    )
    metrics = chosen or metrics
    rate_like = [c for c in metrics if c.role in RATE_LIKE]
    amounts = [c for c in metrics if c.role == "amount"]
    counts = [c for c in metrics if c.role in ("count", "measure")]
    figures: list[Figure] = []
    if not rate_like and not disclosure_controlled and len(layout.categories) > 1:
        figures += [summed_figure(rows, layout.categories[0], m) for m in (amounts or counts)[:2]]
        return figures
    for metric in rate_like[:2]:
        figures.append(bar_figure(rows, layout, [metric], goal if metric.is_percent else None))
    if len(amounts) >= 2:
        figures.append(bar_figure(rows, layout, amounts[:3]))
    elif amounts:
        figures.append(bar_figure(rows, layout, amounts))
    if counts and len(figures) < 3:
        figures.append(bar_figure(rows, layout, counts[: 1 if figures else 2]))
    lead = (rate_like or amounts or counts or [None])[0]
    trend = trend_figure(rows, layout, lead) if lead is not None else None
    return figures + ([trend] if trend else [])


def callouts_for(infos: Sequence[ColumnInfo], rows: list[dict[str, object]]) -> list[Callout]:
    layout = layout_of(infos)
    latest, period = layout.latest(rows)
    out: list[Callout] = []
    for flag in (c for c in infos if c.role == "flag"):
        flagged = [
            layout.label(r)
            for r in latest
            if r.get(flag.name) is True and not is_suppressed(r, flag.name)
        ]
        title = flag.description + (f" ({period})" if period else "")
        out.append(Callout(title, flagged, len(latest)))
    return out
