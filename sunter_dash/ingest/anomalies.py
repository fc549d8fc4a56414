"""Meter-reading anomalies (METRICS.md) and the customer directory, kept with the summaries.

Work in progress: the rules are being filled in.
"""
from __future__ import annotations

from sqlalchemy.engine import Connection

# key -> name shown in the UI, in METRICS.md's order.
ANOMALIES = {
    "extreme": "Pemakaian Ekstrem",
    "drop": "Pemakaian Turun",
    "zero": "Pemakaian Nol",
    "negative": "Stand Negatif",
    "misrecord": "Salah Catat",
    "rebill": "Rebill",
    "estimated": "Bukan Baca Aktual",
    "spike": "Lonjakan vs Riwayat",
    "stuck": "Meter Macet",
    "inactive_use": "Pakai Saat Nonaktif",
    "tamper": "Indikasi Pelanggaran",
}


def refresh(conn: Connection, file_type: str | None, periodes: list[str]) -> None:
    pass


def rebuild_all(conn: Connection) -> None:
    pass
