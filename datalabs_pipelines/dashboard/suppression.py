"""How much of what is shown is suppressed: the share of gated cells the disclosure gate hid.

A gated cell is a value of a column published with a ``<column>_suppressed`` companion that
is either shown or suppressed; a NULL that is not suppressed (a period not yet observed, a rate
withheld for link coverage) is no cell. The dashboard charts a choice (a filter value, a
breakdown) only where under ``MAX_SUPPRESSED`` of the cells it shows are suppressed, and
states the share per section; ``datalabs suppression`` prints it per mart and per section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from datalabs_pipelines.dashboard.columns import SUPPRESSED_SUFFIX
from datalabs_pipelines.dashboard.sections import Metric

MAX_SUPPRESSED = 0.30  # issue 18: under 30 % of the cells a dashboard shows

Row = Mapping[str, object]
Cells = dict[tuple[int, str], bool]  # (row identity, column) -> suppressed


@dataclass(frozen=True)
class Share:
    suppressed: int = 0
    cells: int = 0

    @property
    def fraction(self) -> float:
        return self.suppressed / self.cells if self.cells else 0.0

    @property
    def publishes(self) -> bool:
        """Under the limit (a choice with no gated cell at all publishes)."""
        return self.fraction < MAX_SUPPRESSED

    def text(self) -> str:
        return f"{self.suppressed:,} of {self.cells:,} cells suppressed ({self.fraction:.1%})"


def metric_columns(metrics: Iterable[Metric]) -> list[str]:
    """The columns a metric shows: its value, interval bounds and denominator."""
    out: list[str] = []
    for m in metrics:
        out += [c for c in (m.column, m.low, m.high, m.base) if c and c not in out]
    return out


def gated_cells(rows: Iterable[Row], columns: Sequence[str] | None = None) -> Cells:
    """The gated cells of ``rows`` in ``columns`` (default: every gated column)."""
    out: Cells = {}
    for row in rows:
        names = columns
        if names is None:
            flags = (c for c in row if c.endswith(SUPPRESSED_SUFFIX))
            names = [c.removesuffix(SUPPRESSED_SUFFIX) for c in flags]
        for name in names:
            flag = row.get(name + SUPPRESSED_SUFFIX)
            if flag is True or (flag is False and row.get(name) is not None):
                out[(id(row), name)] = flag is True
    return out


def share(cells: Cells) -> Share:
    return Share(sum(cells.values()), len(cells))


def share_of(rows: Iterable[Row], columns: Sequence[str] | None = None) -> Share:
    return share(gated_cells(rows, columns))
