"""The JSON API under /api (INTERFACES.md): the same query functions as the tabs.

Errors are JSON ``{"error": ...}`` with 400 (saying which parameter), 401, 403,
404 or 413; bad input never gets a 500.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.utils import secure_filename

from . import analyses, export, queries
from .auth import audit
from .ingest import IngestError, delete_upload, ingest_file
from .ingest.anomalies import ANOMALIES
from .ingest.specs import SPECS
from .openapi import SPEC

bp = Blueprint("api", __name__, url_prefix="/api")

PERIODE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
RAYON = re.compile(r"^[0-9A-Za-z]{1,8}$")


class BadParameter(ValueError):
    """A request parameter with a wrong value; the message says which and the form expected."""


def periode_arg(name: str = "periode", required: bool = True) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        if required:
            raise BadParameter(f"Parameter '{name}' is required, in the form YYYY-MM (e.g. 2025-12).")
        return None
    if not PERIODE.match(value):
        raise BadParameter(f"Parameter '{name}' must be YYYY-MM (e.g. 2025-12), got {value!r}.")
    return value


def rayon_arg() -> str | None:
    value = request.args.get("rayon", "").strip()
    if queries.rayon_filter(value) is None:
        return None
    if not RAYON.match(value):
        raise BadParameter(f"Parameter 'rayon' must be a rayon code such as 34, got {value!r}.")
    return value


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not minimum <= int(value) <= maximum:
        raise BadParameter(f"Parameter '{name}' must be a whole number from {minimum} to {maximum}, "
                           f"got {value!r}.")
    return int(value)


@bp.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter):
    return jsonify(error=str(exc)), 400


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.get("/periodes")
def periodes():
    stored = queries.periodes()
    return jsonify(periodes=[p["periode"] for p in stored],
                   types={p["periode"]: p["types"] for p in stored})


@bp.get("/kpi")
def kpi():
    return jsonify(queries.kpi(periode_arg(), rayon_arg()))


@bp.get("/kpi/rayon")
def kpi_rayon():
    return jsonify(queries.kpi_by_rayon(periode_arg()))


@bp.get("/kpi/daily")
def kpi_daily():
    return jsonify(queries.kpi_daily(periode_arg(), rayon_arg()))


@bp.get("/kpi/series")
def kpi_series():
    first, last = periode_arg("from"), periode_arg("to")
    if first > last:
        raise BadParameter("Parameter 'from' must not come after 'to'.")
    by_rayon = request.args.get("by_rayon", "").lower() in ("1", "true", "yes")
    return jsonify(series=queries.kpi_series(first, last, rayon_arg(), by_rayon))


@bp.get("/arrears/summary")
def arrears_summary():
    return jsonify(queries.arrears_summary(periode_arg(), rayon_arg()))


@bp.get("/arrears/top")
def arrears_top():
    limit = int_arg("limit", 100, 1, 1000)
    return jsonify(debtors=queries.arrears_top(periode_arg(), rayon_arg(), limit))


@bp.get("/anomaly/summary")
def anomaly_summary():
    return jsonify(queries.anomaly_summary(periode_arg(), rayon_arg()))


@bp.get("/anomalies")
def anomalies():
    periode, rayon = periode_arg(), rayon_arg()
    key = request.args.get("type", "").strip()
    if key not in ANOMALIES:
        raise BadParameter(f"Parameter 'type' must be one of {', '.join(ANOMALIES)}, got {key!r}.")
    page = int_arg("page", 1, 1, 1_000_000)
    page_size = int_arg("page_size", 50, 1, 1000)
    try:
        found = queries.anomaly_rows(periode, key, rayon, (page - 1) * page_size, page_size,
                                     request.args.get("sort") or None, request.args.get("filters") or None)
    except queries.BadListRequest as exc:
        raise BadParameter(f"Parameter {'sort' if 'sort' in str(exc) else 'filters'}: {exc}.") from None
    return jsonify(periode=periode, rayon=rayon, type=key, total=found["total"], page=page, page_size=page_size,
                   rows=found["rows"])


# --- customers ---------------------------------------------------------------------------------

NOMEN = re.compile(r"^[0-9]{1,20}$")
SEARCH_MAX = 100


@bp.get("/customers/search")
def customer_search():
    q = request.args.get("q", "").strip()
    if not q:
        raise BadParameter("Parameter 'q' is required: the start of a NOMEN, or words of the name or address.")
    if len(q) > SEARCH_MAX:
        raise BadParameter(f"Parameter 'q' must be at most {SEARCH_MAX} characters, got {len(q)}.")
    limit = int_arg("limit", 20, 1, 100)
    return jsonify(results=queries.customer_search(q, rayon_arg(), limit))


@bp.get("/customers/<nomen>")
def customer_profile(nomen: str):
    if not NOMEN.match(nomen):
        raise BadParameter(f"NOMEN must be digits (e.g. 60012345), got {nomen[:40]!r}.")
    profile = queries.customer_profile(nomen)
    if profile is None:
        return jsonify(error=f"Customer {nomen} is in no stored data."), 404
    return jsonify(profile)


@bp.get("/export/<dataset>.<fmt>")
def export_dataset(dataset: str, fmt: str):
    periode, rayon = periode_arg(), rayon_arg()
    try:
        content, name, mime = export.build(dataset, fmt, periode, rayon)
    except export.UnknownDataset:
        return jsonify(error=f"Unknown export {dataset}.{fmt}; datasets: {', '.join(export.DATASETS)}; "
                             "formats: xlsx, csv."), 404
    return Response(content, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/uploads")
def uploads():
    limit = int_arg("limit", 200, 1, 1000)
    return jsonify(uploads=queries.uploads(limit))


@bp.post("/uploads")
def upload_file():
    """Admin (the guard checks the role for every write): the same pipeline as the page."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise BadParameter("Send the file as multipart form field 'file'.")
    periode = request.form.get("periode", "").strip() or None
    if periode and not PERIODE.match(periode):
        raise BadParameter(f"Parameter 'periode' must be YYYY-MM (e.g. 2025-12), got {periode!r}.")
    file_type = request.form.get("type", "").strip().upper() or None
    if file_type and file_type not in SPECS:
        raise BadParameter(f"Parameter 'type' must be one of {', '.join(SPECS)}, got {file_type!r}.")
    config = current_app.config["SUNTER_CONFIG"]
    with tempfile.TemporaryDirectory(prefix="sunter-api-") as folder:
        path = Path(folder) / (secure_filename(sent.filename) or "upload")
        sent.save(path)
        result = ingest_file(current_app.extensions["sunter_engine"], path, filename=Path(sent.filename).name,
                             file_type=file_type, periode=periode, username=current_user.username,
                             max_bytes=config.max_upload_bytes)
    audit("upload", detail=f"#{result.upload_id} {result.file}: {result.status}, {result.type or '-'} "
                           f"{result.periode or '-'}, {result.stored} baris disimpan (API)")
    return jsonify(result.as_json())


