"""The meter-reading checks of METRICS.md, in its order: one ``Check`` each (domain/checks.py).

Each evaluation returns the flagged readings of P and the volume in question (docs/ANOMALIES.md
says which): against the expected volume for most, against P-1's for drop, the negative
difference for negative, the gap between stands for misrecord, the whole volume for
inactive_use. A rebill has no volume; its money at stake is the negative Bill_Amount.
"""
from __future__ import annotations

import numpy as np

from .checks import AnyOf, Check, Hit, Need, register
from .readings import Readings
from .settings import ACTUAL_READ_METHODS, anomaly_setting

# MC statuses of a customer that is not active, and MAINBILL kinds of a corrected bill (METRICS.md).
INACTIVE = ("NONAKTIF", "NON AKTIF", "NON-AKTIF", "PUTUS", "TUTUP", "INACTIVE", "CLOSED")
CORRECTIONS = ("REBILL", "KOREKSI")


def _extreme(r: Readings, t) -> Hit:
    return Hit(r.volume > t.extreme_m3, r.against_expected)


def _drop_mask(r: Readings, t) -> np.ndarray:
    # METRICS.md: drop needs volume(P-1) > 0; no P-1 reading, no comparison.
    return r.has_prev & (r.prev_volume > 0) & (r.volume * 100 < r.prev_volume * t.drop_percent)


def _drop(r: Readings, t) -> Hit:
    return Hit(_drop_mask(r, t), (r.volume - r.prev_volume).astype("float64"))


def _zero(r: Readings, t) -> Hit:
    return Hit(r.volume == 0, r.against_expected)


def _negative(r: Readings, t) -> Hit:
    mask = (r.difference < 0) | (r.stated & (r.pakai < 0))
    return Hit(mask, np.where(r.difference < 0, r.difference, r.pakai).astype("float64"))


def _misrecord(r: Readings, t) -> Hit:
    against_prev = r.has_prev & (r.stand_lalu != r.prev_kini)
    against_stated = r.stated & (r.difference >= 0) & (r.pakai != r.difference)
    delta = np.where(against_prev, r.stand_lalu - r.prev_kini, r.pakai - r.difference)
    return Hit(against_prev | against_stated, delta.astype("float64"))


def _rebill(r: Readings, t) -> Hit:
    own = ((r.bill_amount < 0).fillna(False).to_numpy(dtype=bool)
           | r.rows["special_msg"].fillna("").str.contains("REBILL", regex=False).to_numpy(dtype=bool))
    # MAINBILL(P): a REBILL or KOREKSI bill, or more than one bill of the customer for P;
    # counted even when SBRS(P) is missing.
    bills = r.bills
    marked = bills.index[((bills["corrected"] == 1) | (bills["bills"] > 1)).to_numpy()].tolist()
    stake = (-r.bill_amount).where(r.bill_amount < 0).astype("float64").to_numpy()
    return Hit(own, np.full(len(r.rows), np.nan), stake=stake, extra=marked)


def _estimated(r: Readings, t) -> Hit:
    return Hit(r.method.notna().to_numpy(dtype=bool) & ~r.is_actual, r.against_expected)


def _spike(r: Readings, t) -> Hit:
    with np.errstate(invalid="ignore"):
        mask = ((r.history_count >= t.spike_min_readings) & (r.volume > t.spike_factor * r.median)
                & (r.volume - r.median >= t.spike_min_m3))
    return Hit(np.asarray(mask, dtype=bool), r.against_expected)


def _stuck(r: Readings, t) -> Hit:
    mask = (r.volume == 0) & r.is_actual
    for back in range(1, t.stuck_periodes):
        mask &= r.zero_actual_before(back)
    return Hit(mask, r.against_expected)


def _inactive_use(r: Readings, t) -> Hit:
    return Hit((r.volume > 0) & r.mc_flag("inactive"), r.volume.astype("float64"))


