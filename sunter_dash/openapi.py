"""The OpenAPI 3 description served at /api/openapi.json; every /api route is listed here
(a test compares this with the routes Flask has), built from openapi_schemas.py's parts."""
from __future__ import annotations

from .domain import checks, files
from .domain.followups import MAX_NOTE, RESULTS
from .domain.followups import STATUSES as PROMISE_STATUSES
from .domain.labels import BUCKETS
from .domain.params import COLLECTION_SORTS, NOMEN_PATTERN, PCEZ_PATTERN, PETUGAS_MAX, SEARCH_MAX
from .domain.periodes import PERIODE_PATTERN
from .export import DATASETS, FORMATS
from .openapi_schemas import (
    ANALYSIS,
    ANALYSIS_CREATED,
    ANALYSIS_ID,
    ANALYSIS_NEW,
    ANALYSIS_PATCH,
    COUNT,
    ERROR,
    FORECAST,
    ID,
    INT_OR_NULL,
    KPI_MONTH,
    KPI_OR_NULL,
    KPI_ROW_OR_NULL,
    MISSING,
    NULLABLE,
    PERIODE,
    RATE_OR_NULL,
    RAYON,
    file_download,
    get,
    int_param,
    param,
)
from .report import FORMATS as REPORT_FORMATS


