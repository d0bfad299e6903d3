"""A chart on the page: its filters, the Plotly figure, the text alternative, and the script.

Every view of a chart travels in the page as JSON; the script below draws the selected one with
plotly.js (inlined once per page by ``page``) and rewrites the table and the summary, so the
page works offline and needs no server.
"""

from __future__ import annotations

import csv
import json
from functools import cache

import plotly.graph_objects as go

from datalabs_pipelines.dashboard.figures import Chart, View
from datalabs_pipelines.dashboard.page import esc
from datalabs_pipelines.dashboard.suppression import MAX_SUPPRESSED
from datalabs_pipelines.marts.declaration import MARTS_DIR

FILTER_NAMES = {
    "fiscal_year": "Fiscal year",
    "year": "Year",
    "exit_year": "Year of exit",
    "cohort_year": "Graduating cohort",
    "breakdown": "Group by",
    "county_fips": "Area",
    "agency_code": "Agency",
    "subgroup_type": "Group by",
    "source_extract": "Source",
    "extract": "Extract",
    "basis": "Measured on",
    "program": "Program",
}
CONFIG = {"displayModeBar": False, "responsive": True}

SCRIPT = """
document.querySelectorAll('figure.chart[data-chart]').forEach(function (fig) {
  var spec = JSON.parse(fig.querySelector('script.views').textContent);
  var plot = fig.querySelector('.plot'), selects = fig.querySelectorAll('select');
  var note = fig.querySelector('.note'), body = fig.querySelector('table.view tbody');
  function show() {
    var key = Array.prototype.map.call(selects, function (s) { return s.value; }).join('|');
    var view = spec.views[key];
    body.textContent = '';
    if (!view) {
      Plotly.purge(plot);
      note.textContent = 'No published rows for this choice.';
      plot.setAttribute('aria-label', note.textContent);
      return;
    }
    note.textContent = view.note;
    plot.setAttribute('aria-label', view.summary);
    view.table.forEach(function (row) {
      var tr = document.createElement('tr');
      row.forEach(function (cell) {
        var td = document.createElement('td');
        td.textContent = cell;
        if (cell.indexOf('suppressed') === 0) { td.className = 'suppressed'; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    Plotly.react(plot, view.figure.data, view.figure.layout, spec.config);
  }
  selects.forEach(function (s) { s.addEventListener('change', show); });
  show();
});
"""


@cache
def _county_names() -> dict[str, str]:
    with (MARTS_DIR / "reference" / "counties.csv").open(encoding="utf-8") as handle:
        return {r["county_fips"]: r["county_name"] for r in csv.DictReader(handle)}


def fiscal_years_complete(rows: list[dict[str, object]]) -> dict[object, bool]:
    """Which fiscal years are complete, from the mart that flags them."""
    out: dict[object, bool] = {}
    for r in rows:
        flag = r.get("fiscal_year_complete")
        if isinstance(flag, bool):
            out[r.get("fiscal_year")] = out.get(r.get("fiscal_year"), True) and flag
    return out


def with_labels(
    table: str, rows: list[dict[str, object]], fiscal: dict[object, bool] | None = None
) -> list[dict[str, object]]:
    """Rows with what the mart leaves out: a name beside linkage_quality's subgroup codes, and
    each fiscal year's completeness on procurement marts that do not flag it."""
    if fiscal and rows and "fiscal_year" in rows[0] and "fiscal_year_complete" not in rows[0]:
        return [{**r, "fiscal_year_complete": fiscal.get(r.get("fiscal_year"))} for r in rows]
    if table != "linkage_quality":
        return rows
    names = _county_names()
    out = []
    for r in rows:
        group = str(r.get("subgroup"))
        named = names.get(group, "statewide" if group == "all" else group)
        source = str(r.get("source_extract")).replace("_", " ")
        out.append({**r, "subgroup_name": f"{source}: {named}"})
    return out


def _view_json(view: View) -> dict:
    return {"figure": view.figure, "table": view.table, "summary": view.summary, "note": view.note}


def _json(value: object) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":"), default=str).replace("</", "<\\/")


def withheld_text(chart: Chart) -> str:
    """What the chart leaves out because it would be mostly suppressed, in words."""
    parts = []
    if chart.withheld.metrics:
        parts.append(
            f"Not charted: {', '.join(chart.withheld.metrics)} (mostly suppressed even at the "
            "coarsest grain; see the whole table)."
        )
    if chart.withheld.views:
        parts.append(
            f"{chart.withheld.views} choice(s) of filters withheld: "
            f"{MAX_SUPPRESSED:.0%} or more of their cells would be suppressed."
        )
    return " ".join(parts)


def figure_html(chart: Chart, anchor: str) -> str:
    """The chart's figure element: filters, plot, note, data table and its views as JSON."""
    default = chart.views.get(chart.default_key) or next(iter(chart.views.values()))
    go.Figure(default.figure)  # plotly's schema check: a wrong attribute fails the build here
    selects = "".join(
        f"<label>{esc(FILTER_NAMES.get(f.column, f.column))} "
        f'<select data-filter="{esc(f.column)}" aria-controls="{esc(anchor)}">'
        + "".join(
            f'<option value="{esc(o.value)}"{" selected" if o.value == f.default else ""}'
            f"{' data-partial' if o.partial else ''}>{esc(o.text)}</option>"
            for o in f.options
        )
        + "</select></label>"
        for f in chart.filters
    )
    head = "".join(f"<th>{esc(h)}</th>" for h in chart.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in default.table
    )
    views = {"views": {k: _view_json(v) for k, v in chart.views.items()}, "config": CONFIG}
    left_out = withheld_text(chart)
    return (
        f'<figure class="chart" data-chart id="{esc(anchor)}">'
        f"<figcaption>{esc(chart.spec.title)}</figcaption>"
        + (f'<div class="filters">{selects}</div>' if selects else "")
        + (f'<p class="meta withheld">{esc(left_out)}</p>' if left_out else "")
        + f'<p class="note" aria-live="polite">{esc(default.note)}</p>'
        f'<div class="plot" role="img" aria-label="{esc(default.summary)}"></div>'
        f"<details><summary>Data table (text alternative)</summary>"
        f'<table class="data view"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f'</details><script type="application/json" class="views">{_json(views)}</script>'
        "</figure>"
    )
