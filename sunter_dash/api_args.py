"""What an API request may carry, read and checked once: periodes, rayons, whole numbers within
their limits (domain/params.py, which openapi.py describes), the collection lists' filters, and a
JSON body. A value out of shape is a BadParameter naming its parameter (a 400); a collection
filter a petugas may not use is Forbidden (a 403, services/scope.py)."""
from __future__ import annotations

import re

from flask import request

from .auth import current_actor
from .domain.errors import BadParameter
from .domain.listing import rayon_filter
from .domain.params import COLLECTION_SORTS, LIMITS, NOMEN_PATTERN, PCEZ_PATTERN, PETUGAS_MAX, RAYON_PATTERN
from .domain.periodes import valid_periode
from .domain.text import is_text, is_text_everywhere
from .extensions import app_engine
from .services import scope

RAYON = re.compile(RAYON_PATTERN)
NOMEN = re.compile(NOMEN_PATTERN)
PCEZ = re.compile(PCEZ_PATTERN)


def periode_arg(name: str = "periode", required: bool = True) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        if required:
            raise BadParameter(f"Parameter '{name}' wajib diisi, berbentuk YYYY-MM (mis. 2025-12).",
                               f"Parameter '{name}' is required, in the form YYYY-MM (e.g. 2025-12).", field=name)
        return None
    if not valid_periode(value):
        raise BadParameter(f"Parameter '{name}' harus berbentuk YYYY-MM (mis. 2025-12), bukan {value!r}.",
                           f"Parameter '{name}' must be YYYY-MM (e.g. 2025-12), got {value!r}.", field=name)
    return value


def rayon_arg() -> str | None:
    value = request.args.get("rayon", "").strip()
    if rayon_filter(value) is None:
        return None
    if not RAYON.match(value):
        raise BadParameter(f"Parameter 'rayon' harus kode rayon seperti 34, bukan {value!r}.",
                           f"Parameter 'rayon' must be a rayon code such as 34, got {value!r}.", field="rayon")
    return value


def int_arg(name: str, limits: str) -> int:
    """A whole-number parameter within its LIMITS (domain/params.py)."""
    default, minimum, maximum = LIMITS[limits]
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not minimum <= int(value) <= maximum:
        raise BadParameter(f"Parameter '{name}' harus bilangan bulat {minimum} sampai {maximum}, bukan {value!r}.",
                           f"Parameter '{name}' must be a whole number from {minimum} to {maximum}, got {value!r}.",
                           field=name)
    return int(value)


def petugas_arg() -> str | None:
    """An officer's name of RUTE, or None."""
    petugas = request.args.get("petugas", "").strip() or None
    if petugas is not None and (len(petugas) > PETUGAS_MAX or not is_text(petugas)):
        raise BadParameter(f"Parameter 'petugas' harus nama petugas RUTE, paling panjang {PETUGAS_MAX} karakter.",
                           f"Parameter 'petugas' must be an officer's name of RUTE, at most {PETUGAS_MAX} "
                           "characters.", field="petugas")
    return petugas


def collection_args(kind: str) -> dict:
    """The filters, page and sort of a collection list (METRICS.md's collection work)."""
    pcez = request.args.get("pcez", "").strip() or None
    if pcez is not None and not PCEZ.match(pcez):
        raise BadParameter(f"Parameter 'pcez' harus 5 angka (PC dan EZ, mis. 15110), bukan {pcez!r}.",
                           f"Parameter 'pcez' must be 5 digits (PC and EZ, e.g. 15110), got {pcez!r}.", field="pcez")
    periode, actor = periode_arg(), current_actor()
    # A petugas is held to its own name and PCEZs (services/scope.py).
    petugas = scope.petugas_filter(actor, petugas_arg())
    pcez = scope.pcez_filter(app_engine(), actor, periode, pcez)
    sorts = COLLECTION_SORTS[kind]
    sort = request.args.get("sort", "").strip() or sorts[0]
    if sort not in sorts:
        raise BadParameter(f"Parameter 'sort' harus salah satu dari {', '.join(sorts)}, bukan {sort!r}.",
                           f"Parameter 'sort' must be one of {', '.join(sorts)}, got {sort!r}.", field="sort")
    return {"periode": periode, "rayon": rayon_arg(), "pcez": pcez, "petugas": petugas,
            "page": int_arg("page", "collection_page"), "page_size": int_arg("page_size", "collection_page_size"),
            "sort": sort}


def json_body() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any body this API takes
        body = None
    if isinstance(body, dict) and not is_text_everywhere(body):
        raise BadParameter("Isi permintaan berisi karakter yang bukan teks (mis. \\ud800); kirim teks UTF-8 yang sah.",
                           "The body holds characters that are not text (lone surrogates).")
    if not isinstance(body, dict):
        raise BadParameter("Kirim objek JSON sebagai isi permintaan (Content-Type: application/json).",
                           "Send a JSON object as the request body (Content-Type: application/json).")
    return body
