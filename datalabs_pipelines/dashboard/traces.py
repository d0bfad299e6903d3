"""Plotly traces and layout for one view: grouped horizontal bars or a trend line.

Rates get their Wilson interval as error bars; a suppressed cell is a hatched bar (or an open
mark on a trend) whose tooltip reads "suppressed"; labels sit in automatic margins.
"""

from __future__ import annotations

from collections.abc import Sequence

from datalabs_pipelines.dashboard.cells import (
    SUPPRESSED,
    Row,
    axis_name,
    cell,
    tooltip,
)
from datalabs_pipelines.dashboard.columns import number
from datalabs_pipelines.dashboard.sections import ChartSpec, Metric

COLORS = ("#1f5f8b", "#e07b39", "#2f855a", "#805ad5")
AXIS_FORMAT = {
    "share": {"tickformat": ".0%"},
    "pct": {"ticksuffix": "%"},
    "pp": {"ticksuffix": " pp"},
    "usd": {"tickprefix": "$", "tickformat": "~s"},
    "count": {"tickformat": ",d"},
    "index": {"tickformat": ".2f"},
}


def bars(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> tuple[list, float]:
    names = [axis_name(spec, r) for r in rows]
    traces, top = [], 0.0
    for i, metric in enumerate(spec.metrics):
        values = [cell(r, metric)[0] for r in rows]
        hidden = [cell(r, metric)[1] for r in rows]
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
                tooltip(r, n, metric, details) for r, n in zip(rows, names, strict=True)
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
        hidden = [cell(r, metric)[1] for r in rows]
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
                        tooltip(r, n, metric, ()) + "<br>hidden to protect small counts"
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


def trend(spec: ChartSpec, rows: list[Row], details: Sequence[Metric]) -> list:
    traces = []
    xs = [axis_name(spec, r) for r in rows]
    for i, metric in enumerate(spec.metrics):
        cells = [cell(r, metric) for r in rows]
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
                    tooltip(r, x, metric, details) for r, x in zip(rows, xs, strict=True)
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


def figure(spec: ChartSpec, traces: list, count: int, top: float) -> dict:
    unit = spec.metrics[0].unit
    value_axis = {"automargin": True, "zeroline": True, "gridcolor": "#e4e7eb", **AXIS_FORMAT[unit]}
    if unit == "share":
        value_axis["range"] = [0, min(1.0, top * 1.08) if top > 0 else 1.0]
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
