"""Assemble the dashboard page from the published snapshot and the marts' declarations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datalabs_pipelines.dashboard.charts import callouts_for, figures_for, layout_of
from datalabs_pipelines.dashboard.columns import ColumnInfo, column_infos, display, is_suppressed
from datalabs_pipelines.dashboard.page import as_of_text, esc, page
from datalabs_pipelines.dashboard.sections import SectionSpec, sections_for
from datalabs_pipelines.dashboard.snapshot import (
    MartStatus,
    Table,
    as_of,
    held_back_extracts,
    mart_statuses,
    open_snapshot,
    read_table,
    table_names,
)
from datalabs_pipelines.marts.declaration import MartDeclaration

TABLE_ROWS = 200
NOT_PUBLISHED = "not yet published"


@dataclass
class DashboardSummary:
    as_of: dt.datetime
    rendered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    charts: int = 0
    not_fresh: dict[str, str] = field(default_factory=dict)  # mart → status: reason
    held_back: list[str] = field(default_factory=list)  # extracts whose candidate was rejected


def _data_table(infos: Sequence[ColumnInfo], rows: list[dict[str, object]]) -> str:
    layout = layout_of(infos)
    ordered = sorted(
        rows,
        key=lambda r: tuple(str(r.get(c.name)) for c in layout.categories),
    )
    if layout.time is not None:
        ordered.sort(key=lambda r: str(r.get(layout.time.name)), reverse=True)
    head = "".join(
        f'<th title="{esc(c.definition or c.description)}">{esc(c.label)}</th>' for c in infos
    )
    body = []
    for row in ordered[:TABLE_ROWS]:
        cells = []
        for c in infos:
            numeric = c.role not in ("dimension", "label", "flag")
            css = ' class="num"' if numeric else ""
            if is_suppressed(row, c.name):
                cells.append(f'<td{css}><span class="pill suppressed">suppressed</span></td>')
            elif c.role == "flag" and isinstance(row.get(c.name), bool):
                text = display(row, c)
                cells.append(f'<td class="{"yes" if row[c.name] else "no"}">{text}</td>')
            else:
                cells.append(f"<td{css}>{esc(display(row, c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="meta">First {TABLE_ROWS} of {len(rows)} rows.</p>'
        if len(rows) > TABLE_ROWS
        else ""
    )
    return (
        f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def _callouts(infos: Sequence[ColumnInfo], rows: list[dict[str, object]]) -> str:
    out = []
    for callout in callouts_for(infos, rows):
        if callout.flagged and len(callout.flagged) == callout.total:
            text = f"all {callout.total}"
        elif callout.flagged:
            listed = ", ".join(callout.flagged[:12]) + (
                f" and {len(callout.flagged) - 12} more" if len(callout.flagged) > 12 else ""
            )
            text = f"{len(callout.flagged)} of {callout.total}: {esc(listed)}"
        else:
            text = f"none of {callout.total}"
        out.append(f'<div class="callout"><strong>{esc(callout.title)}</strong>: {text}</div>')
    return "".join(out)


BANNERS = {
    "stale": "Stale: held back, showing the last good version",
    "not measurable": "Not measurable",
    "blocked": "Not published: blocked by a data-sharing agreement",
}


def _banner(status: MartStatus | None) -> str:
    """A banner on a stale, held-back, blocked or not-measurable section, with its reason."""
    if status is None or (status.status == "fresh" and not status.reason):
        return ""
    if status.status == "fresh":
        return f'<div class="callout">Partly measurable: {esc(status.reason)}</div>'
    title = BANNERS.get(status.status, status.status)
    since = (
        f" (built {status.built_at:%Y-%m-%d %H:%M})"
        if status.status == "stale" and status.built_at
        else ""
    )
    css = status.status.replace(" ", "-")
    return (
        f'<div class="banner {css}" role="status"><strong>{esc(title)}</strong>{esc(since)}: '
        f"{esc(status.reason or '')}</div>"
    )


def _period(status: MartStatus | None) -> str:
    if status is None:
        return ""
    through = f" · data through {esc(status.data_through)}" if status.data_through else ""
    built = f" · built {status.built_at:%Y-%m-%d %H:%M}" if status.built_at else ""
    return through + built


def render_section(
    spec: SectionSpec,
    table: Table | None,
    declaration: MartDeclaration | None,
    moment: dt.datetime,
    status: MartStatus | None = None,
) -> tuple[str, int]:
    """One section's HTML and how many charts it holds."""
    if table is None or (status is not None and status.status == "not measurable"):
        missing = status.status if status is not None else NOT_PUBLISHED
        return (
            f'<section class="card empty" id="{esc(spec.mart)}"><h2>{esc(spec.title)}</h2>'
            + _banner(status)
            + f'<span class="missing"><code>{esc(spec.mart)}</code>: {esc(missing)}</span>'
            f'<p class="meta">{esc(spec.question)} · {esc(as_of_text(moment))}</p></section>',
            0,
        )
    head = f'<section class="card" id="{esc(spec.mart)}"><h2>{esc(spec.title)}</h2>'
    if spec.question:
        head += f'<p class="question">{esc(spec.question)}</p>'
    infos = column_infos(declaration, table.columns, table.rows)
    controlled = declaration.disclosure_control if declaration else True
    figures = figures_for(infos, table.rows, controlled, spec.featured)
    described = declaration.description if declaration else ""
    meta = (
        f'<p class="meta">{esc(as_of_text(moment))}{_period(status)} · '
        f"<code>{esc(table.name)}</code> · {len(table.rows):,} rows"
        + (f" · purpose: {esc(declaration.purpose)}" if declaration else "")
        + (" · small cells suppressed" if controlled else "")
        + "</p>"
    )
    charts = "".join(
        f'<figure class="chart"><figcaption>{esc(f.caption)}</figcaption>{f.svg}</figure>'
        for f in figures
    )
    body = (
        (f"<p>{esc(described)}</p>" if described else "")
        + (f'<div class="charts">{charts}</div>' if charts else "")
        + _callouts(infos, table.rows)
    )
    details = (
        f"<details{' open' if not figures else ''}><summary>Table ({len(table.rows):,} rows)"
        f"</summary>{_data_table(infos, table.rows)}</details>"
    )
    return head + _banner(status) + meta + body + details + "</section>", len(figures)


