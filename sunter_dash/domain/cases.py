"""The manual-analysis workbench's vocabulary: statuses and their transitions, priorities."""
from __future__ import annotations

import re

from . import checks
from .errors import BadParameter, Conflict
from .periodes import PERIODE_RE as PERIODE
from .text import is_text

STATUSES = ("open", "in_progress", "resolved", "dismissed")
STATUS_LABELS = {"open": "Terbuka", "in_progress": "Diproses", "resolved": "Selesai", "dismissed": "Diabaikan"}
# open -> in_progress -> resolved | dismissed; open may be closed directly; a closed case reopens.
TRANSITIONS = {
    "open": ("in_progress", "resolved", "dismissed"),
    "in_progress": ("resolved", "dismissed"),
    "resolved": ("open",),
    "dismissed": ("open",),
}
CLOSED = ("resolved", "dismissed")  # reaching these needs a comment
PRIORITIES = ("rendah", "sedang", "tinggi")
PRIORITY_LABELS = {"rendah": "Rendah", "sedang": "Sedang", "tinggi": "Tinggi"}
OTHER_TYPE = "lainnya"
OTHER_TYPE_LABEL = "Lainnya"
# The assignee choice "the RUTE officer of the customer's PCEZ"; '@' is never in a username.
RUTE_OFFICER = "@rute"
EDITABLE = ("status", "priority", "assigned_to", "description", "anomaly_type", "periode")
FIELD_LABELS = {"nomen": "Nomen", "periode": "Periode", "rayon": "Rayon", "anomaly_type": "Jenis anomali",
                "description": "Deskripsi", "status": "Status", "priority": "Prioritas",
                "assigned_to": "Ditugaskan ke"}
MAX_DESCRIPTION = 4000
MAX_COMMENT = 2000
MAX_LIMIT = 1000

NOMEN = re.compile(r"\d{1,20}")
RAYON = re.compile(r"[0-9A-Za-z]{1,8}")


def type_labels() -> dict[str, str]:
    """Anomaly types a case may name: every check of the catalogue, and "other"."""
    return {**checks.names(), OTHER_TYPE: OTHER_TYPE_LABEL}


def refused(detail: str, message: str, field: str | None = None) -> BadParameter:
    """A value the workbench refuses (English detail, Indonesian message, the field at fault)."""
    return BadParameter(message, detail, field=field)


class StaleEdit(Conflict):
    """The case changed since the version the edit was based on; nothing was written."""

    def __init__(self, analysis_id: int, based_on: int, current: int, changed_by: str | None,
                 changed_at):
        when = changed_at.strftime("%Y-%m-%d %H:%M") if changed_at else "-"
        who = changed_by or "pengguna lain"
        super().__init__(
            f"Kasus ini sudah diubah oleh {who} pada {when} UTC (versi {current}, perubahan Anda berdasar "
            f"versi {based_on}). Tidak ada yang disimpan: muat ulang kasus, lalu ulangi perubahan Anda.",
            f"Analysis {analysis_id} was changed by {changed_by or 'another user'} at {when} UTC: your edit is "
            f"based on version {based_on}, the current version is {current}. Reload it and apply your edit "
            "again; nothing was changed.", field="version", current_version=current, changed_by=changed_by)
        self.current_version = current
        self.changed_by = changed_by
        self.changed_at = changed_at


