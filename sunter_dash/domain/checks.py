"""The catalogue of meter-reading checks (METRICS.md): one ``Check`` per anomaly key.

A check declares its key, its name and icon in the UI, the data it needs, its thresholds
and its evaluation. Everything that lists checks (the flag engine, the Meter cards, the
"missing data" of each card, the API's enum, the docs table) is derived from ``checks()``,
so adding a check is one entry in ``meter_checks.py`` plus its test.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from .settings import OTHER_SETTINGS, Setting


@dataclass(frozen=True)
class Need:
    """A stored file the check reads: ``file_type`` of ``back`` periodes before P."""
    file_type: str
    back: int = 0


@dataclass(frozen=True)
class AnyOf:
    """At least ``at_least`` of these files (rebill: SBRS or MAINBILL; spike: enough history)."""
    needs: tuple[Need, ...]
    at_least: int = 1


Needs = tuple  # of Need and AnyOf


@dataclass
class Hit:
    """What a check found among the readings of P.

    ``mask``: the flagged readings; ``delta``: the volume in question per reading (m3);
    ``stake``: the money at stake per reading when the check says it itself (else
    |delta| x price); ``extra``: customers flagged from other data than a reading of P."""
    mask: np.ndarray
    delta: np.ndarray
    stake: np.ndarray | None = None
    extra: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    key: str
    name: str  # shown in the UI (METRICS.md's "name (UI)")
    icon: str  # a Bootstrap icon
    rule: str  # when a customer is flagged, in words (English, for the docs table; {setting} is its value)
    evaluate: Callable[["object", "Thresholds"], Hit]  # (readings.Readings, thresholds) -> Hit
    needs: Callable[["Thresholds"], Needs] = lambda t: (Need("SBRS"),)
    settings: tuple[Setting, ...] = ()
    # "MC" or "MAINBILL" (one of its needs) when the check can flag only the customers that file
    # marks (Readings.mc / bills) and decides each from that customer's own data: a change of
    # that file then re-reads only their readings (ingest/flags.py).
    marked_by: str | None = None
    # False for a check that decides a customer from other customers' readings too (a route's
    # median, say): a change of some customers' readings then recomputes whole periodes.
    per_customer: bool = True

    def flat_needs(self, thresholds: "Thresholds") -> list[Need]:
        out: list[Need] = []
        for need in self.needs(thresholds):
            out.extend(need.needs if isinstance(need, AnyOf) else (need,))
        return out

    def missing(self, thresholds: "Thresholds", stored: Callable[[Need], bool]) -> list[Need]:
        """The needs not stored that keep the check from a full count (none: it can run)."""
        missing: list[Need] = []
        for need in self.needs(thresholds):
            if isinstance(need, AnyOf):
                absent = [n for n in need.needs if not stored(n)]
                if len(need.needs) - len(absent) < need.at_least:
                    missing.extend(absent)
            elif not stored(need):
                missing.append(need)
        return missing

    def runnable(self, thresholds: "Thresholds", types_of_p: set[str]) -> bool:
        """Whether the files stored for P itself let the check flag anyone."""
        def stored(need: Need) -> bool:
            return need.back != 0 or need.file_type in types_of_p
        return not any(need.back == 0 for need in self.missing(thresholds, stored))


_CHECKS: list[Check] = []
KEY_LENGTH = 16  # a key is stored with every flag (meter_flag.flag)
MARKING_FILES = ("MC", "MAINBILL")  # the files whose marked customers Readings holds
MAX_CHECKS = 62  # ingest/flags.py joins a customer's checks from the bits of one 64-bit number


def register(check: Check) -> Check:
    if not check.key.isidentifier() or len(check.key) > KEY_LENGTH:
        raise ValueError(f"a check key is a name of at most {KEY_LENGTH} characters, not {check.key!r}")
    if any(c.key == check.key for c in _CHECKS):
        raise ValueError(f"a check {check.key!r} is registered already")
    if check.marked_by is not None and (check.marked_by not in MARKING_FILES or check.marked_by not in {
            n.file_type for n in check.flat_needs(Thresholds())}):
        raise ValueError(f"marked_by is one of {MARKING_FILES} that the check needs, not {check.marked_by!r}")
    if len(_CHECKS) >= MAX_CHECKS:
        raise ValueError(f"at most {MAX_CHECKS} checks")
    _CHECKS.append(check)
    return check


@contextmanager
def registered(check: Check) -> Iterator[Check]:
    """A check added for a while (tests)."""
    register(check)
    try:
        yield check
    finally:
        _CHECKS.remove(check)


def checks() -> tuple[Check, ...]:
    return tuple(_CHECKS)


def check(key: str) -> Check:
    found = next((c for c in _CHECKS if c.key == key), None)
    if found is None:
        raise KeyError(key)
    return found


def direction(delta_m3: float | None) -> str:
    """Which way the money at stake goes (docs/ANOMALIES.md): a negative Selisih is water used
    but possibly not billed, a positive one water billed beyond the usual."""
    if not delta_m3 or delta_m3 != delta_m3:  # none, zero or NaN (an empty cell of a frame)
        return ""
    return "kurang tagih" if delta_m3 < 0 else "lebih tagih"


def names() -> dict[str, str]:
    """key -> name in the UI, in catalogue order."""
    return {c.key: c.name for c in _CHECKS}


def lookback(thresholds: "Thresholds", file_type: str = "SBRS") -> int:
    """How many periodes back any check of P reads ``file_type`` (at least 1 for SBRS)."""
    backs = [n.back for c in _CHECKS for n in c.flat_needs(thresholds) if n.file_type == file_type]
    return max(backs + [1 if file_type == "SBRS" else 0])


def inputs() -> set[str]:
    """Every file type some check reads."""
    t = Thresholds()
    return {n.file_type for c in _CHECKS for n in c.flat_needs(t)}


def markdown_table() -> str:
    """The docs table of the checks (docs/ANOMALIES.md holds it; a test keeps it in step)."""
    lines = ["| key | Meter card | flagged when (defaults) |", "| --- | --- | --- |"]
    defaults = {s.key: ", ".join(s.default) if s.kind is tuple else s.default for s in Thresholds.settings()}
    lines += [f"| `{c.key}` | {c.name} | {c.rule.format(**defaults)} |" for c in _CHECKS]
    return "\n".join(lines)


def _known() -> dict[str, Setting]:
    """key -> Setting: every check's, then the others (collection work)."""
    return {**{s.key: s for c in _CHECKS for s in c.settings}, **{s.key: s for s in OTHER_SETTINGS}}


