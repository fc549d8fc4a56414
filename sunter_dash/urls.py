"""Every link of the app is parsed and built here: the shell's view (``?periode=2025-12&rayon=34
&tab=tren``) and a tab's own parameters (``&nomen=...`` on the customer profile), always in the
shell's order (periode, rayon, tab, the tab's own), so the shell has nothing to rewrite."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from .domain.listing import ALL_RAYONS, rayon_filter

SHELL_PARAMS = ("periode", "rayon", "tab")


def params(search: str | None) -> dict[str, str]:
    """Every query parameter of a URL's search part (the first value of each)."""
    return {key: values[0] for key, values in parse_qs((search or "").lstrip("?")).items()}


def tab_params(search: str | None) -> dict[str, str]:
    """The query parameters that belong to the open tab (not periode, rayon, tab)."""
    return {key: value for key, value in params(search).items() if key not in SHELL_PARAMS}


def view(search: str | None, stored: list[str], rayons: list[str], tabs: list[str],
         default: str | None = None) -> tuple[str | None, str, str]:
    """(periode, rayon, tab) asked for by a query string, each falling back to its default
    (``default``, else the newest stored periode; all rayons; the first of ``tabs``) when absent
    or unknown."""
    asked = params(search)
    periode = asked.get("periode") if asked.get("periode") in stored else (default or (stored[0] if stored else None))
    rayon = asked.get("rayon") if asked.get("rayon") in rayons else ALL_RAYONS
    tab = asked.get("tab") if asked.get("tab") in tabs else tabs[0]
    return periode, rayon, tab


def link(periode: str | None, rayon: str | None, tab: str | None, default_tab: str | None = None, /,
         **extra: str | None) -> str:
    """A view's address; the default tab and "all rayons" are left out, as are empty values."""
    ordered = {"periode": periode, "rayon": rayon_filter(rayon),
               "tab": None if tab == default_tab else tab, **extra}
    found = {key: value for key, value in ordered.items() if value}
    return f"?{urlencode(found)}" if found else ""


def report_link(periode: str, rayon: str | None, fmt: str) -> str:
    """The monthly report of a periode (and a rayon) as a file of ``fmt`` (api.py serves it)."""
    rayon = rayon_filter(rayon)
    return f"/api/report/{periode}.{fmt}" + (f"?{urlencode({'rayon': rayon})}" if rayon else "")
