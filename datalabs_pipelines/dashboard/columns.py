"""What each published column is (from the mart's declaration) and how its values read.

Used by each section's whole-table view. Roles come from the declaration; a table published
without one gets roles inferred from its types so that it still renders. Companion
``<column>_suppressed`` flags mark cells the disclosure gate suppressed: they read
"suppressed", never zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from datalabs_pipelines.marts.declaration import MartDeclaration

SUPPRESSED_SUFFIX = "_suppressed"
TIME_HINTS = ("year", "quarter", "month", "period", "cohort", "term")
MONEY_HINTS = ("amount", "earn", "wage", "paid", "award", "spend", "dollar", "pay", "income")
RATIO_HINTS = ("index", "ratio")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    role: str
    type: str
    description: str
    definition: str | None = None
    fraction: bool = True  # a rate or share stored as 0..1

    @property
    def is_goal(self) -> bool:
        return "goal" in self.name or "target" in self.name

    @property
    def is_money(self) -> bool:
        return self.role == "amount" or (
            self.role in ("median", "measure") and any(h in self.name for h in MONEY_HINTS)
        )

    @property
    def in_points(self) -> bool:
        """A percentage stored as 0..100 (named ``*_pct``) rather than a 0..1 fraction."""
        return self.name.endswith("_pct")

    @property
    def is_percent(self) -> bool:
        ratio = any(h in self.name for h in RATIO_HINTS)
        scaled = self.fraction or self.in_points
        return (self.role in ("rate", "share", "interval") or self.is_goal) and scaled and not ratio

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def number(value: object) -> float | None:
    """A numeric cell as float (DECIMAL included); None for text, booleans and NULL."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _inferred_role(name: str, sql_type: str) -> str:
    upper = sql_type.upper()
    if upper == "BOOLEAN":
        return "flag"
    if upper in ("DOUBLE", "FLOAT", "REAL") or upper.startswith("DECIMAL"):
        if any(h in name for h in MONEY_HINTS):
            return "amount"
        return "rate"
    if upper in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT") and not any(
        h in name for h in TIME_HINTS
    ):
        return "count"
    return "dimension"


def column_infos(
    declaration: MartDeclaration | None,
    columns: Mapping[str, str],
    rows: list[dict[str, object]],
) -> list[ColumnInfo]:
    """The published columns in order, suppression companions left out."""
    declared = {c.name: c for c in declaration.columns} if declaration else {}
    infos = []
    for name, sql_type in columns.items():
        if name.endswith(SUPPRESSED_SUFFIX) and name.removesuffix(SUPPRESSED_SUFFIX) in columns:
            continue
        values = [v for r in rows if (v := number(r.get(name))) is not None]
        fraction = all(abs(v) <= 1.0 for v in values)
        if name in declared:
            c = declared[name]
            infos.append(ColumnInfo(name, c.role, sql_type, c.description, c.definition, fraction))
        else:
            role = _inferred_role(name, sql_type)
            infos.append(ColumnInfo(name, role, sql_type, name.replace("_", " "), None, fraction))
    return infos


def is_suppressed(row: Mapping[str, object], column: str) -> bool:
    return row.get(column + SUPPRESSED_SUFFIX) is True


def formatter(column: ColumnInfo) -> Callable[[float], str]:
    """How a number of this column reads: percent, dollars, ratio or count."""
    if column.is_percent and column.in_points:
        return lambda v: f"{v:.1f}%"
    if column.is_percent:
        return lambda v: f"{v * 100:.1f}%"
    if column.is_money:
        return lambda v: f"${v:,.0f}"
    if column.role in ("rate", "share", "interval") or any(h in column.name for h in RATIO_HINTS):
        return lambda v: f"{v:.2f}"
    if column.role == "median":
        return lambda v: f"{v:,.1f}"
    return lambda v: f"{v:,.0f}"


def display(row: Mapping[str, object], column: ColumnInfo) -> str:
    """Plain text of a cell; suppressed cells read 'suppressed'."""
    if is_suppressed(row, column.name):
        return "suppressed"
    value = row.get(column.name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if number(value) is not None and column.role != "dimension":
        return formatter(column)(number(value))
    return str(value)