def _download() -> dict:
    """The export's answer: the file, in the type its format names."""
    return file_download("Download a grid's or chart's data as .xlsx or .csv", [
        {"name": "dataset", "in": "path", "required": True, "schema": {"type": "string", "enum": list(DATASETS)}},
        {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": list(FORMATS)}},
        PERIODE, RAYON], [mime.split(";")[0] for mime in FORMATS.values()])


def _report() -> dict:
    """The monthly report: the file, in the type its format names."""
    return file_download("The monthly report (Laporan Bulanan) of a stored periode: six sections, as an A4 PDF or "
                         "an .xlsx workbook with one sheet per section", [
                             {"name": "periode", "in": "path", "required": True,
                              "schema": {"type": "string", "pattern": f"^{PERIODE_PATTERN}$"}},
                             {"name": "fmt", "in": "path", "required": True,
                              "schema": {"type": "string", "enum": list(REPORT_FORMATS)}}, RAYON],
                         [mime for mime, _render in REPORT_FORMATS.values()], ("400", "401", "404"))


def _figures() -> dict:
    return {
        "/api/openapi.json": get("This description", [], {"type": "object"}),
        "/api/periodes": get("Stored periodes, newest first, with the file types of each", [], {
            "type": "object", "properties": {
                "periodes": {"type": "array", "items": {"type": "string"}},
                "types": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            }}),
        "/api/kpi": get("Collection KPI of a periode, with its data as of, goal, gap and year-on-year",
                         [PERIODE, RAYON], KPI_MONTH),
        "/api/report/{periode}.{fmt}": _report(),
        "/api/kpi/forecast": get("Month-end forecast of the collection rate (METRICS.md)", [PERIODE, RAYON],
                                  FORECAST),
        "/api/kpi/rayon": get("Collection KPI per rayon with the total; a figure whose file is not stored is null", [
            PERIODE], {"type": "object", "properties": {
                "periode": {"type": "string"}, "rayons": {"type": "array", "items": KPI_ROW_OR_NULL},
                "total": KPI_ROW_OR_NULL, "missing": MISSING}}),
        "/api/kpi/daily": get("Daily trend: CURRENT payments per day, cumulative rate, last month's", [
            PERIODE, RAYON], {"type": "object", "properties": {
                "periode": {"type": "string"}, "previous_periode": {"type": "string"},
                "target_nominal": {**INT_OR_NULL, "description": "null without MC(P)"},
                "previous_target_nominal": {**INT_OR_NULL, "description": "null without MC(P-1)"},
                "days": {"type": "array", "items": {"type": "object", "properties": {
                    "date": {"type": "string", "format": "date"},
                    "nomen": {**INT_OR_NULL, "description": "null without MC(P) or COLLECTION(P)"},
                    "nominal": {**INT_OR_NULL, "description": "null without MC(P) or COLLECTION(P)"},
                    "cumulative_rate": {**RATE_OR_NULL,
                                        "description": "0 when P has no target; null without MC(P) or COLLECTION(P)"},
                    "previous_cumulative_rate": {**RATE_OR_NULL, "description": "the same of P-1"}}}},
                "missing": MISSING}}),
        "/api/kpi/series": get("The KPI over a range of periodes (multi-periode); each entry's figures whose file "
                               "is not stored are null, with its own missing", [
            param("from", "First periode YYYY-MM", True), param("to", "Last periode YYYY-MM", True), RAYON,
            param("by_rayon", "true: one entry per periode and rayon")], {
                "type": "object", "properties": {"series": {"type": "array", "items": KPI_OR_NULL}}}),
        "/api/arrears/summary": get("Arrears outstanding (OS) with aging buckets; null without ARDEBT(P)", [
            PERIODE, RAYON], {"type": "object", "properties": {
                "periode": {"type": "string"}, "os": {**COUNT, "nullable": True}, "has_ardebt": {"type": "boolean"},
                "buckets": {"type": "array", "items": {"type": "object", "properties": {
                    "bucket": {"type": "string", "enum": list(BUCKETS)},
                    "nomen": INT_OR_NULL, "nominal": INT_OR_NULL}}},
                "collected": {"type": "object", "description": "undue.nominal of P as a share of OS of P-1; "
                                                               "null figures without COLLECTION(P)"},
                "missing": MISSING}}),
        "/api/arrears/top": get("Top debtors of a periode", [
            PERIODE, RAYON, int_param("limit", "How many", "arrears_top")], {
                "type": "object", "properties": {"debtors": {"type": "array", "items": {"type": "object"}}}}),
        "/api/kpi_data": get("Deprecated: the old Flask app's KPI shape; use /api/kpi", [
            param("periode", "Periode YYYY-MM; default the newest with an MC, else the newest stored")], {
                "type": "object", "properties": {
                    "total_pelanggan": {"type": "integer"}, "total_kubikasi": {"type": "integer"},
                    "target": {"type": "object", "properties": {
                        "total_nomen": {"type": "integer"}, "total_nominal": {"type": "integer"},
                        "sudah_bayar_nomen": {"type": "integer"}, "sudah_bayar_nominal": {"type": "integer"}}},
                    "collection_rate": {"type": "number"}}}, deprecated=True),
        "/api/export/{dataset}.{fmt}": _download(),
    }



GROUP_KPI = {"type": "object", "properties": {
    "target": COUNT, "paid": COUNT, "unpaid": COUNT, "undue": COUNT,
    "collection_rate": {"type": "number", "description": "100 * paid.nominal / target.nominal; 0 with no target"}}}
COLLECTION_ROW = {"type": "object", "properties": {
    "nomen": {"type": "string"}, "nama": NULLABLE, "alamat": NULLABLE, "rayon": NULLABLE,
    "pcez": {**NULLABLE, "description": "5 digits; null: Tanpa PCEZ"}, "petugas": {**NULLABLE, "description": "null: Tanpa petugas"},
    "tarif": NULLABLE, "nominal": {"type": "integer", "description": "NOMINAL of MC(P)"},
    "sisa": {"type": "integer", "description": "NOMINAL minus CURRENT payments in P, at least 0"},
    "bills": {"type": "integer", "nullable": True, "description": "ARDEBT(P) bills; null without ARDEBT(P)"},
    "arrears": {"type": "integer", "nullable": True, "description": "ARDEBT(P) total; null without ARDEBT(P)"},
    "last_payment": {"type": "string", "format": "date", "nullable": True,
                     "description": "last payment of any kind dated on or before the end of P"},
    "followup": {"type": "object", "nullable": True, "description": "the customer's latest follow-up of P"}}}


def _collection() -> dict:
    """METRICS.md's collection work: the KPI per PCEZ and per officer, and the two lists."""
    def grouped(key: str, what: str) -> dict:
        row = {**GROUP_KPI, "properties": {key: {**NULLABLE, "description": f"null: customers with no {what}"},
                                           **GROUP_KPI["properties"]}}
        return get(f"Collection KPI per {what} with the total (rows add up to it)", [PERIODE, RAYON], {
            "type": "object", "properties": {"periode": {"type": "string"}, "rayon": NULLABLE,
                                             "has_mc": {"type": "boolean"},
                                             "rows": {"type": "array", "items": row}, "total": row}})

    def listing(summary: str, kind: str) -> dict:
        return get(summary, [
            PERIODE, RAYON, param("pcez", "PCEZ, 5 digits", pattern=PCEZ_PATTERN), petugas,
            int_param("page", "Page", "collection_page"), int_param("page_size", "Rows per page", "collection_page_size"),
            {"name": "sort", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(COLLECTION_SORTS[kind]), "default": COLLECTION_SORTS[kind][0]}},
        ], {"type": "object", "properties": {
            "periode": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
            "page_size": {"type": "integer"}, "has_ardebt": {"type": "boolean"},
            "rows": {"type": "array", "items": COLLECTION_ROW}}})

    petugas = {"name": "petugas", "in": "query", "required": False, "description": "An officer's name of RUTE",
               "schema": {"type": "string", "maxLength": PETUGAS_MAX}}
    followup = {"type": "object", "properties": {
        "id": {"type": "integer"}, "nomen": {"type": "string"}, "periode": {"type": "string"},
        "result": {"type": "string", "enum": list(RESULTS)}, "visit_date": {"type": "string", "format": "date"},
        "promise_date": {"type": "string", "format": "date", "nullable": True}, "note": NULLABLE,
        "created_by": NULLABLE, "created_at": {"type": "string", "format": "date-time"}}}
    new = {"type": "object", "required": ["nomen", "periode", "result"], "additionalProperties": False,
           "properties": {
               "nomen": {"type": "string", "pattern": NOMEN_PATTERN},
               "periode": {"type": "string", "pattern": f"^{PERIODE_PATTERN}$"},
               "result": {"type": "string", "enum": list(RESULTS)},
               "visit_date": {"type": "string", "format": "date", "description": "default today (WIB); not later"},
               "promise_date": {"type": "string", "format": "date", "nullable": True,
                                "description": "required for janji_bayar, only for it; not before the visit"},
               "note": {"type": "string", "nullable": True, "maxLength": MAX_NOTE}}}
    statuses = ",".join(PROMISE_STATUSES)
    return {
        "/api/followups": {
            **get("Field follow-ups of a periode, newest first", [
                PERIODE, param("nomen", "A customer", pattern=NOMEN_PATTERN), petugas],
                {"type": "object", "properties": {"rows": {"type": "array", "items": followup}}}),
            "post": {"summary": "Admin: record a field follow-up (every record is kept; the latest counts)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": new}}},
                     "responses": {"201": {"description": "Recorded", "content": {
                         "application/json": {"schema": followup}}}, "400": ERROR, "401": ERROR, "403": ERROR,
                         "404": ERROR}}},
        "/api/promises": get("Promises to pay of a periode: the latest follow-up of a customer when it is "
                              "janji_bayar, pending, kept or broken", [
                                  PERIODE, petugas,
                                  {"name": "status", "in": "query", "required": False,
                                   "description": f"comma-separated: {statuses}",
                                   "schema": {"type": "string", "pattern": f"^(({'|'.join(PROMISE_STATUSES)}),?)*$"}}],
                              {"type": "object", "properties": {
                                  "periode": {"type": "string"}, "data_as_of": {**NULLABLE, "format": "date"},
                                  "grace_days": {"type": "integer"},
                                  "counts": {"type": "object", "properties": {
                                      s: {"type": "integer"} for s in PROMISE_STATUSES}},
                                  "nominal": {"type": "object", "properties": {
                                      s: {"type": "integer"} for s in PROMISE_STATUSES}},
                                  "rows": {"type": "array", "items": {"type": "object", "properties": {
                                      "nomen": {"type": "string"}, "petugas": NULLABLE,
                                      "visit_date": {"type": "string", "format": "date"},
                                      "promise_date": {"type": "string", "format": "date"},
                                      "status": {"type": "string", "enum": list(PROMISE_STATUSES)},
                                      "nominal": {"type": "integer"}}}}}}),
        "/api/kpi/pcez": grouped("pcez", "PCEZ"),
        "/api/kpi/petugas": grouped("petugas", "officer"),
        "/api/collection/unpaid": listing("The unpaid list (belum bayar): customers of the target with no CURRENT "
                                          "payment in P", "unpaid"),
        "/api/collection/disconnect": listing("Disconnection candidates (calon segel): ARDEBT(P) bills >= N (the "
                                              "setting disconnect_bills, default 3) and no payment of any kind in P", "disconnect"),
    }


