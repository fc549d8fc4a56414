"""METRICS.md's month-end forecast of the collection rate, as arithmetic: given the periode's
target and paid so far, and the share f_k of their month's payments the usable earlier periodes
had collected by the same day, the forecast and its range. The reads are queries/forecast.py."""
from __future__ import annotations

import math
import statistics
from decimal import ROUND_HALF_UP, Decimal

MIN_PERIODES = 3  # usable periodes among P-1 ... P-6
LOOKBACK = 6
NO_HISTORY = "butuh minimal 3 bulan riwayat harian"
NO_PAYMENT = "belum ada pembayaran"
COMPLETE = "data bulan ini lengkap"
NO_TARGET = "belum ada data MC (target) periode ini"
ZERO_TARGET = "tidak ada tagihan (target MC) untuk pilihan ini"


def _whole(value: float) -> int:
    """Rounded half up to whole Rupiah."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def forecast(target: int, paid: int, fractions: list[float]) -> dict:
    """The forecast from the f_k of the usable periodes (each > 0): paid / median(f_k), low with
    max(f_k), high with min(f_k); rates in percent from the unrounded nominals (0 without a
    target), nominals rounded half up (INTERFACES.md's shape of ``forecast``)."""
    if len(fractions) < MIN_PERIODES:
        return {"forecast": None, "reason": NO_HISTORY}
    middle, low, high = (paid / f for f in (statistics.median(fractions), max(fractions), min(fractions)))

    def rate(value: float) -> float:
        return 100 * value / target if target else 0.0
    return {"forecast": {"rate": rate(middle), "low": rate(low), "high": rate(high), "nominal": _whole(middle),
                         "nominal_low": _whole(low), "nominal_high": _whole(high)}, "reason": None}


def gap(goal: float, target: int, paid: int) -> int:
    """METRICS.md: the Rupiah still to collect to reach the goal, max(0, ceil(goal x target / 100)
    - paid), in exact decimal arithmetic (85.5 % of Rp 1.234.567 is not left to a float)."""
    return max(0, math.ceil(Decimal(repr(float(goal))) * target / 100) - paid)


def known_gap(goal: float | None, target: int | None, paid: int | None) -> int | None:
    """The gap, or None when the goal, the target or what was paid is not known."""
    return None if goal is None or target is None or paid is None else gap(goal, target, paid)
