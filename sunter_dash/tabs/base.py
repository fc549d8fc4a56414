"""What every tab is made of: its record in the registry, and the server-side permission check
of its callbacks (hiding a tab is not authorization: anyone signed in can POST to
``/_dash-update-component``). Every callback a tab registers answers only users who may open
the tab (``register_tab``); ``guarded`` checks a finer permission inside a tab (deleting,
recording a follow-up)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from dash import Dash, ctx, no_update
from flask import abort, jsonify, make_response, request

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


def register_tab(app: Dash, tab: Tab) -> None:
    """Register the tab's callbacks, each answering only users who may open the tab: checked
    inside Dash's own dispatch, so whatever route or prefix a request comes by, it is refused
    (403, in the API's error shape) before the callback runs."""
    before = set(app.callback_map)
    tab.register(app)
    for output in set(app.callback_map) - before:
        entry = app.callback_map[output]
        if "callback" in entry:  # a clientside callback runs in the browser
            entry["callback"] = _permitted(entry["callback"], tab.permission)


def _permitted(dispatched: Callable, permission: str) -> Callable:
    @wraps(dispatched)
    def checked(*args, **kwargs):
        if not may(permission):
            refused = _refused(permission)
            abort(make_response(jsonify(refused.as_json()), refused.status))
        return dispatched(*args, **kwargs)
    return checked


def _refused(permission: str) -> Forbidden:
    return Forbidden("Anda tidak berhak membuka bagian ini.", f"Not allowed: this callback needs {permission!r}.")


def is_callback_request() -> bool:
    """A POST to Dash's callback route, under whatever prefix the app is served."""
    return request.method == "POST" and request.path.endswith("/_dash-update-component")


def guard_jobs():
    """before_request: a request that would start a background job (Dash's callback route, an
    output a tab declared, no job of it yet) needs the permission, and a slot, before Dash spawns
    anything; a refusal answers in the API's error shape."""
    if not is_callback_request() or request.args.get("cacheKey"):
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
