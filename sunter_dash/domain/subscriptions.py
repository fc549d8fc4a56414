"""E-mail subscriptions as rules: the kinds, who may receive them, when a send is due and how a
failed one is tried again. The reads, the sending and the records are services/subscriptions.py.

A send is due when its scheduled WIB day has come and no successful send exists for that
subscription and day (daily) or periode (monthly: the previous periode's report), so a second
run sends nothing and a machine that was down catches up on its first run."""
from __future__ import annotations

import datetime as dt
import re

from .errors import BadParameter
from .periodes import shift_periode

DAILY = "daily"
MONTHLY = "monthly"
KINDS = {DAILY: "Ringkasan harian", MONTHLY: "Laporan bulanan"}
RETRIES = 3  # a failed send is tried again this many times ...
RETRY_MINUTES = 10  # ... this far apart
STALE_MINUTES = 30  # a send claimed this long ago and never finished (a killed process) is tried again
MAX_RECIPIENTS = 20
LAST_DAY = 28  # a monthly send's day: 1-28, so that every month has it

SENDING, SENT, FAILED, GAVE_UP = "sending", "sent", "failed", "gave_up"
STATUS_LABELS = {SENDING: "Sedang dikirim", SENT: "Terkirim", FAILED: "Gagal, dicoba lagi", GAVE_UP: "Gagal"}

ADDRESS = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def recipients(text: str | None) -> tuple[str, ...]:
    """The addresses of a comma-, semicolon- or space-separated list; BadParameter names a bad one."""
    found = tuple(dict.fromkeys(a.strip().lower() for a in re.split(r"[,;\s]+", text or "") if a.strip()))
    if not found:
        raise BadParameter("Isi minimal satu alamat e-mail penerima.", "At least one recipient is required.",
                           field="recipients")
    for address in found:
        if len(address) > 254 or not ADDRESS.match(address):
            raise BadParameter(f"'{address}' bukan alamat e-mail; tulis seperti nama@pamjaya.co.id, dipisah koma.",
                               f"{address!r} is not an e-mail address.", field="recipients")
    if len(found) > MAX_RECIPIENTS:
        raise BadParameter(f"Paling banyak {MAX_RECIPIENTS} penerima per langganan.",
                           f"At most {MAX_RECIPIENTS} recipients per subscription.", field="recipients")
    return found


def check_day(kind: str, day) -> int | None:
    """The monthly send's day of month (1-28); None for a daily one."""
    if kind not in KINDS:
        raise BadParameter(f"Jenis langganan harus {' atau '.join(f'{v} ({k})' for k, v in KINDS.items())}, "
                           f"bukan {kind!r}.",
                           f"Kind must be one of {', '.join(KINDS)}, got {kind!r}.", field="kind")
    if kind == DAILY:
        return None
    try:
        number = int(str(day).strip())
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= LAST_DAY:
        raise BadParameter(f"Tanggal kirim laporan bulanan harus 1 sampai {LAST_DAY}, bukan {day!r}.",
                           f"The monthly day must be 1-{LAST_DAY}, got {day!r}.", field="day")
    return number


def due(kind: str, day: int | None, today: dt.date) -> str | None:
    """What a send of this subscription is for on ``today`` (WIB): the day itself (daily), or the
    previous periode once the chosen day of this month has come (monthly); None when not yet."""
    if kind == DAILY:
        return today.isoformat()
    if today.day < (day or 1):
        return None
    return shift_periode(today.strftime("%Y-%m"), -1)


def retry_at(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When a send that failed ``attempts`` times is tried again; None: it gives up."""
    return now + dt.timedelta(minutes=RETRY_MINUTES) if attempts <= RETRIES else None
