"""Chart views for a chart spec: one per combination of the reader's filter values.

Each view holds the Plotly figure (``traces``), the rows of its text alternative, a one-line
summary for screen readers and a note on partial periods. Partial periods are marked and never
the default; a breakdown filter opens on the breakdown that publishes most.

Only what publishes is charted (``suppression``): a metric most of whose cells are suppressed
even at the chart's total grain (statewide, all groups) is left out, and a view (a choice of
filter values) where ``MAX_SUPPRESSED`` or more of the cells it shows are suppressed is
withheld; a view without a breakdown falls back to its total rows (the state) where those
publish. Choices left with no view leave the filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
from datalabs_pipelines.dashboard.suppression import (
    Cells,
    Share,
    gated_cells,
    metric_columns,
    share,
    share_of,
)
from datalabs_pipelines.dashboard.traces import bars, figure, trend

CODE_COLUMNS = ("county_fips", "district_id", "group_code", "agency_code", "subgroup")


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
    cells: Cells = field(default_factory=dict)  # the gated cells it shows


@dataclass
class Withheld:
    """What a chart leaves out because it would be mostly suppressed."""

    metrics: list[str] = field(default_factory=list)  # labels of metrics not charted
    views: int = 0  # choices withheld
    narrowed: int = 0  # choices shown at their total grain only


@dataclass
class Chart:
    spec: ChartSpec
    filters: list[Filter]
    views: dict[str, View] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    withheld: Withheld = field(default_factory=Withheld)

    @property
    def cells(self) -> Cells:
        out: Cells = {}
        for view in self.views.values():
            out |= view.cells
        return out

    @property
    def share(self) -> Share:
        return share(self.cells)

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
    kept = [r for r in rows if all(r.get(c) == v for c, v in spec.fixed)]
    spec, dropped = _publishable_metrics(spec, kept)
    details = spec.details
    partial = _partial_periods(spec, kept)
    filters = [_filter(spec, c, kept, partial) for c in spec.filters]
    chart = Chart(spec, filters, withheld=Withheld(dropped))
    if not spec.metrics:
        return chart
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
        view = _view(spec, filters, picked, members, partial, details)
        if not share(view.cells).publishes and at < 0:
            view = _total_grain(spec, filters, picked, members, partial, details) or view
            chart.withheld.narrowed += view.note.startswith(NARROWED)
        if share(view.cells).publishes:
            chart.views[key_of(list(values))] = view
        else:
            chart.withheld.views += 1
    _keep_chosen_options(chart)
    if at >= 0 and chart.views:
        _pick_finest(chart, at)
    return chart


NARROWED = "Shown for the state only:"


def _is_total_row(row: Row) -> bool:
    return any(row.get(c) in TOTALS for c in CODE_COLUMNS)


def _total_rows(spec: ChartSpec, rows: Sequence[Row]) -> list[Row]:
    """The rows at the chart's coarsest grain: each filter that has a total value at it."""
    out = list(rows)
    for column in spec.filters:
        if column != spec.period and any(r.get(column) in TOTALS for r in out):
            out = [r for r in out if r.get(column) in TOTALS]
    return [r for r in out if _is_total_row(r)] or out


def _publishable_metrics(spec: ChartSpec, rows: Sequence[Row]) -> tuple[ChartSpec, list[str]]:
    """``spec`` without the metrics (and details) that are mostly suppressed at the total grain
    in every choice of the other filters (every program, period pooled), and their labels."""
    slices: dict[tuple, list[Row]] = {}
    for r in _total_rows(spec, rows):
        key = tuple(str(r.get(c)) for c in spec.filters if c != spec.period)
        slices.setdefault(key, []).append(r)

    def publishes(metric: Metric) -> bool:
        columns = metric_columns([metric])
        return any(share_of(members, columns).publishes for members in slices.values())

    metrics = tuple(m for m in spec.metrics if publishes(m))
    details = tuple(m for m in spec.details if publishes(m))
    dropped = [m.label for m in (*spec.metrics, *spec.details) if not publishes(m)]
    return replace(spec, metrics=metrics, details=details), dropped


def _total_grain(
    spec: ChartSpec,
    filters: list[Filter],
    picked: dict[str, str],
    members: list[Row],
    partial: set[str],
    details: Sequence[Metric],
) -> View | None:
    """The view at its total rows (the state among districts), when it has finer ones."""
    totals = [r for r in members if _is_total_row(r)]
    if not totals or len(totals) == len(members):
        return None
    view = _view(spec, filters, picked, totals, partial, details)
    finer = len(members) - len(totals)
    view.note = (
        f"{NARROWED} the {finer} finer rows would be mostly suppressed (see the whole table). "
        + view.note
    ).strip()
    return view


def _keep_chosen_options(chart: Chart) -> None:
    """Filters offer only values some view still has; defaults land on a view that exists."""
    keys = [k.split("|") for k in chart.views]
    for i, f in enumerate(chart.filters):
        present = {k[i] for k in keys}
        f.options = [o for o in f.options if o.value in present]
    if not keys or chart.default_key in chart.views:
        return
    defaults = [f.default for f in chart.filters]
    best = max(keys, key=lambda k: sum(a == b for a, b in zip(k, defaults, strict=True)))
    for f, value in zip(chart.filters, best, strict=True):
        f.default = value


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
        cells=gated_cells(ordered, metric_columns((*spec.metrics, *details))),
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
