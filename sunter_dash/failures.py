"""A 500 is a bug: every request gets an id, an unexpected exception is logged with it, and the
user sees that id (an API body, a plain page, or an alert in the shell for a callback), so the
log line can be found. Bad input never reaches here: it is a SunterError with its own status."""
from __future__ import annotations

import logging
import secrets

from dash import html, set_props
from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import ids
from .domain.errors import SunterError

log = logging.getLogger("sunter_dash")

MESSAGE = ("Terjadi kesalahan di server (kode {code}). Tidak ada yang berubah karena kesalahan ini; coba lagi, dan "
           "bila terulang, kirim kode ini ke admin.")


def request_id() -> str:
    """This request's id (made on first use)."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(4)
    return g.request_id


def _server_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return exc
    code = request_id()
    log.exception("unexpected error [%s] %s %s", code, request.method, request.path)
    if request.path.startswith("/api"):
        response = jsonify(error=MESSAGE.format(code=code), detail=f"Internal error {type(exc).__name__}",
                           field=None, request_id=code)
        return response, 500
    page = (f"<!doctype html><html lang='id'><meta charset='utf-8'><title>Kesalahan server</title>"
            f"<body style='font-family:sans-serif;margin:3rem'><h1>Kesalahan server</h1>"
            f"<p>{MESSAGE.format(code=code)}</p><p><a href='/'>Kembali ke dasbor</a></p></body></html>")
    return page, 500, {"Content-Type": "text/html; charset=utf-8"}


def callback_error(exc: Exception) -> None:
    """Dash's on_error: a callback that raised is logged, and the tab's panel is replaced by the
    message with its code, so no figure of before stays on screen under a new label. A refusal
    (a SunterError, e.g. a petugas's crafted request for another officer's list) is no bug: the
    panel says its sentence."""
    code = request_id()
    if isinstance(exc, SunterError):
        log.info("callback refused [%s]: %s", code, exc.detail)
        text = exc.message
    else:
        log.error("unexpected error in a callback [%s]", code, exc_info=exc)
        text = MESSAGE.format(code=code)
    set_props(ids.CONTENT, {"children": html.Div([
        html.Div(text, className="alert alert-danger", role="alert", id=ids.ERROR),
        html.A("Muat ulang halaman", href="", className="btn btn-outline-primary btn-sm")])})


def init_app(server: Flask) -> None:
    server.after_request(_tag)
    server.register_error_handler(Exception, _server_error)


def _tag(response):
    response.headers["X-Request-Id"] = request_id()
    return response
