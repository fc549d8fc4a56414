"""Field follow-ups and promises to pay (METRICS.md, "Collection work"): the results an officer
records, what a follow-up must hold, and the status of a promise."""
from __future__ import annotations

import datetime as dt

from .cases import check_nomen, check_periode, refused, text_value

PROMISE = "janji_bayar"
RESULTS = (PROMISE, "tidak_ditemui", "menolak", "sudah_bayar", "segel", "cabut", "lainnya")
RESULT_LABELS = {PROMISE: "Janji bayar", "tidak_ditemui": "Tidak ditemui", "menolak": "Menolak",
                 "sudah_bayar": "Sudah bayar", "segel": "Segel", "cabut": "Cabut", "lainnya": "Lainnya"}
STATUSES = ("pending", "kept", "broken")
STATUS_LABELS = {"pending": "Menunggu", "kept": "Ditepati", "broken": "Diingkari"}
GRACE_DAYS = 3  # METRICS.md's G: days after the promised date a payment still keeps the promise
MAX_NOTE = 2000


def _date(name: str, value, label: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise refused(f"Field '{name}' must be a date YYYY-MM-DD, got {value!r}.",
                  f"{label} harus tanggal berbentuk TTTT-BB-HH (mis. 2025-12-20), bukan {value!r}.", name)


def check_followup(payload: dict, today: dt.date) -> dict:
    """A follow-up's fields, checked: nomen, periode (required), result (one of RESULTS),
    visit_date (default ``today``, the branch's date, not after it), promise_date (required for a
    promise, not before the visit), note. BadParameter names the field at fault."""
    if not isinstance(payload, dict):
        raise refused("The body must be a JSON object.", "Isi permintaan harus objek JSON.")
    unknown = sorted(set(payload) - {"nomen", "periode", "result", "visit_date", "promise_date", "note"})
    if unknown:
        raise refused(f"Unknown field '{unknown[0]}'.", f"Kolom '{unknown[0]}' tidak dikenal.", unknown[0])
    periode = check_periode(payload.get("periode"))
    if periode is None:
        raise refused("Field 'periode' is required (YYYY-MM).", "Periode wajib diisi (TTTT-BB, mis. 2025-12).",
                      "periode")
    result = payload.get("result")
    if result not in RESULTS:
        raise refused(f"Field 'result' must be one of {', '.join(RESULTS)}.",
                      f"Hasil kunjungan harus salah satu dari: {', '.join(RESULT_LABELS.values())}.", "result")
    visit = _date("visit_date", payload.get("visit_date"), "Tanggal kunjungan") or today
    if visit > today:
        raise refused("Field 'visit_date' is in the future.",
                      f"Tanggal kunjungan {visit.isoformat()} belum terjadi; isi tanggal hari ini atau sebelumnya.",
                      "visit_date")
    promise = _date("promise_date", payload.get("promise_date"), "Tanggal janji")
    if result == PROMISE and promise is None:
        raise refused("Field 'promise_date' is required for janji_bayar.",
                      "Tanggal janji bayar wajib diisi untuk hasil 'Janji bayar'.", "promise_date")
    if result != PROMISE and promise is not None:
        raise refused("Field 'promise_date' is only for janji_bayar.",
                      "Tanggal janji hanya untuk hasil 'Janji bayar'; kosongkan tanggalnya.", "promise_date")
    if promise is not None and promise < visit:
        raise refused("Field 'promise_date' is before the visit.",
                      "Tanggal janji tidak boleh sebelum tanggal kunjungan.", "promise_date")
    return {"nomen": check_nomen(payload.get("nomen")), "periode": periode, "result": result,
            "visit_date": visit, "promise_date": promise, "note": text_value("note", payload.get("note"), MAX_NOTE)}


def promise_status(visit_date: dt.date, promise_date: dt.date, payments: list[dt.date], data_as_of: dt.date | None,
                   grace: int = GRACE_DAYS) -> str:
    """METRICS.md: *kept* when a payment of any kind is dated from the visit to the promised date
    plus ``grace`` days; *broken* when not kept and the data reach past that day; else *pending*."""
    deadline = promise_date + dt.timedelta(days=grace)
    if any(visit_date <= paid <= deadline for paid in payments):
        return "kept"
    if data_as_of is not None and data_as_of > deadline:
        return "broken"
    return "pending"
