"""The JSON API under /api (INTERFACES.md): the same queries and services as the tabs.

Every error is one of domain/errors.py, turned into ``{"error": <Indonesian>, "detail":
<English>}`` with its status by one handler; bad input never gets a 500.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import export, queries
from .api_args import NOMEN, collection_args, int_arg, json_body, periode_arg, rayon_arg
from .auth import current_actor
from .domain import checks, files
from .domain.clock import local, now_utc
from .domain.errors import BadParameter, Forbidden, LoadBusy, NotFound, SunterError
from .domain.followups import STATUSES as PROMISE_STATUSES
from .domain.params import ID_MAX, SEARCH_MAX
from .domain.periodes import default_periode, valid_periode
from .extensions import app_engine
from .grid_model import parse_filters, parse_sort
from .openapi import spec
from .queries.anomalies import DEFAULT_SORT, FIELDS
from .services import analyses, reports, scope, uploads
from .services import followups as followup_service
from .services import settings as settings_service

bp = Blueprint("api", __name__, url_prefix="/api")


def needs(permission: str | None):
    """The permission (domain/roles.py) a route's reads need; None: any signed-in user. A route
    without one needs "read". Writes are checked again by the guard and by the services."""
    def mark(view):
        view.permission = permission
        return view
    return mark


@bp.before_request
def _permitted():
    view = current_app.view_functions.get(request.endpoint)
    needed = getattr(view, "permission", "read")
    if needed is not None and not current_user.can(needed):
        raise Forbidden(f"Pengguna '{current_user.username}' (peran {current_user.role}) tidak berhak membuka "
                        f"{request.path}.", f"Role {current_user.role} may not read {request.path}.")


@bp.errorhandler(SunterError)
def _error(exc: SunterError):
    response = jsonify(exc.as_json())
    if exc.extra.get("retry_after"):
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response, exc.status


@bp.get("/openapi.json")
@needs(None)
def openapi():
    return jsonify(spec())


@bp.get("/periodes")
@needs(None)
def periodes():
    stored = queries.periodes(app_engine())
    return jsonify(periodes=[p["periode"] for p in stored], types={p["periode"]: p["types"] for p in stored})


def _goal(periode: str) -> float:
    return settings_service.goal(app_engine(), current_app.config["SUNTER_CONFIG"].thresholds, periode)


@bp.get("/kpi")
def kpi():
    periode = periode_arg()
    return jsonify(queries.kpi_month(app_engine(), periode, rayon_arg(), _goal(periode)))


@bp.get("/kpi/forecast")
def kpi_forecast():
    periode = periode_arg()
    return jsonify({**queries.kpi_forecast(app_engine(), periode, rayon_arg()), "goal": _goal(periode)})


@bp.get("/report/<periode>.<fmt>")
def monthly_report(periode: str, fmt: str):
    found = reports.monthly(app_engine(), current_app.config["SUNTER_CONFIG"], periode, rayon_arg(), fmt)
    return Response(found.content, mimetype=found.mime,
                    headers={"Content-Disposition": f'attachment; filename="{found.name}"'})


@bp.get("/kpi/rayon")
def kpi_rayon():
    return jsonify(queries.kpi_by_rayon_known(app_engine(), periode_arg()))


@bp.get("/kpi/daily")
def kpi_daily():
    return jsonify(queries.kpi_daily_known(app_engine(), periode_arg(), rayon_arg()))


@bp.get("/kpi/series")
def kpi_series():
    first, last = periode_arg("from"), periode_arg("to")
    if first > last:
        raise BadParameter("Parameter 'from' tidak boleh sesudah 'to'.",
                           "Parameter 'from' must not come after 'to'.", field="from")
    by_rayon = request.args.get("by_rayon", "").lower() in ("1", "true", "yes")
    return jsonify(series=queries.kpi_series_known(app_engine(), first, last, rayon_arg(), by_rayon))


@bp.get("/arrears/summary")
def arrears_summary():
    return jsonify(queries.arrears_summary(app_engine(), periode_arg(), rayon_arg()))


@bp.get("/arrears/top")
def arrears_top():
    limit = int_arg("limit", "arrears_top")
    return jsonify(debtors=queries.arrears_top(app_engine(), periode_arg(), rayon_arg(), limit))


@bp.get("/anomaly/summary")
def anomaly_summary():
    return jsonify(queries.anomaly_summary(app_engine(), periode_arg(), rayon_arg()))


@bp.get("/kpi/pcez")
@needs("collection")
def kpi_pcez():
    found = queries.kpi_by_pcez(app_engine(), periode_arg(), rayon_arg())
    return jsonify(scope.groups(app_engine(), current_actor(), found, "pcez"))


@bp.get("/kpi/petugas")
@needs("collection")
def kpi_petugas():
    found = queries.kpi_by_petugas(app_engine(), periode_arg(), rayon_arg())
    return jsonify(scope.groups(app_engine(), current_actor(), found, "petugas"))




@bp.get("/collection/unpaid")
@needs("collection")
def collection_unpaid():
    return jsonify(queries.unpaid(app_engine(), **collection_args("unpaid")))


def _collection_settings() -> tuple[int, int]:
    return settings_service.collection_settings(app_engine(), current_app.config["SUNTER_CONFIG"].thresholds)


@bp.get("/collection/disconnect")
@needs("collection")
def collection_disconnect():
    bills, _grace = _collection_settings()
    return jsonify(queries.disconnect(app_engine(), **collection_args("disconnect"), bills=bills))


@bp.get("/followups")
@needs("collection")
def followups_list():
    nomen = request.args.get("nomen", "").strip() or None
    if nomen is not None and not NOMEN.match(nomen):
        raise BadParameter(f"Parameter 'nomen' harus nomor pelanggan (angka), bukan {nomen!r}.",
                           f"Parameter 'nomen' must be a customer number (digits), got {nomen!r}.", field="nomen")
    args = collection_args("unpaid")
    return jsonify(rows=queries.followups(app_engine(), args["periode"], nomen, args["petugas"]))


@bp.post("/followups")
@needs("collection")
def followups_create():
    config = current_app.config["SUNTER_CONFIG"]
    today = local(now_utc(), config.timezone).date()
    saved = followup_service.add(app_engine(), current_actor(), json_body(), today)
    return jsonify(saved), 201


@bp.get("/promises")
@needs("collection")
def promises_list():
    args = collection_args("unpaid")
    wanted = tuple(s for s in request.args.get("status", "").replace(" ", "").split(",") if s)
    if any(s not in PROMISE_STATUSES for s in wanted):
        raise BadParameter(f"Parameter 'status' berisi {', '.join(PROMISE_STATUSES)} dipisah koma.",
                           f"Parameter 'status' takes {', '.join(PROMISE_STATUSES)}, comma-separated.",
                           field="status")
    _bills, grace = _collection_settings()
    return jsonify(queries.promises(app_engine(), args["periode"], args["petugas"], wanted or None, grace))


@bp.get("/anomalies")
def anomalies():
    periode, rayon = periode_arg(), rayon_arg()
    key = request.args.get("type", "").strip()
    if key not in checks.names():
        raise BadParameter(f"Parameter 'type' harus salah satu dari {', '.join(checks.names())}, bukan {key!r}.",
                           f"Parameter 'type' must be one of {', '.join(checks.names())}, got {key!r}.",
                           field="type")
    page = int_arg("page", "anomalies_page")
    page_size = int_arg("page_size", "anomalies_page_size")
    sort = parse_sort(request.args.get("sort") or None, FIELDS, DEFAULT_SORT)
    filters = parse_filters(request.args.get("filters") or None, FIELDS)
    found = queries.anomaly_page(app_engine(), periode, key, rayon, (page - 1) * page_size, page_size, sort, filters)
    return jsonify(periode=periode, rayon=rayon, type=key, total=found["total"], page=page, page_size=page_size,
                   rows=found["rows"])


@bp.get("/customers/search")
@needs("profile")
def customer_search():
    q = request.args.get("q", "").strip()
    if not q:
        raise BadParameter("Parameter 'q' wajib diisi: awal NOMEN, atau kata dari nama atau alamat.",
                           "Parameter 'q' is required: the start of a NOMEN, or words of the name or address.",
                           field="q")
    if len(q) > SEARCH_MAX:
        raise BadParameter(f"Parameter 'q' paling banyak {SEARCH_MAX} karakter.",
                           f"Parameter 'q' must be at most {SEARCH_MAX} characters, got {len(q)}.", field="q")
    limit = int_arg("limit", "search_limit")
    return jsonify(results=scope.customer_search(app_engine(), current_actor(), q, rayon_arg(), limit))


@bp.get("/customers/<nomen>")
@needs("profile")
def customer_profile(nomen: str):
    if not NOMEN.match(nomen):
        raise BadParameter(f"NOMEN hanya berisi angka (mis. 60012345), bukan {nomen[:40]!r}.",
                           f"NOMEN must be digits (e.g. 60012345), got {nomen[:40]!r}.", field="nomen")
    actor = current_actor()
    scope.check_customer(app_engine(), actor, nomen)
    profile = queries.customer_profile(app_engine(), nomen)
    if profile is None:
        raise NotFound(f"Pelanggan {nomen} tidak ada di data yang tersimpan.", f"Customer {nomen} is in no stored data.")
    return jsonify(scope.profile(actor, profile))


@bp.get("/export/<dataset>.<fmt>")
def export_dataset(dataset: str, fmt: str):
    periode, rayon = periode_arg(), rayon_arg()
    content, name, mime = export.build(app_engine(), dataset, fmt, periode, rayon)
    return Response(content, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/uploads")
def uploads_list():
    limit = int_arg("limit", "uploads_limit")
    return jsonify(uploads=queries.uploads(app_engine(), limit))


@bp.post("/uploads")
def upload_file():
    """Admin: the same pipeline and service as the page."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise BadParameter("Kirim file sebagai isian multipart 'file'.", "Send the file as multipart form field 'file'.",
                           field="file")
    periode = request.form.get("periode", "").strip() or None
    if periode and not valid_periode(periode):
        raise BadParameter(f"Parameter 'periode' harus berbentuk YYYY-MM (mis. 2025-12), bukan {periode!r}.",
                           f"Parameter 'periode' must be YYYY-MM (e.g. 2025-12), got {periode!r}.", field="periode")
    file_type = request.form.get("type", "").strip().upper() or None
    if file_type and file_type not in files.names():
        raise BadParameter(f"Parameter 'type' harus salah satu dari {', '.join(files.names())}, bukan {file_type!r}.",
                           f"Parameter 'type' must be one of {', '.join(files.names())}, got {file_type!r}.",
                           field="type")
    mapping, replace = _mapping_field(), _flag_field("replace")
    profile = request.form.get("profile", "").strip() or None
    config = current_app.config["SUNTER_CONFIG"]
    with tempfile.TemporaryDirectory(prefix="sunter-api-") as folder:
        path = Path(folder) / "upload"  # our own name: the client's may be anything (it is recorded as given)
        sent.save(path)
        result = uploads.load(app_engine(), current_actor(), path, filename=Path(sent.filename).name,
                              file_type=file_type, periode=periode, max_bytes=config.max_upload_bytes,
                              mapping=mapping, profile=profile, replace=replace, wait_seconds=config.load_wait_seconds)
    if result.busy:  # recorded as refused; the client is told when to try again
        raise LoadBusy.after(result)
    return jsonify(result.as_json())