def _anomalies_and_uploads() -> dict:
    return {
        "/api/anomaly/summary": get("Meter-reading anomalies of a periode: customers per key", [
            PERIODE, RAYON], {"type": "object", "properties": {
                "periode": {"type": "string"}, "rayon": {"type": "string", "nullable": True},
                "previous_periode": {"type": "string", "nullable": True,
                                     "description": "P-1 when its readings or bills are stored"},
                "anomalies": {"type": "object", "description": "every key of METRICS.md: extreme, drop, zero, "
                              "negative, misrecord, rebill, estimated, spike, stuck, inactive_use, tamper",
                              "additionalProperties": {"type": "object", "properties": {
                                  "name": {"type": "string"},
                                  "count": {"type": "integer", "nullable": True,
                                            "description": "null when P's files do not let the check run"},
                                  "previous": {"type": "integer", "nullable": True},
                                  "missing": {"type": "array", "items": {"type": "string"},
                                              "description": "files not stored that the check needs, "
                                                             "e.g. 'SBRS 2025-11'"},
                                  "no_actual_reads": {"type": "boolean", "description": "the check uses the "
                                                      "actual read-method codes and no code of SBRS(P) is one"}}}},
                "read_methods": {"type": "array", "items": {"type": "string"},
                                 "description": "the distinct read-method codes of SBRS(P)"},
                "actual_read_methods": {"type": "array", "items": {"type": "string"},
                                        "description": "the codes counted as actual reads (a setting)"}}}),
        "/api/anomalies": get("One anomaly's list, a page at a time", [
            PERIODE, RAYON,
            {**param("type", "Anomaly key", True), "schema": {"type": "string", "enum": list(checks.names())}},
            int_param("page", "Page number", "anomalies_page"),
            int_param("page_size", "Rows per page", "anomalies_page_size"),
            param("sort", "field:asc|desc, comma-separated (default at_stake:desc)"),
            param("filters", "AG Grid filter model as JSON, e.g. {\"volume\": {\"filterType\": \"number\", "
                              "\"type\": \"greaterThan\", \"filter\": 100}}")], {
                "type": "object", "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {
                        "nomen": {"type": "string"}, "nama": {"type": "string"}, "rayon": {"type": "string"},
                        "tarif": {"type": "string"}, "stand_lalu": {"type": "integer"},
                        "stand_kini": {"type": "integer"}, "pakai": {"type": "integer"},
                        "volume": {"type": "integer"}, "prev_stand_kini": {"type": "integer"},
                        "prev_volume": {"type": "integer"}, "median_volume": {"type": "integer"},
                        "flags": {"type": "array", "items": {"type": "string"}},
                        "delta_m3": {"type": "integer"}, "price_m3": {"type": "integer"},
                        "at_stake": {"type": "integer", "description": "Rupiah: |delta_m3| x price_m3"}}}}}}),
        "/api/uploads": {
            **get("Upload history, newest first", [int_param("limit", "How many", "uploads_limit")], {
                "type": "object", "properties": {"uploads": {"type": "array", "items": {"type": "object"}}}}),
            "post": {
                "summary": "Admin: load a file through the ingestion pipeline (the same as `ingest --json`)",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "type": {"type": "string", "enum": list(files.names())},
                        "periode": {"type": "string", "pattern": f"^{PERIODE_PATTERN}$"},
                        "map": {"type": "string", "description": "JSON object: a column of the type (its header, "
                                "an alias or its field) -> the file's column, e.g. {\"AMT_COLLECT\": \"NILAI\"}"},
                        "profile": {"type": "string", "description": "a saved column-mapping profile to apply"},
                        "replace": {"type": "string", "enum": ["true", "false"],
                                    "description": "true confirms a snapshot the shrink guard would refuse"}}}}}},
                "responses": {"200": {"description": "The ingest summary: status loaded, duplicate, or refused "
                                                     "(then its message says what to fix; needs_replace with "
                                                     "stored_customers and file_customers when the shrink guard "
                                                     "refused it); warnings and warning_count beside errors"},
                              "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "413": ERROR,
                              "503": {**ERROR, "description": "Another load kept the slot past "
                                      "SUNTER_LOAD_WAIT_SECONDS; the attempt is recorded as refused. Send it "
                                      "again after Retry-After",
                                      "headers": {"Retry-After": {"schema": {"type": "integer"}}}}},
            },
        },
        "/api/uploads/{upload_id}": {"delete": {
            "summary": "Admin: remove exactly the rows an upload stored; deleting the current upload of a snapshot "
                       "restores the one it replaced",
            "parameters": [{"name": "upload_id", "in": "path", "required": True, "schema": ID}],
            "responses": {"200": {"description": "Removed", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "upload_id": {"type": "integer"}, "removed": {"type": "integer"},
                    "restored_upload": {"type": "integer", "nullable": True,
                                        "description": "the replaced upload whose rows are current again"}}}}}},
                          "404": ERROR, "409": ERROR, "401": ERROR,
                          "403": ERROR},
        }},
    }


