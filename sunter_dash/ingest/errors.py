"""What goes wrong in ingestion, carried to the user (CLI, upload page, API)."""
from __future__ import annotations

from dataclasses import dataclass


class IngestError(Exception):
    """The file is refused whole. The message says what to fix, in the UI's language."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class RowError:
    """One cell that stops a row from loading (row: its number in the source file)."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}
