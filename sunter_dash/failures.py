"""A 500 is a bug: every request gets an id, an unexpected exception is logged with it, and the
user sees that id (an API body, a plain page, or an alert on the panel whose callback failed), so
the log line can be found. Bad input never reaches here: it is a SunterError with its own status."""
from __future__ import annotations

import logging
import secrets

from dash import callback_context, set_props
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
    """Dash's on_error: a callback that raised is logged, its outputs are left as they were, and
    the page is told which outputs failed and why (the shell's failure store): the panel holding
    them says so, its stale content dimmed (assets/20-session-ended.js), and the rest of the page
    keeps working. A refusal (a SunterError, e.g. a petugas's crafted request for another
    officer's list) is no bug: its sentence. Anything else: the message with its code."""
    code = request_id()
    if isinstance(exc, SunterError):
        log.info("callback refused [%s]: %s", code, exc.detail)
        text = exc.told("page")
    else:
        log.error("unexpected error in a callback [%s]", code, exc_info=exc)
        text = MESSAGE.format(code=code)
    outputs, listed = [], callback_context.outputs_list or []
    for output in [listed] if isinstance(listed, dict) else listed:  # one output, or several
        for one in output if isinstance(output, list) else [output]:  # a pattern's outputs
            if isinstance(one, dict) and "id" in one:
                outputs.append(one["id"])
    set_props(ids.FAILURE, {"data": {"error": text, "outputs": outputs, "code": code}})


def init_app(server: Flask) -> None:
    server.after_request(_tag)
    server.register_error_handler(Exception, _server_error)


def _tag(response):
    response.headers["X-Request-Id"] = request_id()
    return response
