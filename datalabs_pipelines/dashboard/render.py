"""Assemble the dashboard page from the published snapshot and the marts' declarations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datalabs_pipelines.dashboard.columns import ColumnInfo, column_infos, display, is_suppressed
from datalabs_pipelines.dashboard.figures import Chart, build_chart
from datalabs_pipelines.dashboard.interactive import (
    SCRIPT,
    figure_html,
    fiscal_years_complete,
    with_labels,
    withheld_text,
)
from datalabs_pipelines.dashboard.page import as_of_text, esc, page
from datalabs_pipelines.dashboard.sections import ChartSpec, SectionSpec, sections_for
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
from datalabs_pipelines.dashboard.suppression import MAX_SUPPRESSED, Cells, Share, share, share_of
from datalabs_pipelines.marts.declaration import MartDeclaration
from datalabs_pipelines.settings import get_settings

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
    # section (mart) → (share suppressed of the cells its charts show, of its whole table)
    suppressed: dict[str, tuple[Share, Share]] = field(default_factory=dict)


def _data_table(infos: Sequence[ColumnInfo], rows: list[dict[str, object]]) -> str:
    dimensions = [c.name for c in infos if c.role == "dimension"]
    ordered = sorted(rows, key=lambda r: tuple(str(r.get(c)) for c in dimensions))
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


BANNERS = {
    "stale": "Stale: held back, showing the last good version",
    "not measurable": "Not measurable",
    "blocked": "Not published",  # the reason says why: an agreement, or the disclosure audit
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


def _period(status: MartStatus | None, covers: str) -> str:
    """The period the data covers (``data_through``, else the periods charted) and build time."""
    through = status.data_through if status is not None else None
    text = f" · data through {esc(through)}" if through else ""
    if covers:
        text += f" · covers {esc(covers)}"
    if status is not None and status.built_at:
        text += f" · built {status.built_at:%Y-%m-%d %H:%M}"
    return text


def suppression_note(threshold: int) -> str:
    """Suppression explained once, for the whole page."""
    return (
        '<div class="callout" id="suppression"><strong>How small cells are protected.</strong> '
        f"In tables marked <em>small cells suppressed</em>, a count below {threshold} is not "
        "shown (primary suppression). Where a hidden count could be worked out from a total "
        "a reader knows, the next-smallest count of that sum is hidden too (complementary "
        "suppression), and a rate is hidden when its numerator or denominator is. Hidden cells "
        'are drawn as hatched bars and read <span class="pill suppressed">suppressed</span> in '
        "tooltips and tables, never zero. Rates come with their denominator and a 95 % Wilson "
        "interval (the error bars); periods not yet complete are marked <em>(partial)</em> and "
        "are never shown first.</div>"
    )


def _covers(spec: SectionSpec, rows: list[dict[str, object]]) -> str:
    for chart in spec.charts:
        column = chart.period or (chart.axis if chart.trend else None)
        values = sorted({str(r[column]) for r in rows if r.get(column) is not None})
        if values:
            partial = sorted(
                {str(r[column]) for r in rows if chart.complete and r.get(chart.complete) is False}
            )
            tail = f" ({', '.join(partial)} partial)" if partial else ""
            return f"{values[0]} to {values[-1]}{tail}"
    return ""


def _suppression(
    charts: Share, table: Share, withheld: int, narrowed: int, uncharted: str = ""
) -> str:
    """Per section: how much of what its charts show is suppressed, and of the whole table;
    ``uncharted``: why a section has no chart at all."""
    text = f"No chart. {uncharted}" if uncharted else f"Charts: {charts.text()}"
    if (withheld or narrowed) and not uncharted:
        text += (
            f"; {withheld + narrowed} choice(s) "
            f"{'withheld' if not narrowed else 'withheld or shown statewide only'}, as "
            f"{MAX_SUPPRESSED:.0%} or more of their cells would be suppressed"
        )
    text += f" · whole table: {table.text()}."
    return (
        f'<p class="meta suppression" data-charts-share="{charts.fraction:.4f}" '
        f'data-table-share="{table.fraction:.4f}">{esc(text)}</p>'
    )


def _uncharted(built: Sequence[Chart], charts: Sequence[Chart]) -> str:
    """Why no chart is drawn, when none is: what each chart left out, in words."""
    if charts:
        return ""
    return " ".join(filter(None, map(withheld_text, built))) or "Nothing in it to chart."


def _fits(chart: ChartSpec, row: dict[str, object]) -> bool:
    """The table has every column the chart reads (an older snapshot may not)."""
    needed = {chart.axis, *chart.filters, *(c for c, _ in chart.fixed)}
    needed |= {m.column for m in chart.metrics}
    return needed <= row.keys()


def render_section(
    spec: SectionSpec,
    table: Table | None,
    declaration: MartDeclaration | None,
    moment: dt.datetime,
    status: MartStatus | None = None,
    fiscal: dict[object, bool] | None = None,
    suppressed: dict[str, tuple[Share, Share]] | None = None,
) -> tuple[str, int]:
    """One section's HTML and how many charts it holds; ``suppressed`` receives the section's
    shares of suppressed cells (charts, whole table)."""
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
    rows = with_labels(table.name, table.rows, fiscal)
    built = [build_chart(c, rows) for c in spec.charts if rows and _fits(c, rows[0])]
    charts = [c for c in built if c.views]
    shown: Cells = {}
    for chart in charts:
        shown |= chart.cells
    shares = (share(shown), share_of(table.rows))
    if suppressed is not None:
        suppressed[spec.mart] = shares
    counted = shares[1].cells > 0
    withheld = sum(c.withheld.views for c in built)
    narrowed = sum(c.withheld.narrowed for c in built)
    described = declaration.description if declaration else ""
    meta = (
        f'<p class="meta">{esc(as_of_text(moment))}{_period(status, _covers(spec, rows))} · '
        f"<code>{esc(table.name)}</code> · {len(table.rows):,} rows"
        + (f" · purpose: {esc(declaration.purpose)}" if declaration else "")
        + (' · <a href="#suppression">small cells suppressed</a>' if controlled else "")
        + "</p>"
        + (_suppression(*shares, withheld, narrowed, _uncharted(built, charts)) if counted else "")
    )
    figures = "".join(figure_html(c, f"{spec.mart}-{n}") for n, c in enumerate(charts))
    body = (f"<p>{esc(described)}</p>" if described else "") + figures
    details = (
        f"<details{' open' if not charts else ''}><summary>Whole table ({len(table.rows):,} "
        f"rows)</summary>{_data_table(infos, table.rows)}</details>"
    )
    return head + _banner(status) + meta + body + details + "</section>", len(charts)


def render_dashboard(
    snapshot: Path, declarations: Sequence[MartDeclaration], threshold: int | None = None
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
    flagged = tables.get("procurement_program_utilization")
    fiscal = fiscal_years_complete(flagged.rows) if flagged else {}
    parts = [
        suppression_note(
            threshold if threshold is not None else get_settings().disclosure_threshold
        )
    ]
    nav, domain = [], None
    for spec in sections_for(published):
        if spec.domain != domain:
            domain = spec.domain
            parts.append(f'<div class="domain">{esc(domain)}</div>')
        html, charts = render_section(
            spec,
            tables.get(spec.mart),
            by_name.get(spec.mart),
            moment,
            statuses.get(spec.mart),
            fiscal,
            summary.suppressed,
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
    html = page(
        "State Data Labs dashboard", subtitle, moment, nav, "".join(parts), SCRIPT, plotly=True
    )
    return html, summary