def render_dashboard(
    snapshot: Path, declarations: Sequence[MartDeclaration]
) -> tuple[str, DashboardSummary]:
    """The whole page, from the snapshot at ``snapshot`` (opened read-only)."""
    by_name = {d.name: d for d in declarations}
    with open_snapshot(snapshot) as con:
        published = table_names(con)
        moment = as_of(con, snapshot)
        tables = {name: read_table(con, name) for name in published}
        statuses = mart_statuses(con)
        held_back = held_back_extracts(con)
    summary = DashboardSummary(moment, held_back=held_back)
    summary.not_fresh = {
        m: f"{s.status}: {s.reason}" for m, s in statuses.items() if s.status != "fresh"
    }
    parts, nav, domain = [], [], None
    for spec in sections_for(published):
        if spec.domain != domain:
            domain = spec.domain
            parts.append(f'<div class="domain">{esc(domain)}</div>')
        html, charts = render_section(
            spec, tables.get(spec.mart), by_name.get(spec.mart), moment, statuses.get(spec.mart)
        )
        parts.append(html)
        nav.append((spec.mart, spec.title))
        summary.charts += charts
        (summary.rendered if spec.mart in tables else summary.missing).append(spec.mart)
    total = len(summary.rendered) + len(summary.missing)
    subtitle = (
        f"{len(summary.rendered)} of {total} sections published. Aggregated and de-identified;"
        " small cells suppressed."
    )
    return page("State Data Labs dashboard", subtitle, moment, nav, "".join(parts)), summary
