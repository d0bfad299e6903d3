"""Plotly figures for a chart spec: one view per combination of the reader's filter values.

Each view holds the figure (Plotly's JSON: traces and layout), the rows of its text
alternative, a one-line summary for screen readers and a note on partial periods. Values carry
their unit (percent, percentage points, dollars), Wilson interval and denominator into the
tooltip and the table; a suppressed cell is drawn as a hatched bar reading "suppressed".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from datalabs_pipelines.dashboard.columns import is_suppressed, number
from datalabs_pipelines.dashboard.sections import ChartSpec, Metric

Row = Mapping[str, object]
LABEL_OF = {
    "agency_code": "agency_name",
    "county_fips": "county_name",
    "group_code": "group_name",
    "category": "category_title",
    "district_id": "district_name",
    "subgroup": "subgroup_name",
    "program": "program_name",
}
WITH_CODE = {"program"}  # short codes readers know, shown beside their name
WORDS = {"race_ethnicity": "race and ethnicity", "age_band": "age band", "all": "all (statewide)"}
TOTALS = ("all", "ALL")
COLORS = ("#1f5f8b", "#e07b39", "#2f855a", "#805ad5")
AXIS_FORMAT = {
    "share": {"tickformat": ".0%"},
    "pct": {"ticksuffix": "%"},
    "pp": {"ticksuffix": " pp"},
    "usd": {"tickprefix": "$", "tickformat": "~s"},
    "count": {"tickformat": ",d"},
    "index": {"tickformat": ".2f"},
}
SUPPRESSED = "suppressed"


def fmt(value: float | None, unit: str) -> str:
    """A value as a reader reads it: 12.3%, 4.1 pp, $1,234, 1,234 or 0.75."""
    if value is None:
        return "n/a"
    return {
        "share": f"{value * 100:.1f}%",
        "pct": f"{value:.1f}%",
        "pp": f"{value:+.1f} pp",
        "usd": f"${value:,.0f}",
        "count": f"{value:,.0f}",
        "index": f"{value:.2f}",
    }[unit]


def option_text(column: str, value: object, rows: Sequence[Row]) -> str:
    """A filter value by name (county, agency), with the code's own text as a fallback."""
    label = LABEL_OF.get(column)
    if label:
        named = next((r.get(label) for r in rows if r.get(column) == value and r.get(label)), None)
        if named:
            return f"{value}: {named}" if column in WITH_CODE else str(named)
    if value in TOTALS and column in ("group_code", "county_fips", "agency_code"):
        return "Statewide"
    return _words(value)


def _words(value: object) -> str:
    """A code word as a reader reads it: race_ethnicity → Race and ethnicity."""
    text = WORDS.get(str(value), str(value).replace("_", " "))
    return text[:1].upper() + text[1:]


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


def _cell(row: Row, metric: Metric) -> tuple[float | None, bool]:
    return number(row.get(metric.column)), is_suppressed(row, metric.column)


def _base_unit(metric: Metric) -> str:
    """Dollar shares rest on dollars; rates on people or records."""
    return "usd" if metric.unit in ("pct", "usd") else "count"


def _interval(row: Row, metric: Metric) -> str:
    """The 95 % interval as text, or empty when the metric has none (or it is unknown)."""
    if not (metric.low and metric.high):
        return ""
    low, high = number(row.get(metric.low)), number(row.get(metric.high))
    if low is None or high is None:
        return ""
    return f"{fmt(low, metric.unit)} to {fmt(high, metric.unit)}"


def _tooltip(row: Row, name: str, metric: Metric, details: Sequence[Metric]) -> str:
    value, hidden = _cell(row, metric)
    lines = [
        f"<b>{name}</b>",
        f"{metric.label}: {SUPPRESSED if hidden else fmt(value, metric.unit)}",
    ]
    if not hidden and (interval := _interval(row, metric)):
        lines.append(f"95% interval (Wilson): {interval}")
    if metric.base:
        base, base_hidden = number(row.get(metric.base)), is_suppressed(row, metric.base)
        shown = SUPPRESSED if base_hidden else fmt(base, _base_unit(metric))
        lines.append(f"out of {metric.base.replace('_', ' ')}: {shown}")
    for extra in details:
        v, h = _cell(row, extra)
        lines.append(f"{extra.label}: {SUPPRESSED if h else fmt(v, extra.unit)}")
    return "<br>".join(lines)


