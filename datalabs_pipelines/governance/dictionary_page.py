"""The data dictionary as one readable, self-contained HTML page.

Anchors: ``#<schema>.<table>`` for a table and ``#<schema>.<table>.<column>`` for a column,
so check results and dashboards can link straight to an entry.
"""

from __future__ import annotations

import datetime as dt

from datalabs_pipelines.dashboard.page import esc, page
from datalabs_pipelines.governance.dictionary import LAYERS, Entry

LAYER_TEXT = {
    "raw": "Every value as delivered (text), plus where it came from. Pipeline only.",
    "staging": "Typed, standardized, deduplicated; direct identifiers replaced by tokens.",
    "pii": "Direct identifiers for record linkage. Linkage steps only.",
    "integrated": "Cross-agency facts keyed by person or vendor, de-identified.",
    "marts": "Dashboard tables: aggregated, disclosure-controlled, published.",
}

FILTER_SCRIPT = """
document.getElementById('filter').addEventListener('input', function (event) {
  var term = event.target.value.toLowerCase();
  document.querySelectorAll('section.card').forEach(function (card) {
    var any = false;
    card.querySelectorAll('tbody tr').forEach(function (row) {
      var hit = !term || row.textContent.toLowerCase().indexOf(term) >= 0 ||
        card.id.indexOf(term) >= 0;
      row.style.display = hit ? '' : 'none';
      any = any || hit;
    });
    card.style.display = any ? '' : 'none';
  });
});
"""


def _column_row(entry: Entry) -> str:
    definition = f"<br><em>Definition:</em> {esc(entry.definition)}" if entry.definition else ""
    examples = f"<br><em>e.g.</em> {esc(entry.examples)}" if entry.examples else ""
    role = f' <span class="meta">({esc(entry.role)})</span>' if entry.role else ""
    return (
        f'<tr id="{esc(entry.anchor)}"><td><code>{esc(entry.column_name)}</code>{role}</td>'
        f"<td>{esc(entry.column_type)}</td>"
        f'<td><span class="pill {esc(entry.classification)}">{esc(entry.classification)}'
        f"</span></td>"
        f"<td>{esc(entry.column_description)}{definition}{examples}</td>"
        f"<td>{esc(entry.source)}</td></tr>"
    )


def _table_card(entries: list[Entry]) -> str:
    first = entries[0]
    rows = "".join(_column_row(e) for e in entries)
    return (
        f'<section class="card" id="{esc(first.table_name)}">'
        f"<h2>{esc(first.table_name)}</h2>"
        f'<p class="question">{esc(first.table_description)}</p>'
        f'<p class="meta"><strong>Grain:</strong> {esc(first.grain or "n/a")} · '
        f"<strong>Owners:</strong> {esc(first.owners)} · <strong>Domain:</strong> "
        f"{esc(first.domain)} · <strong>Asset:</strong> <code>{esc(first.asset_key)}</code></p>"
        '<table class="data"><thead><tr><th>Column</th><th>Type</th><th>Classification</th>'
        f"<th>Description</th><th>Source</th></tr></thead><tbody>{rows}</tbody></table>"
        "</section>"
    )


def render_dictionary(entries: list[Entry], as_of: dt.datetime) -> str:
    body = [
        '<input id="filter" class="filter" type="search" '
        'placeholder="Filter tables and columns…" aria-label="Filter">'
    ]
    nav = []
    for layer in LAYERS:
        in_layer = [e for e in entries if e.layer == layer]
        if not in_layer:
            continue
        nav.append((f"layer-{layer}", layer))
        by_table: dict[str, list[Entry]] = {}
        for entry in in_layer:
            by_table.setdefault(entry.table_name, []).append(entry)
        tables = list(by_table.values())
        body.append(
            f'<div class="domain" id="layer-{layer}">{esc(layer)} · {len(tables)} tables · '
            f"{esc(LAYER_TEXT[layer])}</div>"
        )
        body += [_table_card(t) for t in tables]
    return page(
        "Data dictionary",
        f"{len({e.table_name for e in entries})} tables, {len(entries)} columns: description, "
        "type, classification, source and owner; metric definitions for published marts.",
        as_of,
        nav,
        "".join(body),
        FILTER_SCRIPT,
    )
