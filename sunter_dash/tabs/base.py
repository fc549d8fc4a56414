"""What every tab is made of: its record in the registry, and the server-side permission check
of its callbacks (hiding a tab is not authorization: anyone signed in can POST to
``/_dash-update-component``). Every callback a tab registers answers only users who may open
the tab (``guard_callbacks``); ``guarded`` checks a finer permission inside a tab (deleting,
recording a follow-up)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from dash import Dash, ctx, no_update
from flask import current_app, jsonify, request

from ..auth import may
from ..domain.errors import Forbidden, SunterError


@dataclass(frozen=True)
class Background:
    """A background callback of a tab: Dash spawns a worker for it before the callback runs, so
    who may start one, and how many may run, is checked on the request itself (``guard_jobs``)."""
    output: str  # as Dash names the callback's output, e.g. "upload-results-store.data"
    permission: str
    claim: Callable[[dict], None] | None = None  # (the request's body) -> None, or raises SunterError


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    layout: Callable
    register: Callable[[Dash], None]
    permission: str = "read"  # who is offered the tab and may run its callbacks
    background: tuple[Background, ...] = ()


def guarded(permission: str, **refusal):
    """Run the callback only for users who may ``permission``; everyone else gets ``refusal``
    (output name -> value, for a callback whose outputs are a dict) and no change to the other
    outputs (a callback of one output: ``value``, else no change)."""
    def wrap(fn: Callable) -> Callable:
        @wraps(fn)
        def checked(*args, **kwargs):
            if may(permission):
                return fn(*args, **kwargs)
            outputs = ctx.outputs_grouping
            if isinstance(outputs, dict) and "property" not in outputs:
                return {name: refusal.get(name, no_update) for name in outputs}
            return refusal.get("value", no_update)
        return checked
    return wrap


PERMISSIONS_KEY = "sunter_callback_permissions"  # server.extensions: callback output -> its tab's permission


def register_tab(app: Dash, tab: Tab) -> None:
    """Register the tab's callbacks, noting each one's permission for ``guard_callbacks``."""
    before = set(app.callback_map)
    tab.register(app)
    permissions = app.server.extensions.setdefault(PERMISSIONS_KEY, {})
    permissions.update(dict.fromkeys(set(app.callback_map) - before, tab.permission))


def guard_callbacks():
    """before_request: a callback of a tab the user may not open is refused (403, in the API's
    error shape) before Dash runs it, whatever the request carries."""
    if request.path != "/_dash-update-component" or request.method != "POST":
        return None
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    needed = current_app.extensions.get(PERMISSIONS_KEY, {}).get(output) if isinstance(output, str) else None
    if needed is None or may(needed):
        return None
    refused = Forbidden("Anda tidak berhak membuka bagian ini.", f"Not allowed: this callback needs {needed!r}.")
    return jsonify(refused.as_json()), refused.status


def guard_jobs():
    """before_request: a request that would start a background job (Dash's callback route, an
    output a tab declared, no job of it yet) needs the permission, and a slot, before Dash spawns
    anything; a refusal answers in the API's error shape."""
    if request.path != "/_dash-update-component" or request.method != "POST" or request.args.get("cacheKey"):
        return None
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    from . import TABS
    job = next((b for tab in TABS for b in tab.background if b.output == output), None)
    if job is None:
        return None
    try:
        if not may(job.permission):
            raise Forbidden("Anda tidak berhak menjalankan pekerjaan ini.", "Not allowed to start this job.")
        if job.claim:
            job.claim(body)
    except SunterError as refused:
        return jsonify(refused.as_json()), refused.status
    return None


def state_value(body: dict, component_id: str, prop: str = "data"):
    """The value a Dash callback request carries for a State (for a Background's claim)."""
    return next((s.get("value") for s in body.get("state") or []
                 if isinstance(s, dict) and s.get("id") == component_id and s.get("property") == prop), None)