def _name(spec: ChartSpec, row: Row) -> str:
    value = row.get(spec.axis)
    if value is None:
        return "unknown"
    if spec.axis in ("ownership", "reason"):  # category words, not names
        return "All certified firms" if value in TOTALS else _words(value)
    return "All" if value in TOTALS else str(value)


def _is_total(spec: ChartSpec, row: Row) -> bool:
    return spec.context is not None and row.get(spec.context) in TOTALS


def _ordered(spec: ChartSpec, rows: list[Row]) -> list[Row]:
    first = spec.metrics[0]
    if spec.order == "axis" or spec.trend:
        return sorted(
            rows,
            key=lambda r: (
                not _is_total(spec, r),
                r.get(spec.axis) not in TOTALS,
                str(r.get(spec.axis)),
            ),
        )
    known = [r for r in rows if _cell(r, first)[0] is not None]
    unknown = [r for r in rows if _cell(r, first)[0] is None]
    known.sort(key=lambda r: _cell(r, first)[0], reverse=spec.order == "desc")
    return (known + unknown)[: spec.limit]


def _bars(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> tuple[list, float]:
    names = [_name(spec, r) for r in rows]
    traces, top = [], 0.0
    for i, metric in enumerate(spec.metrics):
        values = [_cell(r, metric)[0] for r in rows]
        hidden = [_cell(r, metric)[1] for r in rows]
        highs = [number(r.get(metric.high)) if metric.high else None for r in rows]
        top = max([top, *(v for v in values if v is not None), *(h for h in highs if h)])
        trace = {
            "type": "bar",
            "orientation": "h",
            "name": metric.label,
            "y": names,
            "x": [None if h else v for v, h in zip(values, hidden, strict=True)],
            "marker": {"color": COLORS[i % len(COLORS)]},
            "offsetgroup": str(i),
            "hovertemplate": "%{customdata}<extra></extra>",
            "customdata": [
                _tooltip(r, n, metric, details) for r, n in zip(rows, names, strict=True)
            ],
        }
        if metric.low and metric.high:
            lows = [number(r.get(metric.low)) for r in rows]
            trace["error_x"] = {
                "type": "data",
                "symmetric": False,
                "array": [
                    h - v if None not in (h, v) else None
                    for h, v in zip(highs, values, strict=True)
                ],
                "arrayminus": [
                    v - lo if None not in (lo, v) else None
                    for lo, v in zip(lows, values, strict=True)
                ],
                "color": "#3e4c59",
                "thickness": 1.2,
            }
        traces.append(trace)
    for i, metric in enumerate(spec.metrics):
        hidden = [_cell(r, metric)[1] for r in rows]
        if any(hidden):
            traces.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": SUPPRESSED,
                    "legendgroup": SUPPRESSED,
                    "showlegend": not any(t.get("legendgroup") == SUPPRESSED for t in traces),
                    "y": [n for n, h in zip(names, hidden, strict=True) if h],
                    "x": [top or 1.0 for h in hidden if h],
                    "offsetgroup": str(i),
                    "marker": {
                        "color": "rgba(0,0,0,0)",
                        "line": {"color": "#a0aec0", "width": 1},
                        "pattern": {"shape": "/", "fgcolor": "#a0aec0", "size": 6},
                    },
                    "hovertemplate": "%{customdata}<extra></extra>",
                    "customdata": [
                        _tooltip(r, n, metric, ()) + "<br>hidden to protect small counts"
                        for r, n, h in zip(rows, names, hidden, strict=True)
                        if h
                    ],
                }
            )
    if spec.goal:
        goals = [number(r.get(spec.goal)) for r in rows]
        if any(g is not None for g in goals):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "goal",
                    "y": names,
                    "x": goals,
                    "marker": {
                        "symbol": "line-ns-open",
                        "size": 18,
                        "color": "#c53030",
                        "line": {"width": 3, "color": "#c53030"},
                    },
                    "hovertemplate": "goal %{x:.1f}%<extra></extra>",
                }
            )
    return traces, top


def _period_text(value: object) -> str:
    """A month as 2025-01 (the marts store its first day), anything else as it is."""
    return f"{value:%Y-%m}" if isinstance(value, dt.date) else str(value)


