"""Time: the database keeps naive UTC; a person sees and enters times in the branch's zone
(setting ``SUNTER_TIMEZONE``, default Asia/Jakarta, i.e. WIB)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Jakarta"


def now_utc() -> dt.datetime:
    """Now, as the database stores it: UTC without a zone."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def zone(name: str) -> ZoneInfo:
    """The named zone; ValueError when the name is not a zone (config.py says which setting)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (e.g. Asia/Jakarta)") from None


def local(moment: dt.datetime | None, zone_name: str = DEFAULT_TIMEZONE) -> dt.datetime | None:
    """A stored UTC time in the display zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(zone(zone_name))


def wall(moment: dt.datetime | str | None, zone_name: str = DEFAULT_TIMEZONE, seconds: bool = False) -> str | None:
    """A stored UTC time (a datetime, or the ISO text the API answers) as the branch's wall
    clock, with the zone's abbreviation: ``2025-12-01 14:03 WIB``."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.removesuffix("Z"))
    shown = local(moment, zone_name)
    return f"{shown:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {shown.tzname()}"
