"""The building blocks of the OpenAPI description (openapi.py lists the paths with them): the
parameters, the schemas the answers share, the error body, and the shape of a GET and of a file
download."""
from __future__ import annotations

from .domain.cases import PRIORITIES, STATUSES
from .domain.params import ALL_RAYONS_WORD, ID_MAX, LIMITS, NOMEN_PATTERN, RAYON_PARAM_PATTERN
from .domain.periodes import PERIODE_PATTERN


def param(name: str, description: str, required: bool = False, pattern: str | None = None) -> dict:
    schema = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def int_param(name: str, description: str, limits: str) -> dict:
    default, minimum, maximum = LIMITS[limits]
    return {"name": name, "in": "query", "required": False,
            "description": f"{description} ({minimum}-{maximum}, default {default})",
            "schema": {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}}


PERIODE = param("periode", "Periode YYYY-MM (years 1900-2199)", True, f"^{PERIODE_PATTERN}$")
RAYON = {"name": "rayon", "in": "query", "required": False,
         "description": f"Rayon code (34, 35, ...); absent or '{ALL_RAYONS_WORD}' for all rayons",
         "schema": {"type": "string", "pattern": RAYON_PARAM_PATTERN}}
ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
COUNT = {"type": "object", "properties": {"nomen": {"type": "integer"}, "nominal": {"type": "integer"}}}
KPI = {
    "type": "object",
    "properties": {
        "periode": {"type": "string"}, "rayon": {"type": "string", "nullable": True},
        "total_pelanggan": {"type": "integer"}, "total_kubikasi": {"type": "integer"},
        "kubikasi_source": {"type": "string", "nullable": True, "enum": ["MC", "SBRS", None]},
        "target": COUNT, "paid": COUNT, "unpaid": COUNT,
        "undue": {**COUNT, "description": "UNDUE payments (arrears) dated in P; count = payments"},
        "unmatched": {**COUNT, "description": "CURRENT payments in P by customers not in MC(P)"},
        "collection_rate": {"type": "number", "description": "100 * paid.nominal / target.nominal"},
        "has_mc": {"type": "boolean"}, "has_collection": {"type": "boolean"},
    },
}
COUNT_OR_NULL = {**COUNT, "nullable": True}
KPI_FIGURES_OR_NULL = {
    **KPI["properties"],
    "total_pelanggan": {"type": "integer", "nullable": True},
    "total_kubikasi": {"type": "integer", "nullable": True},
    "target": COUNT_OR_NULL, "paid": COUNT_OR_NULL, "unpaid": COUNT_OR_NULL,
    "undue": {**KPI["properties"]["undue"], "nullable": True},
    "unmatched": {**KPI["properties"]["unmatched"], "nullable": True},
    "collection_rate": {**KPI["properties"]["collection_rate"], "nullable": True,
                        "description": "100 * paid.nominal / target.nominal; null without MC(P) or COLLECTION(P)"},
    "missing": {"type": "array", "items": {"type": "string", "enum": ["MC", "COLLECTION", "SBRS"]},
                "description": "The file types not stored for P whose figures are null"},
}
KPI_OR_NULL = {"type": "object", "properties": KPI_FIGURES_OR_NULL}
KPI_ROW_OR_NULL = {"type": "object", "properties": {k: v for k, v in KPI_FIGURES_OR_NULL.items() if k != "missing"}}
INT_OR_NULL = {"type": "integer", "nullable": True}
RATE_OR_NULL = {"type": "number", "nullable": True}
MISSING = {"type": "array", "items": {"type": "string", "enum": ["MC", "COLLECTION", "SBRS", "ARDEBT"]},
           "description": "The file types not stored for P whose figures are null (not 0)"}
