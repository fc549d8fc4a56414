"""What every request and response go through, whatever the route: a body limit per route (only
the file transfers take large bodies) and the security headers (docs/SECURITY.md)."""
from __future__ import annotations

from dash import Dash
from dash.exceptions import DependencyException
from flask import Flask, current_app, jsonify, request

from .domain.errors import BadParameter
from .domain.text import is_text_everywhere

JSON_BODY_LIMIT = 1024 * 1024  # every route but the file transfers
FILE_ROUTES = {("POST", "/api/uploads"), ("POST", "/upload/stage")}  # one file, or a few (tabs/upload.py)
FILES_AT_ONCE = 10


def _limit_body():
    """before_request (first): a body over its route's limit is refused (413) before it is read."""
    config = current_app.config["SUNTER_CONFIG"]
    if (request.method, request.path) in FILE_ROUTES:
        request.max_content_length = config.max_upload_bytes * FILES_AT_ONCE + JSON_BODY_LIMIT
    else:
        request.max_content_length = JSON_BODY_LIMIT


def dash_body_shape():
    """before_request: Dash's callback route takes the body its renderer sends, for a callback the
    app has; anything else is a 400 here, rather than an exception inside Dash's dispatcher."""
    if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
        return None
    callbacks = current_app.extensions["sunter_dash_app"].callback_map
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None

    def props(items) -> bool:
        return isinstance(items, list) and all(
            isinstance(i, list) and props(i) or isinstance(i, dict) and isinstance(i.get("id"), (str, dict))
            and isinstance(i.get("property"), str) for i in items)
    well_formed = (isinstance(body, dict) and isinstance(body.get("output"), str) and body["output"] in callbacks
                   and isinstance(body.get("outputs"), (dict, list)) and props(body.get("inputs"))
                   and props(body.get("state", [])) and isinstance(body.get("changedPropIds", []), list)
                   and is_text_everywhere(body))
    if well_formed:  # as many inputs and states as the callback takes
        spec = callbacks[body["output"]]
        well_formed = (len(body["inputs"]) == len(spec.get("inputs", []))
                       and len(body.get("state", [])) == len(spec.get("state", [])))
    if well_formed:
        return None
    refused = BadParameter("Permintaan halaman tidak dapat dibaca; muat ulang halaman.",
                           "Not a Dash callback request this app's pages send.")
    return jsonify(refused.as_json()), refused.status


def _missing_component(_exc):
    """A request for a script no component registered: 404, no traceback in the log."""
    return "Not found", 404, {"Content-Type": "text/plain; charset=utf-8"}


def csp(app: Dash) -> str:
    """The Content-Security-Policy the app's own pages satisfy: scripts from this site and Dash's
    inline scripts by hash, no 'unsafe-eval' (dash-ag-grid reads the grids' {"function": ...}
    formatters with its own parser, not eval: measured, docs/SECURITY.md); inline styles for
    Plotly and Dash's components."""
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"])


def init_app(app: Dash) -> None:
    server: Flask = app.server
    server.extensions["sunter_dash_app"] = app
    server.config["MAX_CONTENT_LENGTH"] = None  # set per request by _limit_body
    server.before_request_funcs.setdefault(None, []).insert(0, _limit_body)
    server.register_error_handler(DependencyException, _missing_component)
    policy: list[str] = []

    @server.after_request
    def _headers(response):
        if not policy:  # the hashes are known once Dash has its scripts (first request)
            policy.append(csp(app))
        response.headers.setdefault("Content-Security-Policy", policy[0])
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