def _trend(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> list:
    traces = []
    xs = [_period_text(r.get(spec.axis)) for r in rows]
    for i, metric in enumerate(spec.metrics):
        cells = [_cell(r, metric) for r in rows]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": metric.label,
                "x": xs,
                "y": [None if h else v for v, h in cells],
                "line": {"color": COLORS[i % len(COLORS)]},
                "hovertemplate": "%{customdata}<extra></extra>",
                "customdata": [
                    _tooltip(r, x, metric, details) for r, x in zip(rows, xs, strict=True)
                ],
            }
        )
        hidden = [x for x, (_, h) in zip(xs, cells, strict=True) if h]
        if hidden:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{metric.label}: {SUPPRESSED}",
                    "x": hidden,
                    "y": [0] * len(hidden),
                    "marker": {"symbol": "x-thin-open", "size": 8, "color": "#a0aec0"},
                    "hovertemplate": f"%{{x}}: {metric.label} {SUPPRESSED}<extra></extra>",
                }
            )
    return traces


def _table(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> list[list[str]]:
    out = []
    for r in rows:
        line = [_name(spec, r)]
        for metric in (*spec.metrics, *details):
            value, hidden = _cell(r, metric)
            text = SUPPRESSED if hidden else fmt(value, metric.unit)
            if not hidden and (interval := _interval(r, metric)):
                text += f" ({interval})"
            if metric.base:
                base_hidden = is_suppressed(r, metric.base)
                base = number(r.get(metric.base))
                text += f" of {SUPPRESSED if base_hidden else fmt(base, _base_unit(metric))}"
            line.append(text)
        out.append(line)
    return out


def _summary(spec: ChartSpec, rows: list[Row], texts: list[str]) -> str:
    metric = spec.metrics[0]
    shown = [
        (n, v)
        for n, r in zip([_name(spec, r) for r in rows], rows, strict=True)
        if (v := _cell(r, metric)[0]) is not None
    ]
    hidden = sum(_cell(r, metric)[1] for r in rows)
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
        plotted = [r for r in ordered if _cell(r, first)[0] is not None]
        hidden = len(ordered) - len(plotted)
        if hidden:
            note = (note + " " if note else "") + (
                f"{hidden} of {len(ordered)} suppressed, not drawn: listed in the table."
            )
    if spec.trend:
        traces, top = _trend(spec, plotted, details), 0.0
        if partial:
            note = "Partial periods: " + ", ".join(sorted(partial))
    else:
        traces, top = _bars(spec, plotted, details)
    texts = [o.text for f in filters for o in f.options if o.value == picked[f.column]]
    known = sum(1 for r in ordered if not _is_total(spec, r) and _cell(r, first)[0] is not None)
    return View(
        _figure(spec, traces, len(plotted), top),
        _table(spec, ordered, details),
        _summary(spec, plotted, texts),
        note,
        known,
    )


def _pick_finest(chart: Chart, at: int) -> None:
    """Default the breakdown to the finest one that publishes in the default view."""
    context = chart.filters[at]
    defaults = [f.default for f in chart.filters]

    def published(option: Option) -> tuple[int, bool]:
        view = chart.views.get(key_of([*defaults[:at], option.value, *defaults[at + 1 :]]))
        return (view.known if view else -1, option.value not in TOTALS)

    context.default = max(context.options, key=published).value


def _figure(spec: ChartSpec, traces: list, count: int, top: float) -> dict:
    unit = spec.metrics[0].unit
    value_axis = {"automargin": True, "zeroline": True, "gridcolor": "#e4e7eb", **AXIS_FORMAT[unit]}
    if unit == "share":
        value_axis["range"] = [0, max(1.0, top * 1.05)]
    label_axis = {"automargin": True, "type": "category"}
    layout: dict = {
        "margin": {"l": 10, "r": 20, "t": 40, "b": 40},
        "font": {"family": "Segoe UI, Helvetica Neue, DejaVu Sans, Arial, sans-serif", "size": 12},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"align": "left"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "showlegend": True,
    }
    if spec.trend:
        layout |= {"xaxis": {**label_axis, "tickangle": -45}, "yaxis": value_axis, "height": 380}
    else:
        rows = count * max(1, len(spec.metrics))
        layout |= {
            "barmode": "group",
            "xaxis": value_axis,
            "yaxis": {**label_axis, "autorange": "reversed"},
            "height": max(180, 22 * rows + 110),
        }
    if spec.reference:
        value, text = spec.reference
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": value,
                "x1": value,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#c53030", "dash": "dash", "width": 1.5},
            }
        ]
        layout["annotations"] = [
            {
                "xref": "x",
                "yref": "paper",
                "x": value,
                "y": 1,
                "yanchor": "bottom",
                "text": text,
                "showarrow": False,
                "font": {"size": 11, "color": "#c53030"},
            }
        ]
    return {"data": traces, "layout": layout}