@bp.delete("/uploads/<int:upload_id>")
def delete_upload_api(upload_id: int):
    try:
        removed = delete_upload(current_app.extensions["sunter_engine"], upload_id, current_user.username)
    except IngestError as exc:
        status = 404 if exc.code == "not_found" else 409
        return jsonify(error=exc.message), status
    audit("upload_deleted", detail=f"#{upload_id}: {removed} baris dikeluarkan (API)")
    return jsonify(upload_id=upload_id, removed=removed)


# --- the manual-analysis workbench (analyses.py) ----------------------------------------------

ANALYSIS_FILTERS = ("status", "priority", "assigned_to", "rayon", "periode", "anomaly_type", "nomen")


def _analysis_json(case: dict) -> dict:
    """Times as ISO 8601 UTC ('2025-12-01T09:30:00Z'), like every time the API sends."""
    def plain(value):
        return value.isoformat(timespec="seconds") + "Z" if hasattr(value, "isoformat") else value
    found = {key: plain(value) for key, value in case.items() if key != "history"}
    if "history" in case:
        found["history"] = [{**event, "created_at": plain(event["created_at"])} for event in case["history"]]
    return found


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter("Send a JSON object as the request body (Content-Type: application/json).")
    return body


@bp.errorhandler(analyses.AnalysisError)
def _analysis_error(exc: analyses.AnalysisError):
    if isinstance(exc, analyses.NotFound):
        return jsonify(error=exc.message), 404
    if isinstance(exc, analyses.StaleEdit):
        return jsonify(error=exc.message, current_version=exc.current_version, changed_by=exc.changed_by), 409
    return jsonify(error=exc.message, field=exc.field), 400


