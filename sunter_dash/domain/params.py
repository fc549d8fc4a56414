"""The limits of the API's parameters, once: api.py enforces them and openapi.py describes them,
so a client generated from /api/openapi.json sends what the server accepts."""
from __future__ import annotations

from .cases import MAX_LIMIT
from .listing import ALL_RAYONS

RAYON_PATTERN = r"^[0-9A-Za-z]{1,8}$"  # a rayon code; "semua" (or nothing) is every rayon
NOMEN_PATTERN = r"^[0-9]{1,20}$"
PCEZ_PATTERN = r"^[0-9]{5}$"  # PC and EZ of a zone, 5 digits (DATA.md)
PETUGAS_MAX = 120  # characters of an officer's name (RUTE)
COLLECTION_SORTS = {"unpaid": ("nominal", "route", "nomen", "arrears"), "disconnect": ("arrears", "route", "nomen")}
SEARCH_MAX = 100  # characters of a customer search
ID_MAX = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL): a larger one names nothing (404)
ALL_RAYONS_WORD = ALL_RAYONS  # "semua"
RAYON_PARAM_PATTERN = rf"^([0-9A-Za-z]{{1,8}}|{ALL_RAYONS})$"  # the rayon parameter as the API takes it

# name -> (default, minimum, maximum), per endpoint
LIMITS = {
    "arrears_top": (100, 1, 1000),
    "anomalies_page": (1, 1, 1_000_000),
    "anomalies_page_size": (50, 1, 1000),
    "search_limit": (20, 1, 100),
    "uploads_limit": (200, 1, 1000),
    "analyses_limit": (500, 1, MAX_LIMIT),
    "collection_page": (1, 1, 1_000_000),
    "collection_page_size": (50, 1, 500),
}
