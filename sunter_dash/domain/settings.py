"""Settings a person can change: each declared once with its environment variable, its
default, its bounds and its label. The environment gives the defaults (config.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    key: str  # the name in code and in the stored JSON, e.g. "extreme_m3"
    env: str  # the environment variable, e.g. "SUNTER_ANOMALY_EXTREME_M3"
    default: int | float
    minimum: int | float
    label: str  # Indonesian, for the settings page and the docs

    @property
    def kind(self) -> type:
        return type(self.default)

    def parse(self, value: str | None) -> int | float:
        """The value of a setting from its text (blank: the default); ValueError says why."""
        if value is None or str(value).strip() == "":
            return self.default
        text = str(value).strip()
        try:
            number = int(text) if self.kind is int else float(text.replace(",", "."))
        except ValueError:
            what = "a whole number" if self.kind is int else "a number"
            raise ValueError(f"{self.env} must be {what}, got {value!r}") from None
        return self.check(number)

    def check(self, number: int | float) -> int | float:
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"{self.env} must be a number, got {number!r}")
        if number < self.minimum:
            raise ValueError(f"{self.env} must be at least {self.minimum}, got {number}")
        return self.kind(number)


def anomaly_setting(key: str, default: int | float, minimum: int | float, label: str) -> Setting:
    return Setting(key, f"SUNTER_ANOMALY_{key.upper()}", default, minimum, label)
