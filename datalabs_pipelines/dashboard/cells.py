"""How a published cell reads: its unit, interval, denominator and suppression, by name.

Values carry their unit (percent, percentage points, dollars); a rate its Wilson interval and
the count it divides; a suppressed cell reads "suppressed", never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

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
    return words(value)


def words(value: object) -> str:
    """A code word as a reader reads it: race_ethnicity → Race and ethnicity."""
    text = WORDS.get(str(value), str(value).replace("_", " "))
    return text[:1].upper() + text[1:]


def cell(row: Row, metric: Metric) -> tuple[float | None, bool]:
    return number(row.get(metric.column)), is_suppressed(row, metric.column)


def base_unit(metric: Metric) -> str:
    """Dollar shares rest on dollars; rates on people or records."""
    return "usd" if metric.unit in ("pct", "usd") else "count"


def interval(row: Row, metric: Metric) -> str:
    """The 95 % interval as text, or empty when the metric has none (or it is unknown)."""
    if not (metric.low and metric.high):
        return ""
    low, high = number(row.get(metric.low)), number(row.get(metric.high))
    if low is None or high is None:
        return ""
    return f"{fmt(low, metric.unit)} to {fmt(high, metric.unit)}"


def tooltip(row: Row, name: str, metric: Metric, details: Sequence[Metric]) -> str:
    value, hidden = cell(row, metric)
    lines = [
        f"<b>{name}</b>",
        f"{metric.label}: {SUPPRESSED if hidden else fmt(value, metric.unit)}",
    ]
    if not hidden and (span := interval(row, metric)):
        lines.append(f"95% interval (Wilson): {span}")
    if metric.base:
        base, base_hidden = number(row.get(metric.base)), is_suppressed(row, metric.base)
        shown = SUPPRESSED if base_hidden else fmt(base, base_unit(metric))
        lines.append(f"out of {metric.base.replace('_', ' ')}: {shown}")
    for extra in details:
        v, h = cell(row, extra)
        lines.append(f"{extra.label}: {SUPPRESSED if h else fmt(v, extra.unit)}")
    return "<br>".join(lines)


def axis_name(spec: ChartSpec, row: Row) -> str:
    value = row.get(spec.axis)
    if value is None:
        return "unknown"
    if spec.axis in ("ownership", "reason"):  # category words, not names
        return "All certified firms" if value in TOTALS else words(value)
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}"  # a month: the marts store its first day
    return "All" if value in TOTALS else str(value)


def is_total(spec: ChartSpec, row: Row) -> bool:
    return spec.context is not None and row.get(spec.context) in TOTALS