def _mapping_field() -> dict[str, str] | None:
    """The form's ``map``: a JSON object, the type's column -> the file's column."""
    text = request.form.get("map", "").strip()
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                for k, v in mapping.items()):
        raise BadParameter('Isian \'map\' harus objek JSON kolom -> kolom file, mis. {"NOMEN": "NOTAG"}.',
                           'Field \'map\' must be a JSON object of column -> file column, e.g. {"NOMEN": "NOTAG"}.',
                           field="map")
    return mapping


def _flag_field(name: str) -> bool:
    text = request.form.get(name, "").strip().lower()
    if text not in ("", "true", "false", "1", "0"):
        raise BadParameter(f"Isian '{name}' harus true atau false, bukan {text[:20]!r}.",
                           f"Field {name!r} must be true or false, got {text[:20]!r}.", field=name)
    return text in ("true", "1")


@bp.delete(f"/uploads/<int(max={ID_MAX}):upload_id>")
def delete_upload(upload_id: int):
    deleted, _upload, restored = uploads.delete(app_engine(), current_actor(), upload_id)
    return jsonify(upload_id=upload_id, removed=deleted.removed, restored_upload=restored["id"] if restored else None,
                   kept=deleted.kept, kept_by=list(deleted.kept_by))


# --- the manual-analysis workbench ------------------------------------------------------------

