"""A row that did not load, carried to the user (CLI, upload page, API, Riwayat)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """One cell that stops a row from loading (row: its number in the source file; None: the file)."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}
