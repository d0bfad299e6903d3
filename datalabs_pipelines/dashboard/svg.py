"""Charts as inline SVG strings, drawn in Python: horizontal bars and lines, labelled axes.

A value of ``None`` is a suppressed (or missing) cell: bars show a dashed "suppressed" stub
and lines break there; it is never drawn as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from datalabs_pipelines.dashboard.page import esc

PALETTE = ("#1f5f8b", "#e07b39", "#2f855a", "#805ad5", "#c53030", "#b7791f")
WIDTH = 580
FONT = 'font-family="Segoe UI, Helvetica Neue, DejaVu Sans, Arial, sans-serif"'
Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Bar:
    """One category: a value per series (None = suppressed) and an optional goal."""

    label: str
    values: Sequence[float | None]
    reference: float | None = None


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[float | None]  # one per x label; None breaks the line
    color: str = field(default="")


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < high - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


LEGEND_ROW = 18


def _legend_items(names: Sequence[str], x: float, max_x: float) -> list[tuple[str, float, int]]:
    """(name, x, row) per legend entry, wrapping onto new rows at ``max_x``."""
    placed, offset, row = [], x, 0
    for name in names:
        width = 30 + 6.6 * min(len(name), 28)
        if offset + width > max_x and offset > x:
            offset, row = x, row + 1
        placed.append((name, offset, row))
        offset += width
    return placed


def legend_height(names: Sequence[str], x: float) -> int:
    items = _legend_items(names, x, WIDTH - 10)
    return (items[-1][2] + 1) * LEGEND_ROW if items else 0


def _legend(names: Sequence[str], x: float, y: float, reference: str | None = None) -> str:
    """Colour keys for ``names`` (a thick tick for ``reference``), wrapped to fit."""
    parts = []
    entries = [*names, *([reference] if reference else [])]
    for i, (name, left, row) in enumerate(_legend_items(entries, x, WIDTH - 10)):
        top = y + row * LEGEND_ROW
        if reference and i == len(entries) - 1:
            parts.append(
                f'<line x1="{left + 5:.1f}" y1="{top - 10}" x2="{left + 5:.1f}" y2="{top + 2}" '
                f'stroke="#102a43" stroke-width="2.5"/>'
            )
        else:
            parts.append(
                f'<rect x="{left:.1f}" y="{top - 9}" width="11" height="11" rx="2" '
                f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            )
        parts.append(
            f'<text x="{left + 15:.1f}" y="{top}" font-size="12" fill="#3e4c59">'
            f"{esc(_short(name, 28))}</text>"
        )
    return "".join(parts)


def bar_chart(
    bars: Sequence[Bar],
    series_names: Sequence[str],
    axis_label: str,
    fmt: Formatter,
    title: str,
    reference_label: str = "goal",
) -> str:
    """Grouped horizontal bars, one group per ``Bar``; an x axis with ticks and a label."""
    n_series = max(1, len(series_names))
    label_width = min(210, 18 + 7.0 * max((len(_short(b.label)) for b in bars), default=4))
    keys = [*(series_names if n_series > 1 else [])]
    ref_label = reference_label if _has_ref(bars) else None
    left, right = label_width, 62
    top = 12 + (
        legend_height([*keys, *([ref_label] if ref_label else [])], left) + 4
        if keys or ref_label
        else 0
    )
    bar_h = 16 if n_series == 1 else 11
    group_h = bar_h * n_series + 10
    plot_w = WIDTH - left - right
    height = top + group_h * len(bars) + 52
    values = [v for b in bars for v in b.values if v is not None]
    values += [b.reference for b in bars if b.reference is not None]
    ticks = nice_ticks(max(values, default=0.0))
    high = ticks[-1] or 1.0

    def x_of(value: float) -> float:
        return left + plot_w * max(value, 0.0) / high

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{esc(title)}" {FONT}><title>{esc(title)}</title>'
    ]
    bottom = top + group_h * len(bars)
    for tick in ticks:
        x = x_of(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#e4e7eb"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" font-size="11" fill="#616e7c" '
            f'text-anchor="middle">{esc(fmt(tick))}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{bottom}" stroke="#9aa5b1"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{bottom + 38}" font-size="12" fill="#3e4c59" '
        f'text-anchor="middle" font-weight="600">{esc(axis_label)}</text>'
    )
    for i, bar in enumerate(bars):
        y0 = top + i * group_h + 5
        out.append(
            f'<text x="{left - 8}" y="{y0 + (bar_h * n_series) / 2 + 4:.1f}" font-size="12" '
            f'fill="#1f2933" text-anchor="end"><title>{esc(bar.label)}</title>'
            f"{esc(_short(bar.label))}</text>"
        )
        for s, value in enumerate(bar.values):
            y = y0 + s * bar_h
            color = PALETTE[s % len(PALETTE)]
            if value is None:
                out.append(
                    f'<rect class="suppressed" x="{left + 1}" y="{y + 1}" width="74" '
                    f'height="{bar_h - 2}" fill="#f5f7fa" stroke="#a0aec0" '
                    f'stroke-dasharray="3 2"/><text x="{left + 38}" y="{y + bar_h - 4}" '
                    f'font-size="10" fill="#4a5568" text-anchor="middle">suppressed</text>'
                )
                continue
            width = max(x_of(value) - left, 1.0)
            out.append(
                f'<rect class="bar" x="{left}" y="{y}" width="{width:.1f}" '
                f'height="{bar_h - 2}" rx="2" fill="{color}"><title>{esc(bar.label)}: '
                f'{esc(fmt(value))}</title></rect><text x="{left + width + 5:.1f}" '
                f'y="{y + bar_h - 4}" font-size="11" fill="#3e4c59">{esc(fmt(value))}</text>'
            )
        if bar.reference is not None:
            x = x_of(bar.reference)
            out.append(
                f'<line class="reference" x1="{x:.1f}" y1="{y0 - 3}" x2="{x:.1f}" '
                f'y2="{y0 + bar_h * n_series + 1}" stroke="#102a43" stroke-width="2.5">'
                f"<title>{esc(reference_label)}: {esc(fmt(bar.reference))}</title></line>"
            )
    if keys or ref_label:
        out.append(_legend(keys, left, 18, ref_label))
    out.append("</svg>")
    return "".join(out)


def _has_ref(bars: Sequence[Bar]) -> bool:
    return any(b.reference is not None for b in bars)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    x_axis_label: str,
    y_axis_label: str,
    fmt: Formatter,
    title: str,
) -> str:
    """Lines over an ordered category axis (years, quarters); ``None`` leaves a gap."""
    left, right = 78, 24
    top = 20 + legend_height([s.name for s in series], left)
    height = top + 250
    bottom = height - 56
    plot_w, plot_h = WIDTH - left - right, bottom - top
    values = [v for s in series for v in s.points if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    high = ticks[-1] or 1.0
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(x_labels) > 1 else plot_w / 2)
        return x, bottom - plot_h * value / high

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{esc(title)}" {FONT}><title>{esc(title)}</title>'
    ]
    for tick in ticks:
        _, y = xy(0, tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e4e7eb"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" fill="#616e7c" '
            f'text-anchor="end">{esc(fmt(tick))}</text>'
        )
    widest = 7.0 * max((len(label) for label in x_labels), default=1) + 10
    every = max(1, math.ceil(len(x_labels) * widest / plot_w))
    for i, label in enumerate(x_labels):
        last = len(x_labels) - 1
        if i % every == 0 or (i == last and last % every >= every / 2):
            x, _ = xy(i, 0)
            out.append(
                f'<text x="{x:.1f}" y="{bottom + 18}" font-size="11" fill="#616e7c" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    out.append(
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - right}" y2="{bottom}" stroke="#9aa5b1"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 10}" font-size="12" fill="#3e4c59" '
        f'text-anchor="middle" font-weight="600">{esc(x_axis_label)}</text>'
        f'<text transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" font-size="12" '
        f'fill="#3e4c59" text-anchor="middle" font-weight="600">{esc(y_axis_label)}</text>'
    )
    for n, line in enumerate(series):
        color = line.color or PALETTE[n % len(PALETTE)]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(line.points):
            if value is None:
                segments.append([])
                continue
            segments[-1].append(xy(i, value))
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                out.append(
                    f'<polyline class="line" points="{points}" fill="none" stroke="{color}" '
                    'stroke-width="2.2" stroke-linejoin="round"/>'
                )
        for i, value in enumerate(line.points):
            if value is not None:
                x, y = xy(i, value)
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{color}"><title>'
                    f"{esc(line.name)}, {esc(x_labels[i])}: {esc(fmt(value))}</title></circle>"
                )
    out.append(_legend([s.name for s in series], left, 18))
    out.append("</svg>")
    return "".join(out)
