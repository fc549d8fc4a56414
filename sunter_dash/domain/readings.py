"""What the meter checks look at: SBRS(P)'s readings beside the customer's earlier readings,
MC(P) and MAINBILL(P), as whole columns (numpy arrays aligned with the readings of P).

The flag engine (ingest/flags.py) reads the stored rows and builds a ``Readings``; each
check's ``evaluate`` takes what it compares from here. Decisions where METRICS.md leaves room
are in docs/ANOMALIES.md: looking back, a periode's reading of a customer is its last row;
the history is the customer's readings of the ``spike_history`` periodes before P.
"""
from __future__ import annotations

from functools import cached_property
from typing import Callable

import numpy as np
import pandas as pd

from .periodes import shift_periode


class Readings:
    def __init__(self, periode: str, thresholds, rows: pd.DataFrame, history: pd.DataFrame,
                 mc: pd.DataFrame, bills: pd.DataFrame, load: Callable[[str, str], pd.DataFrame] | None = None):
        """``rows``: SBRS(P), one row per reading; ``history``: the last reading per customer and
        periode before P (periode, nomen, stand_kini, volume, read_method); ``mc``: MC(P)'s
        inactive customers (column ``inactive``); ``bills``: MAINBILL(P) per customer, of those it
        marks (a correction, or more than one bill); both indexed by nomen, and all a check
        reads of them (ingest/flag_inputs.py's ``load_marked``; empty for a file none of the checks
        being run needs); ``load(file_type, periode)``: the stored rows of any other file a check
        needs."""
        self.periode, self.thresholds = periode, thresholds
        self.rows, self._history, self.mc, self.bills = rows, history, mc, bills
        self._load = load
        self._earlier: dict[int, tuple[pd.DataFrame, np.ndarray]] = {}  # previous(back), aligned
        self.read_history = False  # whether anything asked for the earlier readings
        # METRICS.md: the read-method codes that are actual reads are a setting.
        self.actual_codes = frozenset(thresholds.actual_read_methods)

    def frame(self, file_type: str, back: int = 0) -> pd.DataFrame:
        """The stored rows of ``file_type`` for P - ``back`` (a check reading another file)."""
        if self._load is None:
            raise LookupError(f"no loader for {file_type}")
        return self._load(file_type, shift_periode(self.periode, -back))

    # --- this periode's readings ---------------------------------------------------------------

    @cached_property
    def nomen(self) -> pd.Series:
        return self.rows["nomen"]

    @cached_property
    def volume(self) -> np.ndarray:
        return self.rows["volume"].astype("int64").to_numpy()

    @cached_property
    def stand_lalu(self) -> np.ndarray:
        return self.rows["stand_lalu"].astype("int64").to_numpy()

    @cached_property
    def stand_kini(self) -> np.ndarray:
        return self.rows["stand_kini"].astype("int64").to_numpy()

    @cached_property
    def difference(self) -> np.ndarray:
        """STAND_KINI - STAND_LALU."""
        return self.stand_kini - self.stand_lalu

    @cached_property
    def stated(self) -> np.ndarray:
        """Whether the file states PAKAI."""
        return self.rows["pakai"].astype("Float64").notna().to_numpy(dtype=bool)

    @cached_property
    def pakai(self) -> np.ndarray:
        """The stated PAKAI (0 where not stated)."""
        return self.rows["pakai"].astype("Float64").fillna(0).to_numpy(dtype="int64")

    @cached_property
    def method(self) -> pd.Series:
        return self.rows["read_method"]

    @cached_property
    def is_actual(self) -> np.ndarray:
        return self.method.isin(self.actual_codes).to_numpy(dtype=bool)

    @cached_property
    def trouble(self) -> np.ndarray:
        return self.rows["trouble_code"].notna().to_numpy(dtype=bool)

    @cached_property
    def bill_amount(self) -> pd.Series:
        return self.rows["bill_amount"].astype("Float64")

    # --- looking back --------------------------------------------------------------------------

    @property
    def history(self) -> pd.DataFrame:
        self.read_history = True
        return self._history

    def previous(self, back: int) -> pd.DataFrame:
        """The last reading of each customer ``back`` periodes before P, indexed by nomen."""
        return self._previous(back)[0]

    def _previous(self, back: int) -> tuple[pd.DataFrame, np.ndarray]:
        """previous(back), and the row of it of each reading's customer (-1: none)."""
        if back not in self._earlier:
            self.read_history = True
            earlier = self.history[self.history["periode"] == shift_periode(self.periode, -back)]
            earlier = earlier.drop_duplicates("nomen", keep="last").set_index("nomen")
            self._earlier[back] = earlier, self._positions(earlier.index)
        return self._earlier[back]

    def _positions(self, index: pd.Index) -> np.ndarray:
        return index.get_indexer(self.nomen)

    @staticmethod
    def _aligned(column: pd.Series, positions: np.ndarray, missing) -> np.ndarray:
        """The column's value for each reading (``positions``: its row of the column), else ``missing``."""
        values = column.to_numpy()
        if not len(values):
            return np.full(len(positions), missing)
        return np.where(positions >= 0, values[np.maximum(positions, 0)], missing)

    def _previous_column(self, column: str) -> pd.Series:
        earlier, positions = self._previous(1)
        values = self._aligned(earlier[column].astype("float64"), positions, np.nan)
        return pd.Series(values, index=self.rows.index).astype("Float64")

    @cached_property
    def prev_volume_or_na(self) -> pd.Series:
        return self._previous_column("volume")

    @cached_property
    def prev_kini_or_na(self) -> pd.Series:
        return self._previous_column("stand_kini")

    @cached_property
    def has_prev(self) -> np.ndarray:
        return self.prev_volume_or_na.notna().to_numpy(dtype=bool)

    @cached_property
    def prev_volume(self) -> np.ndarray:
        return self.prev_volume_or_na.fillna(0).to_numpy(dtype="int64")

    @cached_property
    def prev_kini(self) -> np.ndarray:
        return self.prev_kini_or_na.fillna(0).to_numpy(dtype="int64")

    @cached_property
    def _history_stats(self) -> tuple[pd.DataFrame, np.ndarray]:
        self.read_history = True
        window = self.history[(self.history["periode"] < self.periode) & (
            self.history["periode"] >= shift_periode(self.periode, -self.thresholds.spike_history))]
        stats = window.groupby("nomen")["volume"].agg(["median", "count"])
        return stats, self._positions(stats.index)

    @cached_property
    def median(self) -> np.ndarray:
        """The median volume of the customer's history (NaN without one)."""
        stats, positions = self._history_stats
        return self._aligned(stats["median"].astype("float64"), positions, np.nan)

    @cached_property
    def history_count(self) -> np.ndarray:
        """How many readings the customer's history holds."""
        stats, positions = self._history_stats
        return self._aligned(stats["count"], positions, 0)

    @cached_property
    def against_expected(self) -> np.ndarray:
        """volume minus the expected volume: the history's median, else P-1's volume."""
        expected = np.where(self.history_count >= 1, self.median,
                            np.where(self.has_prev, self.prev_volume, np.nan))
        return self.volume - expected

    def zero_actual_before(self, back: int) -> np.ndarray:
        """Whether the customer's reading ``back`` periodes before P was an actual read of 0 m3."""
        earlier, positions = self._previous(back)
        zero = (earlier["volume"] == 0) & earlier["read_method"].isin(self.actual_codes)
        return self._aligned(zero.astype(bool), positions, False).astype(bool)

    # --- the customer's MC(P) ----------------------------------------------------------------

    def mc_flag(self, column: str) -> np.ndarray:
        """A 0/1 column of MC(P) per reading, as booleans (customers not in MC(P): False)."""
        return self.nomen.map(self.mc[column]).fillna(0).to_numpy() == 1
