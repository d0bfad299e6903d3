"""File-level ingestion failures, always naming the file, line, column and contract rule."""

from __future__ import annotations

from pathlib import Path


class DeliveryRejected(ValueError):
    """A whole delivery cannot be loaded; nothing of it is written."""

    def __init__(
        self,
        path: Path | str,
        rule: str,
        detail: str,
        *,
        contract: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path, self.rule, self.detail = str(path), rule, detail
        self.contract, self.line, self.column = contract, line, column
        where = [f"file {self.path}"]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        owner = f"contract {contract!r} " if contract else ""
        super().__init__(f"{', '.join(where)}: {owner}rule {rule!r} violated: {detail}")
