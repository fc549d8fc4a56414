"""A request for one page of a long list, whatever asked for it (a grid, the API): the sort
and the column filters in a neutral form that the queries turn into SQL."""
from __future__ import annotations

from dataclasses import dataclass

ALL_RAYONS = "semua"


def rayon_filter(rayon: str | None) -> str | None:
    """None for all rayons ("semua", "", None), else the rayon code."""
    if rayon is None or rayon.strip().lower() in ("", ALL_RAYONS, "all"):
        return None
    return rayon.strip()


@dataclass(frozen=True)
class Test:
    """One column test: ``test`` is contains, notContains, equals, notEqual, startsWith, endsWith
    (text), equals ... inRange (numbers), blank or notBlank."""
    field: str
    test: str
    value: str | float | None = None
    value_to: float | None = None


@dataclass(frozen=True)
class Group:
    """Tests joined by AND or OR."""
    operator: str
    parts: tuple["Test | Group", ...]


Sort = tuple[tuple[str, str], ...]  # ((field, "asc" | "desc"), ...)
Filters = tuple["Test | Group", ...]  # each must hold