class Thresholds:
    """The values of every setting an admin may change: every registered check's, and the other
    settings of domain/settings.py (defaults where not given)."""

    def __init__(self, **values):
        known = _known()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise TypeError(f"unknown threshold(s): {', '.join(unknown)}")
        self._values = {key: setting.check(values[key]) if key in values else setting.default
                        for key, setting in known.items()}

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Thresholds":
        """ValueError names the variable with an unusable value."""
        known = _known()
        return cls(**{key: s.parse(env.get(s.env)) for key, s in known.items()})

    @classmethod
    def from_stored(cls, stored: dict) -> "Thresholds":
        """Stored values; keys of checks no longer registered are left out."""
        known = set(_known())
        return cls(**{k: v for k, v in stored.items() if k in known})

    @staticmethod
    def settings() -> list[Setting]:
        """Every check's settings, once each (two checks may share one), then the other settings an
        admin may change (domain/settings.py's OTHER_SETTINGS)."""
        return list(_known().values())

    def flagging(self) -> dict:
        """The values the meter checks compute with (a change to these recomputes the flags)."""
        keys = {s.key for c in _CHECKS for s in c.settings}
        return {k: v for k, v in self.as_dict().items() if k in keys}

    def as_dict(self) -> dict:
        """The values as JSON keeps them (codes as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._values.items()}

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __eq__(self, other) -> bool:
        return isinstance(other, Thresholds) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __repr__(self) -> str:
        return f"Thresholds({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"