def _workbench() -> dict:
    return {
        "/api/analyses": {
            **get("Manual-analysis cases, most recently changed first (filters combine)", [
                param("status", "open, in_progress, resolved, dismissed; several comma-separated"),
                param("priority", "rendah, sedang, tinggi; several comma-separated"),
                param("assigned_to", "A username or RUTE officer's name"), RAYON,
                param("periode", "Periode YYYY-MM of the case"),
                param("anomaly_type", "An anomaly key (extreme, drop, ...) or lainnya; several comma-separated"),
                {**param("nomen", "Customer number"), "schema": {"type": "string", "pattern": NOMEN_PATTERN}},
                int_param("limit", "How many", "analyses_limit")], {
                    "type": "object", "properties": {"analyses": {"type": "array", "items": ANALYSIS}}}),
            "post": {
                "summary": "Open a case (admin and viewer: permission 'analyse'); its creation is the first event. "
                           "A NOMEN no stored data knows is a 400; an active case (open or in progress) of the "
                           "same nomen, periode and anomaly type is answered (200, existing true), not made again",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ANALYSIS_NEW}}},
                "responses": {"201": {"description": "The new case with its history (existing false)",
                                      "content": {"application/json": {"schema": ANALYSIS_CREATED}}},
                              "200": {"description": "The same active case, already open (existing true)",
                                      "content": {"application/json": {"schema": ANALYSIS_CREATED}}},
                              "400": ERROR, "401": ERROR, "403": ERROR},
            },
        },
        "/api/analyses/{analysis_id}": {
            "get": {
                "summary": "A case with its full history, oldest event first",
                "parameters": [ANALYSIS_ID],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ANALYSIS}}},
                              "401": ERROR, "404": ERROR},
            },
            "patch": {
                "summary": "Change a case based on the version you read (optimistic locking); every change is "
                           "an event. Status: open -> in_progress -> resolved | dismissed, open -> resolved | "
                           "dismissed, resolved | dismissed -> open; resolving or dismissing needs a comment",
                "parameters": [ANALYSIS_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ANALYSIS_PATCH}}},
                "responses": {"200": {"description": "The changed case with its history",
                                      "content": {"application/json": {"schema": ANALYSIS}}},
                              "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR,
                              "409": {**ERROR, "description": "The case changed since `version`; nothing was "
                                                              "written. Reload it and apply the edit again."}},
            },
        },
    }


