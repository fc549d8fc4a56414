"""Indonesian display formats: Rp 1.234.567, 85,12%, Desember 2025."""
from __future__ import annotations

MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{decimals}f}"
    # Swap English separators for Indonesian ones: 1,234.5 -> 1.234,5
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def rupiah(value: float | int | None) -> str:
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}Rp {number(abs(round(value)))}"


def percent(value: float | None, decimals: int = 2) -> str:
    return "-" if value is None else f"{number(value, decimals)}%"


def periode_label(periode: str | None) -> str:
    """'2025-12' -> 'Desember 2025'."""
    if not periode or len(periode) != 7:
        return periode or "-"
    return f"{MONTH_NAMES[int(periode[5:7]) - 1]} {periode[:4]}"
