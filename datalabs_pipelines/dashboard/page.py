"""The HTML shell shared by the dashboard and the data dictionary, and the atomic write.

Pages are self-contained: styles and scripts are inline, plotly.js (from the ``plotly``
wheel) included once in a page with charts, and nothing is fetched when the page is viewed.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

from plotly.offline import get_plotlyjs

STYLE = """
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --paper: #ffffff; --bg: #f5f7fa;
  --accent: #1f5f8b; --accent-2: #e07b39; --good: #2f855a; --bad: #c53030; --warn: #b7791f;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 "Segoe UI", "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
header.top { background: #102a43; color: #fff; padding: 22px 40px 18px; }
header.top h1 { margin: 0; font-size: 24px; font-weight: 600; letter-spacing: .2px; }
header.top p { margin: 4px 0 0; color: #bcccdc; font-size: 14px; }
header.top .asof { float: right; background: #243b53; border-radius: 14px; padding: 4px 12px;
  font-size: 13px; color: #d9e2ec; margin-top: 2px; }
nav.toc { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 40px;
  position: sticky; top: 0; z-index: 2; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 18px; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 40px 60px; }
section.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 20px 24px; margin: 0 0 22px; box-shadow: 0 1px 2px rgba(16, 42, 67, .05);
  scroll-margin-top: 56px; }
section.card.empty { padding: 14px 24px; }
section.card.empty h2 { display: inline; font-size: 16px; margin-right: 10px; }
section.card h2 { margin: 0 0 2px; font-size: 19px; font-weight: 600; }
section.card h3 { margin: 18px 0 6px; font-size: 15px; font-weight: 600; }
.domain { text-transform: uppercase; letter-spacing: .8px; font-size: 11px; color: var(--muted);
  font-weight: 600; margin: 28px 0 8px; }
.question { color: var(--muted); margin: 0 0 4px; }
.meta { color: var(--muted); font-size: 12.5px; margin: 0 0 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 18px 32px; }
.chart { margin: 18px 0 8px; }
.chart figcaption { font-size: 15px; font-weight: 600; margin-bottom: 4px; }
.chart .filters { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; }
.chart select { font: inherit; padding: 2px 6px; margin-left: 4px; }
.chart .note { color: var(--warn); font-size: 13px; min-height: 1em; margin: 4px 0; }
.chart .plot { width: 100%; }
table.data td.suppressed { color: #4a5568; font-style: italic; }
.missing { display: inline-block; color: var(--muted); font-style: italic; background: var(--bg);
  border: 1px dashed #cbd2d9; border-radius: 12px; padding: 1px 10px; font-size: 13px; }
.callout { border-left: 4px solid var(--accent-2); background: #fffaf0; padding: 10px 14px;
  margin: 14px 0 4px; border-radius: 0 6px 6px 0; font-size: 14px; }
.banner { border-left: 4px solid #c05621; background: #fff5eb; padding: 10px 14px;
  margin: 0 0 12px; }
.banner.not-measurable { border-left-color: var(--muted); background: var(--bg); }
.callout.ok { border-left-color: var(--good); background: #f0fff4; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 8px; }
table.data th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid
  var(--line); padding: 6px 8px; position: sticky; top: 40px; background: #fff; }
table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tr:hover td { background: #f8fafc; }
.pill { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 11.5px;
  font-weight: 600; }
.pill.suppressed { background: #edf2f7; color: #4a5568; border: 1px dashed #a0aec0; }
.pill.pii { background: #fed7d7; color: #9b2c2c; }
.pill.confidential { background: #feebc8; color: #9c4221; }
.pill.public { background: #c6f6d5; color: #22543d; }
.yes { color: var(--good); font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
details > summary { cursor: pointer; color: var(--accent); font-size: 13.5px; margin-top: 10px; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
input.filter { width: 100%; max-width: 420px; padding: 7px 10px; border: 1px solid #cbd2d9;
  border-radius: 6px; font: inherit; margin: 4px 0 14px; }
code { background: #f0f4f8; padding: 0 4px; border-radius: 4px; font-size: 12.5px; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; padding: 10px 0 30px; }
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def as_of_text(moment: dt.datetime) -> str:
    return f"Data as of {moment:%Y-%m-%d %H:%M}"


def page(
    title: str,
    subtitle: str,
    as_of: dt.datetime,
    nav: list[tuple[str, str]],
    body: str,
    script: str = "",
    plotly: bool = False,
) -> str:
    """A complete HTML document; ``nav`` is (anchor, label) pairs; ``plotly`` inlines plotly.js."""
    links = " ".join(f'<a href="#{esc(a)}">{esc(label)}</a>' for a, label in nav)
    built = dt.datetime.now().replace(microsecond=0)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<header class="top"><span class="asof">{esc(as_of_text(as_of))}</span>'
        f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f'<nav class="toc">{links}</nav><main>{body}</main>'
        f"<footer>datalabs_pipelines · {esc(as_of_text(as_of))} · page built "
        f"{built:%Y-%m-%d %H:%M}</footer>"
        + (f'<script id="plotly-js">{get_plotlyjs()}</script>' if plotly else "")
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>\n"
    )


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` beside ``path`` and move it into place, so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path
