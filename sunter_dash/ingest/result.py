"""What loading a file did: the summary the CLI prints, the API returns and the page shows."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.errors import told
from .errors import RowError

MAX_ERRORS_RETURNED = 20


@dataclass
class IngestResult:
    file: str
    type: str | None = None
    periode: str | None = None
    periode_rule: str | None = None
    status: str = "refused"
    read: int = 0
    stored: int = 0
    rejected: int = 0
    duplicate: int = 0
    errors: list[RowError] = field(default_factory=list)
    message: str = ""
    upload_id: int | None = None
    replaced: list[int] = field(default_factory=list)
    row_periodes: list[str] = field(default_factory=list)
    fmt: dict = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)  # optional values left empty, rows stored
    profile: str | None = None  # the column-mapping profile that applied
    needs_replace: bool = False  # refused by the shrink guard: loads when confirmed
    stored_customers: int | None = None  # the snapshot it would replace, and this file's
    file_customers: int | None = None
    notes: list[str] = field(default_factory=list)  # what the user should know beyond the counts
    details: dict = field(default_factory=dict)  # per type (SBRS: the read-method codes)
    busy: bool = False  # refused because another load kept the slot too long: retry later
    remedies: dict = field(default_factory=dict)  # how to fix a refusal, per channel (domain/errors.py)

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    def told(self, channel: str) -> str:
        """The message as ``channel`` shows it (the recorded one names no channel)."""
        return told(self.message, self.remedies, channel)

    def as_json(self, channel: str = "api") -> dict:
        return {
            "file": self.file, "type": self.type, "periode": self.periode,
            "periode_rule": self.periode_rule, "status": self.status, "read": self.read,
            "stored": self.stored, "rejected": self.rejected, "duplicate": self.duplicate,
            "errors": [e.as_dict() for e in self.errors[:MAX_ERRORS_RETURNED]],
            "error_count": len(self.errors), "message": self.told(channel),
            "warnings": [e.as_dict() for e in self.warnings[:MAX_ERRORS_RETURNED]],
            "warning_count": len(self.warnings), "notes": self.notes,
            "upload_id": self.upload_id, "replaced_uploads": self.replaced, "row_periodes": self.row_periodes,
            "profile": self.profile, "needs_replace": self.needs_replace,
            "stored_customers": self.stored_customers, "file_customers": self.file_customers, "busy": self.busy,
            **self.details,
        }