ANALYSIS_FILTERS = ("status", "priority", "assigned_to", "rayon", "periode", "anomaly_type", "nomen")


def _analysis_json(case: dict) -> dict:
    """Times as ISO 8601 UTC ('2025-12-01T09:30:00Z'), like every time the API sends."""
    def plain(value):
        return value.isoformat(timespec="seconds") + "Z" if hasattr(value, "isoformat") else value
    found = {key: plain(value) for key, value in case.items() if key != "history"}
    if "history" in case:
        found["history"] = [{**event, "created_at": plain(event["created_at"])} for event in case["history"]]
    return found




@bp.get("/analyses")
def analyses_list():
    filters = {name: request.args.get(name, "").strip() or None for name in ANALYSIS_FILTERS}
    filters["rayon"] = rayon_arg()
    found = queries.find_analyses(app_engine(), **filters, limit=int_arg("limit", "analyses_limit"))
    return jsonify(analyses=[_analysis_json(case) for case in found])


@bp.post("/analyses")
def analyses_create():
    body = json_body()
    allowed = {"nomen", "periode", "rayon", "anomaly_type", "description", "priority", "assigned_to", "comment"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadParameter(f"Isian tidak dikenal: {', '.join(unknown)}.",
                           f"Unknown field(s) {', '.join(unknown)}; fields: {', '.join(sorted(allowed))}.",
                           field=unknown[0])
    fields = {name: body[name] for name in allowed - {"nomen"} if name in body}
    case = analyses.create(app_engine(), current_actor(), nomen=body.get("nomen"), **fields)
    # The same active case already open: it is answered, not made again (200, not 201).
    return jsonify(_analysis_json(case)), 200 if case["existing"] else 201


@bp.get(f"/analyses/<int(max={ID_MAX}):analysis_id>")
def analyses_get(analysis_id: int):
    return jsonify(_analysis_json(queries.get_analysis(app_engine(), analysis_id)))


@bp.patch(f"/analyses/<int(max={ID_MAX}):analysis_id>")
def analyses_update(analysis_id: int):
    body = json_body()
    changes = {key: value for key, value in body.items() if key not in ("version", "comment")}
    case = analyses.update(app_engine(), current_actor(), analysis_id, body.get("version"), changes,
                           body.get("comment"))
    return jsonify(_analysis_json(case))


@bp.get("/kpi_data")
def kpi_data():
    """The old Flask app's shape, for existing scripts (deprecated; see /api/kpi)."""
    periode = periode_arg(required=False)
    if periode is None:
        periode = default_periode(queries.periodes(app_engine()))
        if periode is None:
            raise NotFound("Belum ada data tersimpan: unggah file MC dan COLLECTION dahulu.",
                           "No data stored yet: upload MC and COLLECTION files first.")
    figures = queries.kpi(app_engine(), periode)
    return jsonify({
        "periode": periode,
        "total_pelanggan": figures["total_pelanggan"],
        "total_kubikasi": figures["total_kubikasi"],
        "target": {"total_nomen": figures["target"]["nomen"], "total_nominal": figures["target"]["nominal"],
                   "sudah_bayar_nomen": figures["paid"]["nomen"],
                   "sudah_bayar_nominal": figures["paid"]["nominal"]},
        "collection_rate": round(figures["collection_rate"], 2),
    })


HTTP_MESSAGES = {
    404: ("Tidak ada endpoint ini; lihat /api/openapi.json.", "No such endpoint; see /api/openapi.json."),
    405: ("Metode ini tidak diizinkan di sini.", "This method is not allowed here."),
    413: ("Permintaan lebih besar dari batas unggahan.", "The request is larger than the upload limit."),
}


def http_error(status: int, description: str | None = None) -> SunterError:
    """One of werkzeug's HTTP errors as this API's error (its body in the shape of every other)."""
    message, detail = HTTP_MESSAGES.get(status, ("Permintaan tidak dapat diproses.", description or str(status)))
    error = SunterError(message, detail)
    error.status = status
    return error


def _json_error(exc: HTTPException):
    if not request.path.startswith("/api"):
        return exc
    return _error(http_error(exc.code, exc.description))


def _api_methods() -> list[str]:
    """The methods an API route of this path takes (not Dash's catch-all page, which takes GET of
    any path: an id past its converter's range matches no API route, and is a 404)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    methods = []
    for method in request.routing_exception.valid_methods or ():
        try:
            rule, _args = adapter.match(request.path, method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint.startswith(f"{bp.name}."):
            methods.append(method)
    return sorted(methods)


def _unknown_api_path():
    # Dash's catch-all route would answer an unknown /api path with its HTML page; a known path
    # asked with a method it does not take is a 405 (with Allow).
    if request.path.startswith("/api/") and request.blueprint != bp.name:
        allowed = _api_methods() if isinstance(request.routing_exception, MethodNotAllowed) else []
        if allowed:
            response = _error(http_error(405))[0]
            response.headers["Allow"] = ", ".join(allowed)
            return response, 405
        return _error(http_error(404))
    return None


def init_app(server: Flask) -> None:
    server.register_blueprint(bp)
    server.before_request(_unknown_api_path)
    server.register_error_handler(HTTPException, _json_error)
