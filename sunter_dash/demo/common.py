"""Periode arithmetic and vectorised (pyarrow) string helpers shared by the demo modules."""
from __future__ import annotations

import calendar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


# --------------------------------------------------------------------------
# Periode helpers (a periode is a month index: year * 12 + month - 1)
# --------------------------------------------------------------------------
def parse_periode(value) -> int:
    text = str(value).strip()
    digits = text.replace("-", "").replace("/", "")
    if len(digits) != 6 or not digits.isdigit():
        raise ValueError(f"end_periode must look like 'YYYY-MM', got {value!r}")
    year, month = int(digits[:4]), int(digits[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"end_periode has no month {month}: {value!r}")
    return year * 12 + month - 1


def ym(mi: int) -> tuple[int, int]:
    return mi // 12, mi % 12 + 1


def month_start(mi: int) -> np.datetime64:
    y, m = ym(mi)
    return np.datetime64(f"{y:04d}-{m:02d}-01", "D")


def days_in(mi: int) -> int:
    return calendar.monthrange(*ym(mi))[1]


def mmyyyy(mi: int) -> str:
    y, m = ym(mi)
    return f"{m:02d}{y:04d}"


def yyyymm(mi: int) -> str:
    y, m = ym(mi)
    return f"{y:04d}{m:02d}"


def weekday(dates: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for datetime64[D] values."""
    return (dates.astype(np.int64) + 3) % 7


def seed_count(n: int, rate: float, minimum: int = 2) -> int:
    return max(minimum, int(round(n * rate)))


# --------------------------------------------------------------------------
# String helpers (pyarrow, vectorised)
# --------------------------------------------------------------------------
PAD2 = pa.array([f"{i:02d}" for i in range(100)])


def join(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and str scalars (null if any is null)."""
    return pc.binary_join_element_wise(*parts, "")


def num_str(values) -> pa.Array:
    """Integers (numpy) -> decimal strings."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def pick(words: np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(words.tolist()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def zpad(values, width: int) -> pa.Array:
    return pc.utf8_lpad(num_str(values), width, "0")


def _ymd(dates: np.ndarray):
    months = dates.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def fmt_date(dates: np.ndarray, sep: str) -> pa.Array:
    """datetime64[D] -> 'dd<sep>mm<sep>yyyy'."""
    year, month, day = _ymd(dates)
    return join(PAD2.take(pa.array(day)), sep, PAD2.take(pa.array(month)), sep, num_str(year))


def concat_bytes(arr: pa.Array) -> bytes:
    """All strings of a (null-free) string array, concatenated, via its data buffer."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return b""
    if arr.null_count:
        raise ValueError("null in text to write")
    wide = pa.types.is_large_string(arr.type)
    itemsize = 8 if wide else 4
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if wide else np.int32,
                            count=len(arr) + 1, offset=arr.offset * itemsize)
    return arr.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()
