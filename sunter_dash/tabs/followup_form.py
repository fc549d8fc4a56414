"""The follow-up form, shared by Penagihan (for the customer selected in the list) and the
customer profile: what a visit found (result, visit date, promise date, note), saved through
services/followups.py, which checks who may record it and for whom."""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html
from flask import current_app

from ..auth import current_actor
from ..domain.clock import local, now_utc
from ..domain.errors import SunterError
from ..domain.followups import MAX_NOTE, PROMISE, RESULT_LABELS
from ..extensions import app_engine
from ..services import followups

PERMISSION = "collect"  # who is offered the form (the service checks again, and the customer)


@dataclass(frozen=True)
class FormIds:
    """The ids of one page's form: ``<prefix>-followup``, ``<prefix>-followup-who``, ..."""
    prefix: str

    def __getattr__(self, part: str) -> str:
        if part.startswith("_"):
            raise AttributeError(part)
        return f"{self.prefix}-followup" if part == "card" else f"{self.prefix}-followup-{part}"


def card(ids: FormIds, who: str, ready: bool) -> dbc.Card:
    """The form; ``who`` says for whom it records, ``ready`` enables saving."""
    return dbc.Card(dbc.CardBody([
        html.H5("Catat tindak lanjut", className="card-title"),
        html.Div(who, id=ids.who, className="text-muted small mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Hasil kunjungan", html_for=ids.result),
                     dbc.Select(id=ids.result, value=PROMISE,
                                options=[{"label": label, "value": key} for key, label in RESULT_LABELS.items()])],
                    md=3),
            dbc.Col([dbc.Label("Tanggal kunjungan", html_for=ids.visit), dbc.Input(id=ids.visit, type="date")], md=2),
            dbc.Col([dbc.Label("Tanggal janji bayar", html_for=ids.promise),
                     dbc.Input(id=ids.promise, type="date")], md=2),
            dbc.Col([dbc.Label("Catatan", html_for=ids.note), dbc.Input(id=ids.note, maxLength=MAX_NOTE)], md=3),
            dbc.Col(dbc.Button([html.I(className="bi bi-check2 me-1"), "Simpan"], id=ids.save, color="primary",
                               disabled=not ready, className="w-100"), md=2, className="d-flex align-items-end"),
        ], className="g-2"),
        html.Div(id=ids.saved, className="mt-2"),
    ]), id=ids.card, className="mb-3")


def save(ids: FormIds, nomen: str, periode: str, result, visit, promise, note) -> tuple[dbc.Alert, bool]:
    """Record the follow-up: (what to say, whether it was saved)."""
    config = current_app.config["SUNTER_CONFIG"]
    payload = {"nomen": nomen, "periode": periode, "result": result, "visit_date": visit or None,
               "promise_date": promise or None, "note": note or None}
    try:
        saved = followups.add(app_engine(), current_actor(), payload, local(now_utc(), config.timezone).date())
    except SunterError as refused:
        return dbc.Alert(refused.message, color="danger", className="mb-0"), False
    told = (f"Tersimpan: {saved['nomen']} · {RESULT_LABELS[saved['result']]} · {saved['visit_date']}"
            + (f" · janji {saved['promise_date']}" if saved["promise_date"] else ""))
    return dbc.Alert(told, color="success", className="mb-0", id=ids.ok), True
