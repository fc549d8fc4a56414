"""Settings a person can change: each declared once with its environment variable, its
default, its bounds and its label. The environment gives the defaults (config.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass

Value = int | float | tuple[str, ...]


@dataclass(frozen=True)
class Setting:
    """A number with a minimum, or a list of codes (a tuple default: at least ``minimum`` codes)."""
    key: str  # the name in code and in the stored JSON, e.g. "extreme_m3"
    env: str  # the environment variable, e.g. "SUNTER_ANOMALY_EXTREME_M3"
    default: Value
    minimum: int | float
    label: str  # Indonesian, for the settings page and the docs
    maximum: int | float | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def parse(self, value: str | None) -> Value:
        """The value of a setting from its text (blank: the default); ValueError says why."""
        if value is None or str(value).strip() == "":
            return self.default
        text = str(value).strip()
        if self.kind is tuple:
            return self.check(tuple(code for code in re.split(r"[,;\s]+", text) if code))
        try:
            number = int(text) if self.kind is int else float(text.replace(",", "."))
        except ValueError:
            what = "a whole number" if self.kind is int else "a number"
            raise ValueError(f"{self.env} must be {what}, got {value!r}") from None
        return self.check(number)

    def check(self, value) -> Value:
        if self.kind is tuple:
            codes = tuple(value) if isinstance(value, (list, tuple)) else None
            if codes is None or not all(isinstance(c, str) and c.strip() for c in codes):
                raise ValueError(f"{self.env} must be a list of codes, got {value!r}")
            codes = tuple(dict.fromkeys(c.strip().upper() for c in codes))
            if len(codes) < self.minimum:
                raise ValueError(f"{self.env} needs at least {self.minimum} code(s)")
            return codes
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.env} must be a number, got {value!r}")
        if value < self.minimum:
            raise ValueError(f"{self.env} must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.env} must be at most {self.maximum}, got {value}")
        return self.kind(value)

    @property
    def hint(self) -> str:
        """What a value must look like, in Indonesian, for a refused one."""
        if self.kind is tuple:
            return "isi kode dipisah koma, mis. ACTUAL, SE"
        most = f", maksimal {self.shown(self.maximum)}" if self.maximum is not None else ""
        if self.kind is int:
            return f"isi bilangan bulat, minimal {self.minimum}{most}"
        return f"isi angka (mis. 2,5), minimal {self.shown(self.minimum)}{most}"

    def shown(self, value: Value) -> str:
        """The value as the settings page shows it (codes comma-separated, numbers Indonesian)."""
        if self.kind is tuple:
            return ", ".join(value)
        return str(value).replace(".", ",")


def anomaly_setting(key: str, default: int | float, minimum: int | float, label: str) -> Setting:
    return Setting(key, f"SUNTER_ANOMALY_{key.upper()}", default, minimum, label)


ACTUAL_READ_METHODS = Setting("actual_read_methods", "SUNTER_ACTUAL_READ_METHODS", ("ACTUAL",), 1,
                              "Kode metode baca yang dihitung sebagai baca aktual")


# Collection work (METRICS.md): the bills from which a non-paying customer is a disconnection
# candidate (N), and the days after a promised date a payment still keeps the promise (G).
DISCONNECT_BILLS = Setting("disconnect_bills", "SUNTER_DISCONNECT_BILLS", 3, 1,
                           "Calon segel: tunggakan minimal (rekening)")
PROMISE_GRACE_DAYS = Setting("promise_grace_days", "SUNTER_PROMISE_GRACE_DAYS", 3, 0,
                             "Janji bayar: hari toleransi sesudah tanggal janji")
# METRICS.md: the collection-rate goal of a periode (percent), unless an admin set one for it.
GOAL = Setting("goal", "SUNTER_GOAL", 90.0, 0, "Target collection rate bawaan (%) tiap periode", maximum=100)
OTHER_SETTINGS = (DISCONNECT_BILLS, PROMISE_GRACE_DAYS, GOAL)


def no_actual_reads(codes, actual) -> bool:
    """METRICS.md: read-method codes are given and none is one set as an actual read, so every
    reading counts as an estimate (both the upload result and the Meter card say so)."""
    codes = {c for c in codes if c}
    return bool(codes) and not codes & set(actual)