def _customers() -> dict:
    return {
        "/api/customers/search": get("Customers by NOMEN prefix (q all digits) or by words of name and address", [
            {**param("q", "Start of a NOMEN, or words that must all occur in the name or address", True),
             "schema": {"type": "string", "minLength": 1, "maxLength": SEARCH_MAX, "pattern": r"\S"}},
            RAYON, int_param("limit", "How many", "search_limit")], {
                "type": "object", "properties": {"results": {"type": "array", "items": {
                    "type": "object", "properties": {k: {"type": "string", "nullable": True} for k in (
                        "nomen", "nama", "alamat", "rayon", "tarif")}}}}}),
        "/api/customers/{nomen}": {"get": {
            "summary": "A customer's profile: identity and per-periode history (readings, MC targets and "
                       "MAINBILL bills, COLLECTION and MB payments, arrears, meter flags) and analyses",
            "parameters": [{"name": "nomen", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": NOMEN_PATTERN}}],
            "responses": {"200": {"description": "The profile", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "nomen": {"type": "string"},
                    "identity": {"type": "object", "description": "nama, alamat, rayon, tarif, zona_novak, pcez, "
                                 "nomet, status; periode and source (MC|SBRS) of the row it was taken from"},
                    "stored": {"type": "object", "description": "stored periodes, oldest first, with their file types"},
                    "history": {"type": "array", "description": "one row per stored periode", "items": {"type": "object"}},
                    **{part: {"type": "array", "items": {"type": "object"}} for part in (
                        "readings", "mc", "bills", "payments", "mb_payments", "arrears", "flags", "analyses")}}}}}},
                          "400": ERROR, "401": ERROR, "404": ERROR},
        }},
    }


# Answers any operation may give (docs/SECURITY.md): a bad parameter, no user, a role that may
# not (a petugas reads only its own collection work and customers), a path or id that names
# nothing, a method the path does not take, a body over its limit, the sign-in throttle.
EVERY = ("400", "401", "403", "404", "405", "413", "429")
WRITES = ("409",)  # a clash with what is stored


def _complete(paths: dict) -> dict:
    """Every operation lists every error status the server can answer it with."""
    for operations in paths.values():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in EVERY + (WRITES if method != "get" else ()):
                responses.setdefault(status, ERROR)
    return paths


def spec() -> dict:
    """The description, built from the catalogues (file types, checks) as they stand."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "sunter_dash API", "version": "1",
                 "description": "Figures of the Sunter branch dashboard (METRICS.md). Every endpoint needs a "
                                "user: the browser session or HTTP Basic. A petugas may read only the "
                                "collection endpoints, follow-ups, promises and its own customers (403 "
                                "otherwise)."},
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                           "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"basic": []}, {"session": []}],
        "paths": _complete({**_figures(), **_collection(), **_anomalies_and_uploads(), **_workbench(), **_customers()}),
    }
