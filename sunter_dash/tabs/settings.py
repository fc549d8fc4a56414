"""Tab "Pengaturan" (admins): the settings an admin may change (the meter checks' thresholds, the
read-method codes taken as actual reads, the collection settings and the default goal), each
beside the environment's default; the goal of single periodes; and the column-mapping profiles.

A value saved here wins over the environment and survives restarts (METRICS.md, settings
precedence); saving recomputes the flags. The rules and the audit live in services/settings.py
and services/profiles.py.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import current_app

from .. import queries
from ..auth import current_actor
from ..components.forms import dropdown, field, heading, notice
from ..components.grids import column, grid
from ..domain.clock import wall
from ..domain.errors import BadParameter, SunterError
from ..domain.periodes import periode_label
from ..domain.settings import GOAL
from ..extensions import app_engine, branch_zone
from ..services import profiles, settings
from . import settings_mail
from .base import Tab

TAB_ID = "settings"
LABEL = "Pengaturan"
PERMISSION = "settings"

ALERT = "settings-alert"
TABLE = "settings-table"
ROW = "settings-row"
VALUE = "settings-value"
SAVE = "settings-save"
RESET = "settings-reset"
CHANGED = "settings-changed"
PROFILES = "settings-profiles"
PROFILE_NAME = "settings-profile-name"
PROFILE_MAPPING = "settings-profile-mapping"
PROFILE_SAVE = "settings-profile-save"
PROFILE_DELETE = "settings-profile-delete"
PROFILE_FIELDS = "settings-profile-fields"
PROFILE_ALERT = "settings-profile-alert"
GOAL_ALERT = "settings-goal-alert"
GOAL_PERIODE = "settings-goal-periode"
GOAL_VALUE = "settings-goal-value"
GOAL_SAVE = "settings-goal-save"
GOAL_RESET = "settings-goal-reset"
GOALS = "settings-goals"

PROFILE_COLUMNS = [
    column("name", "Nama profil", minWidth=160, filter=True),
    column("file_type", "Tipe", minWidth=100, flex=0, width=120),
    column("mapping_text", "Pemetaan (kolom tipe = kolom file)", minWidth=260, tooltipField="mapping_text"),
    column("updated_by", "Diubah oleh", minWidth=110, flex=0, width=130),
    column("updated_at", "Diubah", minWidth=160, flex=0, width=170),
]


def layout() -> html.Div:
    table = grid(PROFILES, PROFILE_COLUMNS, rowSelection={"mode": "singleRow", "checkboxes": False,
                                                          "enableClickSelection": True},
                 localeText={"noRowsToShow": "Belum ada profil kolom; simpan dari tab Unggah."}, tooltipShowDelay=400)
    table.getRowId = "params.data.row_id"
    return html.Div([
        html.Div(id=ALERT),
        dbc.Card(dbc.CardBody([
            heading("Setelan", "Nilai bawaan berasal dari lingkungan server (variabel SUNTER_...). Nilai yang "
                    "disimpan di sini berlaku sampai dikembalikan ke bawaan; menyimpan setelan meter menghitung ulang anomali."),
            html.Div(id=TABLE),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            heading("Target collection rate per periode", "Target bawaan berlaku untuk setiap periode; di sini "
                    "target satu periode dapat diganti. Tampil di Ringkasan, Tren, per rayon dan di laporan."),
            html.Div(id=GOAL_ALERT),
            dbc.Row([
                dbc.Col(field("Periode", dropdown(id=GOAL_PERIODE, clearable=False, placeholder="Pilih periode")),
                        md=4),
                dbc.Col(field("Target (%)", dbc.Input(id=GOAL_VALUE, size="sm", inputMode="decimal",
                                                      placeholder="mis. 92,5")), md=3),
                dbc.Col(html.Div([
                    dbc.Button("Simpan", id=GOAL_SAVE, size="sm", color="primary", outline=True),
                    dbc.Button("Bawaan", id=GOAL_RESET, size="sm", color="secondary", outline=True,
                               title="Kembalikan periode ini ke target bawaan"),
                ], className="d-flex gap-1 align-items-end h-100 pb-2"), md=3),
            ], className="g-2"),
            html.Div(id=GOALS),
        ]), className="mb-3"),
        settings_mail.layout(),
        dbc.Card(dbc.CardBody([
            heading("Profil kolom", "Pemetaan kolom file yang disimpan dari tab Unggah; diterapkan sendiri pada "
                    "file dengan judul kolom yang sama."),
            html.Div(id=PROFILE_ALERT),
            table,
            html.Fieldset([
                dbc.Row([
                    dbc.Col(field("Nama profil", dbc.Input(id=PROFILE_NAME, maxLength=64, size="sm")), md=4),
                    dbc.Col(field("Pemetaan", dbc.Textarea(id=PROFILE_MAPPING, rows=4, size="sm",
                                                           className="settings-mapping"),
                                  "Satu baris per kolom: KOLOM_TIPE=KOLOM_FILE, mis. AMT_COLLECT=NILAI_BAYAR."),
                            md=8),
                ], className="g-2 mt-2"),
                html.Div([
                    dbc.Button([html.I(className="bi bi-save me-1"), "Simpan profil"], id=PROFILE_SAVE,
                               color="primary", size="sm"),
                    dbc.Button([html.I(className="bi bi-trash me-1"), "Hapus profil"], id=PROFILE_DELETE,
                               color="danger", outline=True, size="sm"),
                ], className="d-flex gap-2"),
            ], id=PROFILE_FIELDS, disabled=True),
        ])),
        dcc.Store(id=CHANGED, data=0),
    ])


# --- pure builders ----------------------------------------------------------------------------

def settings_table(rows: list[dict], zone: str) -> dbc.Table:
    """One line per setting: what it is, the default, the value in force (editable), save, reset."""
    lines = []
    for row in rows:
        source = (f"disimpan {row['updated_by'] or '-'} {wall(row['updated_at'], zone)}" if row["saved"] is not None
                  else "bawaan")
        lines.append(html.Tr([
            html.Td([html.Div(row["label"]), html.Code(row["env"], className="small text-muted")]),
            html.Td(row["default"], className="settings-default"),
            html.Td([html.Label([html.Span(row["label"], className="visually-hidden"),  # the input's name
                                 dbc.Input(id={"type": VALUE, "key": row["key"]}, value=row["value"], size="sm",
                                           className="settings-input")], className="d-block mb-0"),
                     html.Div(source, className="small text-muted")]),
            html.Td(html.Div([
                dbc.Button("Simpan", id={"type": SAVE, "key": row["key"]}, size="sm", color="primary", outline=True),
                dbc.Button("Bawaan", id={"type": RESET, "key": row["key"]}, size="sm", color="secondary",
                           outline=True, disabled=row["saved"] is None, title="Kembalikan ke nilai bawaan"),
            ], className="d-flex gap-1")),
        ], id={"type": ROW, "key": row["key"]}))
    return dbc.Table([html.Thead(html.Tr([html.Th("Setelan"), html.Th("Bawaan"), html.Th("Nilai berlaku"),
                                          html.Th("")])), html.Tbody(lines)],
                     size="sm", responsive=True, className="settings-table align-middle")


def goals_list(found: list[dict], zone: str) -> html.Div:
    """The goals admins set per periode, or a line saying every periode follows the default."""
    if not found:
        return html.Div("Belum ada target khusus: semua periode memakai target bawaan di atas.",
                        className="small text-muted")
    lines = []
    for g in found:
        lines.append(html.Li(f"{periode_label(g['periode'])}: {GOAL.shown(g['goal'])}% (disimpan "
                             f"{g['updated_by'] or '-'} {wall(g['updated_at'], zone)})"))
    return html.Ul(lines, className="small mb-0 settings-goals")


def profile_rows(found: list[dict], zone: str) -> list[dict]:
    return [{**p, "row_id": str(p["id"]), "mapping_text": mapping_text(p["mapping"]),
             "updated_at": wall(p["updated_at"], zone)} for p in found]


def mapping_text(mapping: dict) -> str:
    return "\n".join(f"{k}={v}" for k, v in mapping.items())


def parse_mapping(text: str | None) -> dict:
    """Lines of KOLOM_TIPE=KOLOM_FILE; BadParameter names the line that is not."""
    mapping = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadParameter(f"Baris {number} pemetaan harus berbentuk KOLOM_TIPE=KOLOM_FILE, bukan {line!r}.",
                               f"Mapping line {number} is not COLUMN=FILE_COLUMN.", field="mapping")
        mapping[key.strip()] = value.strip()
    return mapping


def _selected_id(rows: list[dict] | None) -> int | None:
    try:
        return int(rows[0]["id"]) if rows else None
    except (KeyError, TypeError, ValueError):
        return None


def register_callbacks(app: Dash) -> None:
    settings_mail.register_callbacks(app, CHANGED)

    def defaults():
        return current_app.config["SUNTER_CONFIG"].thresholds

    @app.callback(output={"table": Output(TABLE, "children"), "profiles": Output(PROFILES, "rowData"),
                          "goals": Output(GOALS, "children"), "periodes": Output(GOAL_PERIODE, "options")},
                  inputs={"_changed": Input(CHANGED, "data")})
    def refresh(_changed):
        engine = app_engine()
        stored = [p["periode"] for p in queries.periodes(engine)]
        return {"table": settings_table(settings.listed(engine, defaults()), branch_zone()),
                "profiles": profile_rows(profiles.listed(engine), branch_zone()),
                "goals": goals_list(settings.goals(engine), branch_zone()),
                "periodes": [{"label": periode_label(p), "value": p} for p in stored]}

    @app.callback(output={"alert": Output(ALERT, "children"), "changed": Output(CHANGED, "data")},
                  inputs={"_save": Input({"type": SAVE, "key": ALL}, "n_clicks"),
                          "_reset": Input({"type": RESET, "key": ALL}, "n_clicks")},
                  state={"values": State({"type": VALUE, "key": ALL}, "value"),
                         "keys": State({"type": VALUE, "key": ALL}, "id"), "changed": State(CHANGED, "data")},
                  prevent_initial_call=True)
    def save(_save, _reset, values, keys, changed):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return {"alert": no_update, "changed": no_update}
        key = ctx.triggered_id["key"]
        value = None if ctx.triggered_id["type"] == RESET else dict(zip((k["key"] for k in keys), values)).get(key)
        if value is not None and not str(value).strip():
            return {"alert": notice("Isi nilainya dulu, atau klik Bawaan untuk kembali ke nilai bawaan.", "warning"),
                    "changed": no_update}
        try:
            after = settings.save(app_engine(), current_actor(), defaults(), key, value)
        except SunterError as exc:
            return {"alert": notice(exc.message, "danger"), "changed": no_update}
        setting = next(s for s in after.settings() if s.key == key)
        shown = setting.shown(getattr(after, key))
        what = "dikembalikan ke bawaan" if value is None else "disimpan"
        recomputed = " Anomali dihitung ulang." if key in after.flagging() else ""
        return {"alert": notice(f"{setting.label} {what}: {shown}.{recomputed}"), "changed": (changed or 0) + 1}

    @app.callback(output={"alert": Output(GOAL_ALERT, "children"),
                          "changed": Output(CHANGED, "data", allow_duplicate=True)},
                  inputs={"_save": Input(GOAL_SAVE, "n_clicks"), "_reset": Input(GOAL_RESET, "n_clicks")},
                  state={"periode": State(GOAL_PERIODE, "value"), "value": State(GOAL_VALUE, "value"),
                         "changed": State(CHANGED, "data")},
                  prevent_initial_call=True)
    def save_goal(_save, _reset, periode, value, changed):
        reset = ctx.triggered_id == GOAL_RESET
        if not reset and (value is None or not str(value).strip()):
            return {"alert": notice("Isi target collection rate (persen), mis. 92,5.", "warning"), "changed": no_update}
        try:
            after = settings.set_goal(app_engine(), current_actor(), defaults(), periode or "",
                                      None if reset else str(value))
        except SunterError as exc:
            return {"alert": notice(exc.message, "danger"), "changed": no_update}
        what = "dikembalikan ke bawaan" if reset else "disimpan"
        return {"alert": notice(f"Target collection rate {periode_label(periode)} {what}: {GOAL.shown(after)}%."),
                "changed": (changed or 0) + 1}

    @app.callback(output={"name": Output(PROFILE_NAME, "value"), "mapping": Output(PROFILE_MAPPING, "value"),
                          "disabled": Output(PROFILE_FIELDS, "disabled")},
                  inputs={"rows": Input(PROFILES, "selectedRows")})
    def select(rows):
        if not rows:
            return {"name": "", "mapping": "", "disabled": True}
        return {"name": rows[0]["name"], "mapping": rows[0]["mapping_text"], "disabled": False}

    @app.callback(output={"alert": Output(PROFILE_ALERT, "children"),
                          "changed": Output(CHANGED, "data", allow_duplicate=True)},
                  inputs={"_save": Input(PROFILE_SAVE, "n_clicks"), "_delete": Input(PROFILE_DELETE, "n_clicks")},
                  state={"rows": State(PROFILES, "selectedRows"), "name": State(PROFILE_NAME, "value"),
                         "mapping": State(PROFILE_MAPPING, "value"), "changed": State(CHANGED, "data")},
                  prevent_initial_call=True)
    def change_profile(_save, _delete, rows, name, mapping, changed):
        profile_id = _selected_id(rows)
        if profile_id is None:
            return {"alert": notice("Pilih profil di tabel dulu.", "warning"), "changed": no_update}
        engine, actor = app_engine(), current_actor()
        try:
            if ctx.triggered_id == PROFILE_DELETE:
                message = f"Profil '{profiles.remove(engine, actor, profile_id)}' dihapus."
            else:
                saved = profiles.change(engine, actor, profile_id, name, parse_mapping(mapping))
                message = f"Profil '{saved['name']}' disimpan."
        except SunterError as exc:
            return {"alert": notice(exc.message, "danger"), "changed": no_update}
        return {"alert": notice(message), "changed": (changed or 0) + 1}


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
