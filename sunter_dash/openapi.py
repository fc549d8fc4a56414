"""The OpenAPI 3 description served at /api/openapi.json; every /api route is listed here
(a test compares this with the routes Flask has)."""
from __future__ import annotations


def _param(name: str, description: str, required: bool = False, pattern: str | None = None) -> dict:
    schema = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


PERIODE = _param("periode", "Periode YYYY-MM", True, r"^\d{4}-(0[1-9]|1[0-2])$")
RAYON = _param("rayon", "Rayon code (34, 35, ...); absent or 'semua' for all rayons")
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
ERROR = {"description": "Error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}}}}}


def _get(summary: str, params: list[dict], schema: dict, deprecated: bool = False) -> dict:
    operation = {
        "summary": summary,
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                      "400": ERROR, "401": ERROR},
    }
    if deprecated:
        operation["deprecated"] = True
    return {"get": operation}


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "sunter_dash API", "version": "1",
             "description": "Figures of the Sunter branch dashboard (METRICS.md). Every endpoint needs a "
                            "user: the browser session or HTTP Basic."},
    "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                       "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    "security": [{"basic": []}, {"session": []}],
    "paths": {
        "/api/openapi.json": _get("This description", [], {"type": "object"}),
        "/api/periodes": _get("Stored periodes, newest first, with the file types of each", [], {
            "type": "object", "properties": {
                "periodes": {"type": "array", "items": {"type": "string"}},
                "types": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            }}),
        "/api/kpi": _get("Collection KPI of a periode", [PERIODE, RAYON], KPI),
        "/api/kpi/rayon": _get("Collection KPI per rayon with the total", [PERIODE], {
            "type": "object", "properties": {"periode": {"type": "string"},
                                             "rayons": {"type": "array", "items": KPI}, "total": KPI}}),
        "/api/kpi/daily": _get("Daily trend: CURRENT payments per day, cumulative rate, last month's", [
            PERIODE, RAYON], {"type": "object", "properties": {
                "periode": {"type": "string"}, "previous_periode": {"type": "string"},
                "target_nominal": {"type": "integer"}, "previous_target_nominal": {"type": "integer"},
                "days": {"type": "array", "items": {"type": "object", "properties": {
                    "date": {"type": "string", "format": "date"}, "nomen": {"type": "integer"},
                    "nominal": {"type": "integer"},
                    "cumulative_rate": {"type": "number", "description": "0 when P has no target"},
                    "previous_cumulative_rate": {"type": "number", "description": "0 when P-1 has no target"}}}}}}),
        "/api/kpi/series": _get("The KPI over a range of periodes (multi-periode)", [
            _param("from", "First periode YYYY-MM", True), _param("to", "Last periode YYYY-MM", True), RAYON,
            _param("by_rayon", "true: one entry per periode and rayon")], {
                "type": "object", "properties": {"series": {"type": "array", "items": KPI}}}),
        "/api/arrears/summary": _get("Arrears outstanding (OS) with aging buckets", [PERIODE, RAYON], {
            "type": "object", "properties": {
                "periode": {"type": "string"}, "os": COUNT, "has_ardebt": {"type": "boolean"},
                "buckets": {"type": "array", "items": {"type": "object", "properties": {
                    "bucket": {"type": "string", "enum": ["1", "2", "3-6", "7-12", ">12"]},
                    "nomen": {"type": "integer"}, "nominal": {"type": "integer"}}}},
                "collected": {"type": "object", "description": "undue.nominal of P as a share of OS of P-1"}}}),
        "/api/arrears/top": _get("Top debtors of a periode", [
            PERIODE, RAYON, _param("limit", "How many (1-1000, default 100)")], {
                "type": "object", "properties": {"debtors": {"type": "array", "items": {"type": "object"}}}}),
        "/api/uploads": {
            **_get("Upload history, newest first", [_param("limit", "How many (1-1000, default 200)")], {
                "type": "object", "properties": {"uploads": {"type": "array", "items": {"type": "object"}}}}),
            "post": {
                "summary": "Admin: load a file through the ingestion pipeline (the same as `ingest --json`)",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "type": {"type": "string", "enum": ["MC", "COLLECTION", "SBRS", "MAINBILL", "MB",
                                                           "ARDEBT", "RUTE"]},
                        "periode": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}}}}}},
                "responses": {"200": {"description": "The ingest summary: status loaded, duplicate, or refused "
                                                     "(then its message says what to fix)"},
                              "400": ERROR, "401": ERROR, "403": ERROR, "413": ERROR},
            },
        },
        "/api/uploads/{upload_id}": {"delete": {
            "summary": "Admin: remove exactly the rows an upload stored",
            "parameters": [{"name": "upload_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Removed"}, "404": ERROR, "409": ERROR, "401": ERROR,
                          "403": ERROR},
        }},
        "/api/kpi_data": _get("Deprecated: the old Flask app's KPI shape; use /api/kpi", [
            _param("periode", "Periode YYYY-MM; default the latest")], {
                "type": "object", "properties": {
                    "total_pelanggan": {"type": "integer"}, "total_kubikasi": {"type": "integer"},
                    "target": {"type": "object", "properties": {
                        "total_nomen": {"type": "integer"}, "total_nominal": {"type": "integer"},
                        "sudah_bayar_nomen": {"type": "integer"}, "sudah_bayar_nominal": {"type": "integer"}}},
                    "collection_rate": {"type": "number"}}}, deprecated=True),
        "/api/export/{dataset}.{fmt}": _get("Download a grid's or chart's data as .xlsx or .csv", [
            {"name": "dataset", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["xlsx", "csv"]}},
            PERIODE, RAYON], {"type": "string", "format": "binary"}),
    },
}
