"""The grid edge: AG Grid's sort and filter models (and the API's ``sort``/``filters``
parameters, which take the same form) turned into the neutral list request of
domain/listing.py, refused with BadParameter when a field or a test is unknown."""
from __future__ import annotations

import json

from .domain.errors import BadParameter
from .domain.listing import Filters, Group, Sort, Test
from .domain.text import is_text_everywhere

TEXT_TESTS = frozenset({"contains", "notContains", "equals", "notEqual", "startsWith", "endsWith"})
NUMBER_TESTS = frozenset({"equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan",
                          "greaterThanOrEqual", "inRange"})
MAX_DEPTH = 8


def _bad(detail: str, message: str, field: str = "filters") -> BadParameter:
    return BadParameter(message, detail, field=field)


def parse_sort(text: str | None, fields: dict[str, str], default: str) -> Sort:
    """"volume:desc,nomen" -> (("volume", "desc"), ("nomen", "asc")); unknown fields refused."""
    order = []
    for part in (text or default).split(","):
        field, _, direction = part.strip().partition(":")
        direction = (direction or "asc").lower()
        if field not in fields or direction not in ("asc", "desc"):
            raise _bad(f"Parameter sort: cannot sort by {part.strip()!r}: use field:asc or field:desc with a field "
                       f"of {', '.join(fields)}.", f"Urutan {part.strip()!r} tidak dikenal.", "sort")
        order.append((field, direction))
    return tuple(order)


def sort_from_grid(sort_model: list[dict] | None, fields: dict[str, str]) -> str | None:
    """AG Grid's sortModel as the API's ``sort`` text (columns it cannot sort are left out)."""
    parts = [f"{s['colId']}:{s['sort']}" for s in sort_model or [] if s.get("colId") in fields]
    return ",".join(parts) or None


def filters_text(filter_model: dict | None) -> str | None:
    """AG Grid's filterModel as canonical JSON (the API's ``filters`` parameter)."""
    return json.dumps(filter_model, sort_keys=True) if filter_model else None


def parse_filters(text: str | None, fields: dict[str, str]) -> Filters:
    """AG Grid's filter model (JSON) -> tests; ``fields``: field -> "text" or "number"."""
    try:
        model = json.loads(text) if text else {}
    except (ValueError, RecursionError):  # not JSON, or nested past any filter (json's own limit)
        model = None
    if not is_text_everywhere(model):
        model = None
    if not isinstance(model, dict):
        raise _bad("Parameter filters: filters must be a JSON object of AG Grid filter models.",
                   "Saringan tidak dapat dibaca.")
    out = []
    for field, condition in model.items():
        if field not in fields or not isinstance(condition, dict):
            raise _bad(f"Parameter filters: cannot filter on {field!r}.", f"Kolom {field!r} tidak dapat disaring.")
        out.append(_condition(field, fields[field], condition, 0))
    return tuple(out)


def _condition(field: str, kind: str, model: dict, depth: int) -> Test | Group:
    if "conditions" in model:
        parts = model["conditions"]
        if depth >= MAX_DEPTH or not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise _bad(f"Parameter filters: conditions on {field} must be a list of filter models.",
                       f"Saringan kolom {field} tidak dapat dibaca.")
        operator = "AND" if str(model.get("operator", "AND")).upper() == "AND" else "OR"
        return Group(operator, tuple(_condition(field, kind, p, depth + 1) for p in parts))
    test = model.get("type")
    if test in ("blank", "notBlank"):
        return Test(field, test)
    if kind == "number":
        try:
            value = float(model.get("filter"))
            to = float(model["filterTo"]) if test == "inRange" else None
        except (TypeError, ValueError, KeyError):
            raise _bad(f"Parameter filters: filter on {field} needs a number.",
                       f"Saringan kolom {field} perlu angka.") from None
        if test not in NUMBER_TESTS:
            raise _bad(f"Parameter filters: unknown number filter {test!r} on {field}.",
                       f"Jenis saringan {test!r} tidak dikenal.")
        return Test(field, test, value, to)
    value = model.get("filter")
    if test not in TEXT_TESTS or not isinstance(value, (str, int, float)):
        raise _bad(f"Parameter filters: unknown text filter {test!r} on {field}.",
                   f"Jenis saringan {test!r} tidak dikenal.")
    return Test(field, test, str(value))