def text_value(name: str, value, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise refused(f"Field '{name}' must be text.", f"{FIELD_LABELS.get(name, name)} harus berupa teks.",
                            name)
    value = value.strip()
    if not is_text(value):
        raise refused(f"Field '{name}' holds characters that are not text (lone surrogates).",
                      f"{FIELD_LABELS.get(name, name)} berisi karakter yang bukan teks; ketik ulang isinya.", name)
    if len(value) > max_length:
        raise refused(f"Field '{name}' is longer than {max_length} characters.",
                            f"{FIELD_LABELS.get(name, name)} lebih dari {max_length} karakter.", name)
    return value or None


def check_nomen(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    value = value.strip() if isinstance(value, str) else ""
    if not NOMEN.fullmatch(value):
        raise refused("Field 'nomen' is required: the customer number, digits only (e.g. 60012345).",
                            "Nomen wajib diisi: nomor pelanggan, hanya angka (misalnya 60012345).", "nomen")
    return value


def check_periode(value, name: str = "periode") -> str | None:
    value = text_value(name, value, 7)
    if value is not None and not PERIODE.fullmatch(value):
        raise refused(f"Field '{name}' must be YYYY-MM (e.g. 2025-12), got {value!r}.",
                            f"Periode harus berbentuk TTTT-BB (misalnya 2025-12), bukan {value!r}.", name)
    return value


def check_rayon(value) -> str | None:
    value = text_value("rayon", value, 8)
    if value is not None and not RAYON.fullmatch(value):
        raise refused(f"Field 'rayon' must be a rayon code such as 34, got {value!r}.",
                            f"Rayon harus berupa kode rayon seperti 34, bukan {value!r}.", "rayon")
    return value


def check_anomaly_type(value) -> str | None:
    value = text_value("anomaly_type", value, 32)
    if value is not None and value not in type_labels():
        raise refused(f"Field 'anomaly_type' must be one of {', '.join(type_labels())}, or empty; "
                            f"got {value!r}.",
                            f"Jenis anomali tidak dikenal: {value!r}.", "anomaly_type")
    return value


def check_priority(value) -> str:
    if value not in PRIORITIES:
        raise refused(f"Field 'priority' must be one of {', '.join(PRIORITIES)}; got {value!r}.",
                            "Prioritas harus Rendah, Sedang atau Tinggi.", "priority")
    return value


def check_status(value, name: str = "status") -> str:
    if value not in STATUSES:
        raise refused(f"Field '{name}' must be one of {', '.join(STATUSES)}; got {value!r}.",
                            "Status harus Terbuka, Diproses, Selesai atau Diabaikan.", name)
    return value


def check_transition(old: str, new: str, comment: str | None) -> None:
    if new == old:
        return
    if new not in TRANSITIONS[old]:
        allowed = TRANSITIONS[old]
        raise refused(
            f"Status cannot change from {old} to {new}; from {old} it may become {' or '.join(allowed)}.",
            f"Status tidak dapat diubah dari {STATUS_LABELS[old]} ke {STATUS_LABELS[new]}; dari "
            f"{STATUS_LABELS[old]} hanya ke {' atau '.join(STATUS_LABELS[s] for s in allowed)}.", "status")
    if new in CLOSED and not comment:
        raise refused(f"Setting the status to {new} needs a comment saying why.",
                            f"Tulis komentar (alasannya) untuk menandai kasus {STATUS_LABELS[new]}.", "comment")


def as_list(name: str, value, check) -> list[str] | None:
    """A filter value: one value, a comma-separated string or a list; None or empty for any."""
    if value is None or value == "":
        return None
    values = value.split(",") if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise refused(f"Filter '{name}' must be text.", f"Saringan {name} harus berupa teks.", name)
    return [check(v.strip()) for v in values if v.strip()] or None


def value_label(field: str, value) -> str:
    """A field's value as the tab shows it."""
    if value is None or value == "":
        return "—"
    if field == "status":
        return STATUS_LABELS.get(value, value)
    if field == "priority":
        return PRIORITY_LABELS.get(value, value)
    if field == "anomaly_type":
        return type_labels().get(value, value)
    return str(value)



def audit_detail(case: dict) -> str:
    """The audit log's line for the latest event of a case, in the page's words:
    '#7 60012345: Status Terbuka → Selesai'."""
    event = case["history"][-1]
    if len(case["history"]) == 1:
        return (f"#{case['id']} {case['nomen']}: dibuat ({value_label('anomaly_type', case['anomaly_type'])}, "
                f"{case['periode'] or '-'}, "
                f"{case['assigned_to'] or 'belum ditugaskan'})")
    parts = [f"{FIELD_LABELS.get(field, field)} diubah" if field == "description"
             else f"{FIELD_LABELS.get(field, field)} {value_label(field, old)} → {value_label(field, new)}"
             for field, (old, new) in event["change"].items()]
    if event["comment"]:
        parts.append("komentar")
    return f"#{case['id']} {case['nomen']}: {', '.join(parts)}"
