"""Pengaturan's e-mail subscriptions: who receives the daily summary and the monthly report, and
the latest sends with their result (a failed one says why and when it is tried again). The rules
and the records are services/subscriptions.py; this is only the card and its callbacks."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from flask import current_app

from .. import queries
from ..auth import current_actor
from ..components.forms import field, heading, notice, rayon_options, select
from ..domain import subscriptions as rule
from ..domain.clock import local, wall
from ..domain.errors import SunterError
from ..domain.listing import ALL_RAYONS, rayon_filter
from ..domain.periodes import date_label, periode_label
from ..extensions import app_engine
from ..services import subscriptions

ALERT = "mail-alert"
SMTP = "mail-smtp"
KIND = "mail-kind"
RECIPIENTS = "mail-recipients"
DAY = "mail-day"
RAYON = "mail-rayon"
ADD = "mail-add"
LIST = "mail-list"
SENDS = "mail-sends"
REMOVE = "mail-remove"
CHANGED = "mail-changed"


def layout() -> dbc.Card:
    kinds = [{"label": label, "value": kind} for kind, label in rule.KINDS.items()]
    return dbc.Card(dbc.CardBody([
        heading("Langganan e-mail", "Ringkasan harian (rate, perkiraan, kekurangan, pembayaran, anomali baru) dan "
                "laporan bulanan (PDF) dikirim sendiri lewat SMTP; pengiriman yang gagal dicoba lagi "
                f"{rule.RETRIES} kali, {rule.RETRY_MINUTES} menit sekali."),
        html.Div(id=SMTP),
        html.Div(id=ALERT),
        dbc.Row([
            dbc.Col(field("Jenis", select(KIND, kinds, rule.DAILY)), md=3),
            dbc.Col(field("Penerima", dbc.Input(id=RECIPIENTS, size="sm", placeholder="nama@pamjaya.co.id, ...",
                                                maxLength=2000)), md=4),
            dbc.Col(field("Tanggal kirim", dbc.Input(id=DAY, size="sm", type="number", min=1, max=rule.LAST_DAY,
                                                     value=3), "laporan bulanan: tiap tanggal ini"), md=2),
            dbc.Col(field("Rayon", select(RAYON, rayon_options([]), ALL_RAYONS)), md=2),
            dbc.Col(dbc.Button("Tambah", id=ADD, size="sm", color="primary", className="mt-md-4"), md=1),
        ], className="g-2"),
        html.Div(id=LIST, className="mt-2"),
        html.H6("Pengiriman terakhir", className="mt-3"),
        html.Div(id=SENDS),
    ]), className="mb-3")


def subscription_table(found: list[dict]) -> html.Div:
    if not found:
        return html.Div("Belum ada langganan.", className="small text-muted")
    lines = [html.Tr([html.Td(f"#{s['id']}"), html.Td(s["kind_label"]),
                      html.Td(s["recipients"], className="text-break"),
                      html.Td(f"Rayon {s['rayon']}" if s["rayon"] else "Semua rayon"),
                      html.Td(f"tiap tanggal {s['day']}" if s["day"] else "setiap hari"),
                      html.Td(dbc.Button("Hapus", id={"type": REMOVE, "id": s["id"]}, size="sm", color="danger",
                                         outline=True))]) for s in found]
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("", "Jenis", "Penerima", "Rayon", "Jadwal", "")])),
                      html.Tbody(lines)], size="sm", responsive=True, className="align-middle mail-subscriptions")


def sends_table(found: list[dict], zone: str) -> html.Div:
    if not found:
        return html.Div("Belum ada pengiriman.", className="small text-muted")
    lines = []
    for s in found:
        when = wall(s["sent_at"] or s["claimed_at"], zone)
        retry = local(s["next_attempt_at"], zone)
        said = s["error"] or ""
        if retry:
            said = f"{said} (dicoba lagi {retry:%H:%M} {retry.tzname()})"
        due = date_label(s["due"]) if s["kind"] == rule.DAILY else periode_label(s["due"])
        lines.append(html.Tr([html.Td(when or "-"), html.Td(rule.KINDS[s["kind"]]), html.Td(due),
                              html.Td(s["recipients"], className="text-break"),
                              html.Td(s["status_label"], className=f"mail-status-{s['status']}"),
                              html.Td(str(s["attempts"])), html.Td(said, className="small text-break")]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("Waktu", "Jenis", "Untuk", "Penerima",
                                                              "Hasil", "Percobaan", "Keterangan")])),
                      html.Tbody(lines)], size="sm", responsive=True, className="align-middle mail-sends")


def register_callbacks(app: Dash, changed: str) -> None:
    """``changed``: the settings tab's store whose change redraws the whole tab."""

    @app.callback(output={"list": Output(LIST, "children"), "sends": Output(SENDS, "children"),
                          "rayons": Output(RAYON, "options"), "warning": Output(SMTP, "children")},
                  inputs={"_changed": Input(changed, "data")})
    def refresh(_changed):
        engine, config = app_engine(), current_app.config["SUNTER_CONFIG"]
        warning = None if config.smtp_host else notice(
            "SMTP belum diatur: langganan tersimpan, tetapi e-mail baru terkirim setelah SUNTER_SMTP_HOST diisi "
            "(docs/DEPLOYMENT.md).", "warning")
        return {"list": subscription_table(subscriptions.listed(engine)),
                "sends": sends_table(subscriptions.sends(engine, 20), config.timezone),
                "rayons": rayon_options(queries.rayons(engine)), "warning": warning}

    @app.callback(output={"alert": Output(ALERT, "children"),
                          "changed": Output(changed, "data", allow_duplicate=True)},
                  inputs={"_add": Input(ADD, "n_clicks"), "_remove": Input({"type": REMOVE, "id": ALL}, "n_clicks")},
                  state={"kind": State(KIND, "value"), "recipients": State(RECIPIENTS, "value"),
                         "day": State(DAY, "value"), "rayon": State(RAYON, "value"), "count": State(changed, "data")},
                  prevent_initial_call=True)
    def change(_add, _remove, kind, recipients, day, rayon, count):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return {"alert": no_update, "changed": no_update}
        engine, actor = app_engine(), current_actor()
        try:
            if ctx.triggered_id == ADD:
                new_id = subscriptions.add(engine, actor, kind or "", recipients or "", day, rayon_filter(rayon))
                message = f"Langganan #{new_id} ({rule.KINDS[kind]}) disimpan."
            else:
                subscriptions.remove(engine, actor, int(ctx.triggered_id["id"]))
                message = f"Langganan #{ctx.triggered_id['id']} dihapus."
        except SunterError as exc:
            return {"alert": notice(exc.message, "danger"), "changed": no_update}
        return {"alert": notice(message), "changed": (count or 0) + 1}