@bp.get("/analyses")
def analyses_list():
    filters = {name: request.args.get(name, "").strip() or None for name in ANALYSIS_FILTERS}
    filters["rayon"] = rayon_arg()
    found = analyses.find(current_app.extensions["sunter_engine"], **filters,
                          limit=int_arg("limit", 500, 1, analyses.MAX_LIMIT))
    return jsonify(analyses=[_analysis_json(case) for case in found])


@bp.post("/analyses")
def analyses_create():
    body = _json_body()
    allowed = {"nomen", "periode", "rayon", "anomaly_type", "description", "priority", "assigned_to", "comment"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadParameter(f"Unknown field(s) {', '.join(unknown)}; fields: {', '.join(sorted(allowed))}.")
    fields = {name: body[name] for name in allowed - {"nomen"} if name in body}
    case = analyses.create(current_app.extensions["sunter_engine"], current_user.username,
                           nomen=body.get("nomen"), **fields)
    audit("analysis_created", detail=analyses.audit_detail(case) + " (API)")
    return jsonify(_analysis_json(case)), 201


@bp.get("/analyses/<int:analysis_id>")
def analyses_get(analysis_id: int):
    return jsonify(_analysis_json(analyses.get(current_app.extensions["sunter_engine"], analysis_id)))


@bp.patch("/analyses/<int:analysis_id>")
def analyses_update(analysis_id: int):
    body = _json_body()
    changes = {key: value for key, value in body.items() if key not in ("version", "comment")}
    case = analyses.update(current_app.extensions["sunter_engine"], analysis_id, body.get("version"),
                           current_user.username, changes, body.get("comment"))
    audit("analysis_updated", detail=analyses.audit_detail(case) + " (API)")
    return jsonify(_analysis_json(case))


@bp.get("/kpi_data")
def kpi_data():
    """The old Flask app's shape, for existing scripts (deprecated; see /api/kpi)."""
    periode = periode_arg(required=False)
    if periode is None:
        stored = queries.periodes()
        if not stored:
            return jsonify(error="No data stored yet: upload MC and COLLECTION files first."), 404
        periode = stored[0]["periode"]
    figures = queries.kpi(periode)
    return jsonify({
        "periode": periode,
        "total_pelanggan": figures["total_pelanggan"],
        "total_kubikasi": figures["total_kubikasi"],
        "target": {"total_nomen": figures["target"]["nomen"], "total_nominal": figures["target"]["nominal"],
                   "sudah_bayar_nomen": figures["paid"]["nomen"],
                   "sudah_bayar_nominal": figures["paid"]["nominal"]},
        "collection_rate": round(figures["collection_rate"], 2),
    })


def _json_error(exc: HTTPException):
    if not request.path.startswith("/api"):
        return exc
    messages = {404: "No such endpoint; see /api/openapi.json.",
                405: f"Method {request.method} is not allowed here.",
                413: "The request is larger than the upload limit."}
    return jsonify(error=messages.get(exc.code, exc.description)), exc.code


def _unknown_api_path():
    # Dash's catch-all route would answer an unknown /api path with its HTML page.
    if request.path.startswith("/api/") and request.blueprint != bp.name:
        return jsonify(error="No such endpoint; see /api/openapi.json."), 404
    return None


def init_app(server: Flask) -> None:
    server.register_blueprint(bp)
    server.before_request(_unknown_api_path)
    server.register_error_handler(HTTPException, _json_error)
