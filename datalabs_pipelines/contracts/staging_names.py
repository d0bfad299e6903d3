"""Names of a contract's columns in the staging layer, for every layer that reads staging."""

from __future__ import annotations

from datalabs_pipelines.contracts.model import Column


def checked_column(column: Column) -> str:
    """The staging column an expectation on ``column`` is evaluated on: a direct identifier
    is staged only as its token."""
    return column.name if column.classification != "pii" else f"{column.name}_token"
