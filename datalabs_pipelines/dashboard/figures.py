"""Chart views for a chart spec: one per combination of the reader's filter values.

Each view holds the Plotly figure (``traces``), the rows of its text alternative, a one-line
summary for screen readers and a note on partial periods. Partial periods are marked and never
the default; a breakdown filter opens on the breakdown that publishes most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from datalabs_pipelines.dashboard.cells import (
    SUPPRESSED,
    TOTALS,
    Row,
    axis_name,
    base_unit,
    cell,
    fmt,
    interval,
    is_total,
    option_text,
)
from datalabs_pipelines.dashboard.columns import is_suppressed, number
from datalabs_pipelines.dashboard.sections import ChartSpec, Metric
from datalabs_pipelines.dashboard.traces import bars, figure, trend


@dataclass
class Option:
    value: str
    text: str
    partial: bool = False


@dataclass
class Filter:
    column: str
    options: list[Option]
    default: str


@dataclass
class View:
    figure: dict
    table: list[list[str]]
    summary: str
    note: str = ""
    known: int = 0  # groups (other than the total) whose first metric is published
    hidden: int = 0  # groups whose first metric is suppressed


@dataclass
class Chart:
    spec: ChartSpec
    filters: list[Filter]
    views: dict[str, View] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)

    @property
    def default_key(self) -> str:
        return key_of([f.default for f in self.filters])


def key_of(values: Sequence[str]) -> str:
    return "|".join(values)


def _partial_periods(spec: ChartSpec, rows: Sequence[Row]) -> set[str]:
    if spec.period is None or spec.complete is None:
        return set()
    return {str(r.get(spec.period)) for r in rows if r.get(spec.complete) is False}


def _filter(spec: ChartSpec, column: str, rows: Sequence[Row], partial: set[str]) -> Filter:
    values = sorted({r.get(column) for r in rows if r.get(column) is not None}, key=str)
    options = [
        Option(
            str(v),
            option_text(column, v, rows) + (" (partial)" if str(v) in partial else ""),
            str(v) in partial,
        )
        for v in values
    ]
    if column == spec.period:  # the latest complete period, never a partial one by default
        complete = [o for o in options if not o.partial] or options
        default = complete[-1].value
    else:
        total = [o for o in options if o.value in TOTALS]
        default = (total or options)[0].value
    if column == spec.period:
        options.reverse()  # latest first
    else:
        options.sort(key=lambda o: (o.value not in TOTALS, o.text))
    return Filter(column, options, default)


def _ordered(spec: ChartSpec, rows: list[Row]) -> list[Row]:
    first = spec.metrics[0]
    if spec.order == "axis" or spec.trend:
        return sorted(
            rows,
            key=lambda r: (
                not is_total(spec, r),
                r.get(spec.axis) not in TOTALS,
                str(r.get(spec.axis)),
            ),
        )
    known = [r for r in rows if cell(r, first)[0] is not None]
    unknown = [r for r in rows if cell(r, first)[0] is None]
    known.sort(key=lambda r: cell(r, first)[0], reverse=spec.order == "desc")
    return (known + unknown)[: spec.limit]


def _table(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> list[list[str]]:
    out = []
    for r in rows:
        line = [axis_name(spec, r)]
        for metric in (*spec.metrics, *details):
            value, hidden = cell(r, metric)
            text = SUPPRESSED if hidden else fmt(value, metric.unit)
            if not hidden and (span := interval(r, metric)):
                text += f" ({span})"
            if metric.base:
                base_hidden = is_suppressed(r, metric.base)
                base = number(r.get(metric.base))
                text += f" of {SUPPRESSED if base_hidden else fmt(base, base_unit(metric))}"
            line.append(text)
        out.append(line)
    return out


def _summary(spec: ChartSpec, rows: list[Row], texts: list[str]) -> str:
    metric = spec.metrics[0]
    shown = [
        (n, v)
        for n, r in zip([axis_name(spec, r) for r in rows], rows, strict=True)
        if (v := cell(r, metric)[0]) is not None
    ]
    hidden = sum(cell(r, metric)[1] for r in rows)
    parts = [f"{spec.title}: {len(rows)} {'points' if spec.trend else 'bars'}"] + texts
    if shown:
        low = min(shown, key=lambda p: p[1])
        high = max(shown, key=lambda p: p[1])
        lowest, highest = fmt(low[1], metric.unit), fmt(high[1], metric.unit)
        parts.append(f"{metric.label} from {lowest} ({low[0]}) to {highest} ({high[0]})")
    if hidden:
        parts.append(f"{hidden} suppressed")
    return "; ".join(parts) + "."


def build_chart(spec: ChartSpec, rows: Sequence[Row]) -> Chart:
    """Every view of ``spec`` over ``rows`` (one per combination of filter values present)."""
    details = spec.details
    kept = [r for r in rows if all(r.get(c) == v for c, v in spec.fixed)]
    partial = _partial_periods(spec, kept)
    filters = [_filter(spec, c, kept, partial) for c in spec.filters]
    chart = Chart(spec, filters)
    chart.header = [spec.axis.replace("_", " ")] + [
        m.label
        + (" (95% interval)" if m.low else "")
        + (f" of {m.base.replace('_', ' ')}" if m.base else "")
        for m in (*spec.metrics, *details)
    ]
    groups: dict[tuple, list[Row]] = {}
    for r in kept:
        groups.setdefault(tuple(str(r.get(c)) for c in spec.filters), []).append(r)
    at = spec.filters.index(spec.context) if spec.context else -1
    totals = {v[:at] + v[at + 1 :]: m for v, m in groups.items() if at >= 0 and v[at] in TOTALS}
    for values, members in groups.items():
        if at >= 0 and values[at] not in TOTALS:
            members = totals.get(values[:at] + values[at + 1 :], []) + members
        picked = dict(zip(spec.filters, values, strict=True))
        chart.views[key_of(list(values))] = _view(spec, filters, picked, members, partial, details)
    if at >= 0:
        _pick_finest(chart, at)
    return chart


def _view(
    spec: ChartSpec,
    filters: list[Filter],
    picked: dict[str, str],
    members: list[Row],
    partial: set[str],
    details: Sequence[Metric],
) -> View:
    ordered = _ordered(spec, members)
    first = spec.metrics[0]
    plotted = ordered
    note = ""
    if spec.period and picked.get(spec.period) in partial:
        note = f"Partial period: {picked[spec.period]} is not complete yet; counts will rise."
    if spec.published_only:
        plotted = [r for r in ordered if cell(r, first)[0] is not None]
        hidden = len(ordered) - len(plotted)
        if hidden:
            note = (note + " " if note else "") + (
                f"{hidden} of {len(ordered)} suppressed, not drawn: listed in the table."
            )
    if spec.trend:
        traces, top = trend(spec, plotted, details), 0.0
        if partial:
            note = "Partial periods: " + ", ".join(sorted(partial))
    else:
        traces, top = bars(spec, plotted, details)
    texts = [o.text for f in filters for o in f.options if o.value == picked[f.column]]
    groups = [cell(r, first) for r in ordered if not is_total(spec, r)]
    return View(
        figure(spec, traces, len(plotted), top),
        _table(spec, ordered, details),
        _summary(spec, plotted, texts),
        note,
        known=sum(1 for value, _ in groups if value is not None),
        hidden=sum(1 for _, suppressed in groups if suppressed),
    )


def _pick_finest(chart: Chart, at: int) -> None:
    """Default the breakdown to the one showing most groups, of those where at least two
    groups publish and no more are suppressed than published; else the total."""
    context = chart.filters[at]
    defaults = [f.default for f in chart.filters]

    def published(option: Option) -> tuple[bool, int]:
        view = chart.views.get(key_of([*defaults[:at], option.value, *defaults[at + 1 :]]))
        if view is None or option.value in TOTALS:
            return (False, 0)
        return (view.known >= 2 and view.hidden <= view.known, view.known)

    best = max(context.options, key=published)
    if published(best)[0]:
        context.default = best.value
