"""Indonesian display formats: Rp 1.234.567, 85,12% (month names: domain/periodes.py)."""
from __future__ import annotations


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