KPI_MONTH = {"type": "object", "properties": {
    **KPI_FIGURES_OR_NULL,
    "data_as_of": {"type": "string", "format": "date", "nullable": True,
                   "description": "The latest payment date stored in COLLECTION for P"},
    "goal": {"type": "number", "description": "The collection-rate goal of P in percent (a setting)"},
    "gap": {"type": "integer", "nullable": True,
            "description": "Rupiah still to collect to reach the goal: max(0, ceil(goal x target / 100) - paid)"},
    "previous_year": {"type": "object", "nullable": True, "properties": KPI_FIGURES_OR_NULL,
                      "description": "The same figures for P-12; null when nothing of the KPI is stored for it"},
}}
FORECAST = {"type": "object", "properties": {
    "periode": {"type": "string"}, "rayon": {"type": "string", "nullable": True},
    "data_as_of": {"type": "string", "format": "date", "nullable": True}, "day": {"type": "integer", "nullable": True},
    "last_day": {"type": "integer", "description": "The number of days of P"}, "goal": {"type": "number"},
    "periodes": {"type": "array", "description": "The usable periodes among P-1 ... P-6 and their f_k",
                 "items": {"type": "object", "properties": {"periode": {"type": "string"},
                                                            "fraction": {"type": "number"}}}},
    "forecast": {"type": "object", "nullable": True, "properties": {
        "rate": {"type": "number"}, "low": {"type": "number"}, "high": {"type": "number"},
        "nominal": {"type": "integer"}, "nominal_low": {"type": "integer"}, "nominal_high": {"type": "integer"}}},
    "reason": {"type": "string", "nullable": True, "description": "Why there is no forecast (Indonesian)"},
}}
ERROR = {"description": "Error", "content": {"application/json": {"schema": {
    "type": "object", "required": ["error", "detail"], "properties": {
        "error": {"type": "string", "description": "What went wrong and what to do, in Indonesian"},
        "detail": {"type": "string", "description": "The same in English, for programs and logs"},
        "field": {"type": "string", "nullable": True,
                  "description": "The parameter or field at fault, when there is one"}}}}}}
NULLABLE = {"type": "string", "nullable": True}
ANALYSIS_FIELDS = {
    "periode": {**NULLABLE, "pattern": f"^{PERIODE_PATTERN}$"},
    "anomaly_type": {**NULLABLE, "description": "An anomaly key of METRICS.md (extreme, drop, ...) or lainnya"},
    "description": NULLABLE,
    "priority": {"type": "string", "enum": list(PRIORITIES)},
    "assigned_to": {**NULLABLE, "description": "An active user's name; in a request also '@rute': the RUTE "
                                                "officer of the customer's PCEZ"},
}
ANALYSIS = {"type": "object", "properties": {
    "id": {"type": "integer"}, "nomen": {"type": "string"}, "nama": NULLABLE, "rayon": NULLABLE,
    **ANALYSIS_FIELDS,
    "status": {"type": "string", "enum": list(STATUSES)},
    "created_by": NULLABLE, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "version": {"type": "integer", "description": "Send it back with PATCH"},
    "history": {"type": "array", "description": "GET/POST/PATCH of one case: oldest first, the creation first",
                "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "username": NULLABLE,
                    "created_at": {"type": "string", "format": "date-time"},
                    "change": {"type": "object", "description": '{"field": [old, new], ...}'},
                    "comment": NULLABLE}}},
}}
ANALYSIS_CREATED = {**ANALYSIS, "properties": {
    **ANALYSIS["properties"],
    "existing": {"type": "boolean", "description": "true: the same active case was already open; nothing was made"}}}
ANALYSIS_NEW = {"type": "object", "required": ["nomen"], "additionalProperties": False, "properties": {
    "nomen": {"type": "string", "pattern": NOMEN_PATTERN},
    "rayon": {**NULLABLE, "description": "Used only when the customer's rayon is not known"},
    **ANALYSIS_FIELDS, "comment": NULLABLE}}
ANALYSIS_PATCH = {"type": "object", "required": ["version"], "additionalProperties": False, "properties": {
    "version": {"type": "integer"}, **ANALYSIS_FIELDS,
    "status": {"type": "string", "enum": list(STATUSES)},
    "comment": NULLABLE}}
ANALYSIS_ID = {"name": "analysis_id", "in": "path", "required": True, "schema": ID}


def get(summary: str, params: list[dict], schema: dict, deprecated: bool = False) -> dict:
    operation = {
        "summary": summary,
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                      "400": ERROR, "401": ERROR},
    }
    if deprecated:
        operation["deprecated"] = True
    return {"get": operation}


def file_download(summary: str, params: list[dict], mimes: list[str], errors: tuple[str, ...] = ("400", "401")) -> dict:
    """A GET whose answer is a file (Content-Disposition: attachment) of one of ``mimes``."""
    operation = get(summary, params, {})["get"]
    operation["responses"] = {"200": {"description": "The file (Content-Disposition: attachment)", "content": {
        mime: {"schema": {"type": "string", "format": "binary"}} for mime in mimes}},
        **{status: ERROR for status in errors}}
    return {"get": operation}