def _tamper(r: Readings, t) -> Hit:
    return Hit(r.trouble & ((r.volume == 0) | _drop_mask(r, t)), r.against_expected)


def _with_previous(t):
    return (Need("SBRS"), Need("SBRS", 1))


for _check in (
    Check("extreme", "Pemakaian Ekstrem", "bi-graph-up-arrow", "volume > {extreme_m3} m3", _extreme,
          settings=(anomaly_setting("extreme_m3", 100, 0, "Pemakaian ekstrem di atas (m³)"),)),
    Check("drop", "Pemakaian Turun", "bi-graph-down-arrow",
          "SBRS(P-1) has the customer with volume > 0 and volume(P) < {drop_percent} % of it", _drop,
          needs=_with_previous,
          settings=(anomaly_setting("drop_percent", 50, 1, "Pemakaian turun di bawah (% bulan lalu)"),)),
    Check("zero", "Pemakaian Nol", "bi-0-circle", "volume = 0", _zero),
    Check("negative", "Stand Negatif", "bi-dash-circle", "STAND_KINI < STAND_LALU, or a stated PAKAI < 0",
          _negative),
    Check("misrecord", "Salah Catat", "bi-pencil-square",
          "STAND_LALU(P) differs from STAND_KINI(P-1), or a stated PAKAI differs from STAND_KINI - STAND_LALU "
          "when that is >= 0", _misrecord, needs=_with_previous),
    Check("rebill", "Rebill", "bi-receipt",
          "SBRS(P): Bill_Amount < 0 or a special message containing REBILL; MAINBILL(P): JENIS_REK "
          + " or ".join(CORRECTIONS) + ", or more than one bill for P", _rebill, needs=lambda t: (AnyOf((Need("SBRS"), Need("MAINBILL"))),)),
    Check("estimated", "Bukan Baca Aktual", "bi-eye-slash",
          "a read method is given and it is not one of the codes set as actual reads ({actual_read_methods})",
          _estimated, settings=(ACTUAL_READ_METHODS,)),
    Check("spike", "Lonjakan vs Riwayat", "bi-lightning",
          "volume > {spike_factor} x the median of the customer's readings in the {spike_history} periodes before P "
          "(at least {spike_min_readings} of them) and volume - median >= {spike_min_m3} m3",
          _spike,
          needs=lambda t: (Need("SBRS"), AnyOf(tuple(Need("SBRS", b) for b in range(1, t.spike_history + 1)),
                                               t.spike_min_readings)),
          settings=(anomaly_setting("spike_factor", 2.0, 1.0, "Lonjakan: kali median riwayat"),
                    anomaly_setting("spike_min_m3", 10, 0, "Lonjakan: minimal di atas median (m³)"),
                    anomaly_setting("spike_history", 6, 1, "Lonjakan: periode riwayat"),
                    anomaly_setting("spike_min_readings", 3, 1, "Lonjakan: minimal pembacaan riwayat"))),
    Check("stuck", "Meter Macet", "bi-pause-circle",
          "volume 0 on actual reads ({actual_read_methods}) in P and the periodes before it, {stuck_periodes} in all", _stuck,
          needs=lambda t: tuple(Need("SBRS", b) for b in range(t.stuck_periodes)),
          settings=(anomaly_setting("stuck_periodes", 3, 2, "Meter macet: periode berturut-turut"),
                    ACTUAL_READ_METHODS)),
    Check("inactive_use", "Pakai Saat Nonaktif", "bi-plug",
          "volume > 0 while MC(P) gives a status of " + ", ".join(INACTIVE), _inactive_use,
          needs=lambda t: (Need("SBRS"), Need("MC")), marked_by="MC"),
    Check("tamper", "Indikasi Pelanggaran", "bi-shield-exclamation",
          "a trouble code (cmr_trbl1_code) and volume 0 or a drop", _tamper),
):
    register(_check)
