"""Uploads: how an upload's periode was decided, its statuses, and when it may be deleted."""
from __future__ import annotations

from ..formatting import number
from . import files
from .errors import Conflict, NotFound, SunterError
from .periodes import periode_label

# Which evidence decided an upload's periode (DATA.md's order).
PERIODE_RULES = {
    "explicit": "diisi pengguna",
    "column": "kolom periode di file",
    "filename": "nama file",
    "mc_filename": "nama file MC (bulan baca + 1)",
    "mc_reading_date": "tanggal catat MC (bulan baca + 1)",
    "mc_bill_month": "bulan tagihan MC (TAHUN2, NAMA_BLN2)",
    "payment_date": "tanggal bayar tiap baris",
    "none": "tanpa periode (berlaku sebelum RUTE bertanggal pertama)",
}

# An upload's life: queued -> running -> loaded | duplicate | refused; a newer snapshot -> replaced;
# -> deleted.
UPLOAD_STATUSES = {"loaded": "Dimuat", "duplicate": "Duplikat", "refused": "Ditolak", "replaced": "Diganti",
                   "deleted": "Dihapus", "running": "Berjalan", "queued": "Antre"}
# These have rows to delete; so has a replaced snapshot whose rows are kept (deletion_refusal). A
# refused upload stored nothing, a deleted upload's rows are gone already.
DELETABLE = frozenset({"loaded", "duplicate"})


def deletion_refusal(upload_id: int, status: str | None, kept: bool = False) -> SunterError | None:
    """Why an upload cannot be deleted (None: it can; ``status`` None: there is no such upload). A
    replaced snapshot whose rows are kept may be deleted: that drops its kept rows."""
    if status is None:
        return NotFound(f"Unggahan #{upload_id} tidak ada.", f"Upload {upload_id} does not exist.")
    if status == "deleted":
        return Conflict(f"Unggahan #{upload_id} sudah dihapus.", f"Upload {upload_id} is deleted already.")
    if status == "replaced" and not kept:
        return Conflict(f"Unggahan #{upload_id} diganti sebelum data lama mulai disimpan (pembaruan 0.2.0): "
                        "barisnya sudah tidak ada, jadi tidak ada yang dapat dihapus atau dipulihkan.",
                        f"Upload {upload_id} was replaced before version 0.2.0: its rows were not kept.")
    if status not in DELETABLE and not (status == "replaced" and kept):
        return Conflict(f"Unggahan #{upload_id} berstatus {UPLOAD_STATUSES.get(status, status)}: tidak ada baris "
                        "tersimpan yang dapat dihapus.", f"Upload {upload_id} is {status}: it holds no rows to delete.")
    return None


def replacement_note(file_type: str, periode: str, count: int, upload_id) -> str:
    """DATA.md: every snapshot that replaces a stored one says so, in these words."""
    return (f"menggantikan {file_type} {periode_label(periode)}: {number(count)} {files.spec(file_type).unit}, "
            f"unggahan #{upload_id}")


def shown_periodes(file_type: str | None, periode: str | None, row_periodes: list[str]) -> tuple[list[str], bool]:
    """The periodes a result names: a payment file's rows' own (True), else the file's periode."""
    spec = files.resolve(file_type)
    if spec is not None and spec.mode == files.MERGE and row_periodes:
        return list(row_periodes), True
    return ([periode] if periode else []), False


FILENAME_LENGTH = 255  # upload.filename


def recorded_name(name: str) -> str:
    """A file's name as its upload records it: the name the user gave, cut to the column's length
    with its suffix kept. (The file itself is always stored under a name of our own.)"""
    name = "".join(ch for ch in str(name) if ch.isprintable()).strip() or "file"
    if len(name) <= FILENAME_LENGTH:
        return name
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot and len(name) - dot <= 16 else ""
    return name[:FILENAME_LENGTH - len(suffix)] + suffix
