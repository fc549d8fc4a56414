"""Tab "Analisa": the manual-analysis workbench (issue 5). Cases on a customer, filtered by
status, priority, assignee and type (periode and rayon: the navbar's), opened in a detail panel
to change status, priority or assignee with a comment, and their history as a timeline.

The rules (values, status transitions, optimistic locking) live in ``sunter_dash/analyses.py``;
the callbacks here check the permission on the server, call it, audit and say what happened.
Other tabs link here: ``?tab=analisa&new=1&nomen=...&anomaly=...&periode=...`` opens the create
form prefilled, ``?tab=analisa&case=<id>`` opens a case.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from .. import analyses, ids, queries
from ..analyses import (FIELD_LABELS, PRIORITY_LABELS, RUTE_OFFICER, STATUS_LABELS, TRANSITIONS, TYPE_LABELS,
                        AnalysisError, StaleEdit, value_label)
from ..auth import audit, may
from ..components.grids import column, grid, nomen_column

TAB_ID = "analisa"
LABEL = "Analisa"
PERMISSION = "analyse"

ALERT = "analisa-alert"
RESULT = "analisa-result"
FILTER_STATUS = "analisa-filter-status"
FILTER_PRIORITY = "analisa-filter-priority"
FILTER_ASSIGNEE = "analisa-filter-assignee"
FILTER_TYPE = "analisa-filter-type"
ALL_PERIODES = "analisa-all-periodes"
COUNT = "analisa-count"
NEW = "analisa-new"
GRID = "analisa-grid"
DETAIL_TITLE = "analisa-detail-title"
FACTS = "analisa-facts"
FIELDS = "analisa-fields"
STATUS = "analisa-status"
PRIORITY = "analisa-priority"
ASSIGNEE = "analisa-assignee"
COMMENT = "analisa-comment"
SAVE = "analisa-save"
RELOAD = "analisa-reload"
DETAIL_ALERT = "analisa-detail-alert"
TIMELINE = "analisa-timeline"
MODAL = "analisa-modal"
NEW_NOMEN = "analisa-new-nomen"
NEW_PERIODE = "analisa-new-periode"
NEW_TYPE = "analisa-new-type"
NEW_DESCRIPTION = "analisa-new-description"
NEW_PRIORITY = "analisa-new-priority"
NEW_ASSIGNEE = "analisa-new-assignee"
NEW_ALERT = "analisa-new-alert"
NEW_SAVE = "analisa-new-save"
NEW_CANCEL = "analisa-new-cancel"
SELECTED = "analisa-selected"  # the id of the case in the detail panel
VERSION = "analisa-version"  # the version of the case the panel shows: edits are based on it
CREATED = "analisa-created"  # the id of the case just created
SAVED = "analisa-saved"  # bumped by each save or reload
LINK_SEEN = "analisa-link-seen"  # the URL's create request already handled
CASE_SEEN = "analisa-case-seen"  # the URL's case already opened

FORBIDDEN = "Anda tidak memiliki izin untuk membuka atau mengubah analisa."
NOTHING_SELECTED = "Pilih kasus di tabel untuk melihat rinciannya dan mengubahnya."
ACTIVE = "open,in_progress"
# dbc.Select keeps "" for its placeholder: "all" and "none" are values no key or username can be.
ANY = "@semua"
NONE = "@none"
RUTE_LABEL = "Petugas RUTE (sesuai PCEZ pelanggan)"

ALL = [{"label": "Semua", "value": ANY}]
STATUS_FILTER = ALL + [{"label": "Aktif (Terbuka + Diproses)", "value": ACTIVE}] + [
    {"label": label, "value": key} for key, label in STATUS_LABELS.items()]
PRIORITY_OPTIONS = [{"label": label, "value": key} for key, label in PRIORITY_LABELS.items()]
TYPE_OPTIONS = [{"label": label, "value": key} for key, label in TYPE_LABELS.items()]

COLUMNS = [
    column("id", "#", minWidth=60, flex=0, width=64, type="rightAligned"),
    nomen_column(minWidth=105, width=110, filter=True),
    column("nama", "Nama", minWidth=140, filter=True, tooltipField="nama"),
    column("periode", "Periode", "periode", minWidth=90, flex=0, width=95),
    column("rayon", "Rayon", minWidth=75, flex=0, width=80),
    column("type_label", "Jenis anomali", minWidth=150, flex=0, width=170, filter=True),
    column("priority_label", "Prioritas", minWidth=95, flex=0, width=100,
           cellClassRules={"analisa-priority-tinggi": "params.data.priority === 'tinggi'"}),
    column("status_label", "Status", minWidth=105, flex=0, width=115, cellClass="analisa-status",
           cellClassRules={f"analisa-status-{key}": f"params.data.status === '{key}'" for key in STATUS_LABELS}),
    column("assigned_to", "Ditugaskan ke", minWidth=130, flex=0, width=150, filter=True),
    column("updated_at", "Diubah (UTC)", minWidth=140, flex=0, width=145, sort="desc"),
]


def _field(label: str, control, help_text: str | None = None) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control.id, className="analisa-label"), control,
                     dbc.FormText(help_text) if help_text else None], className="mb-2")


def _select(component_id: str, options: list[dict], value: str = ANY) -> dbc.Select:
    return dbc.Select(id=component_id, options=options, value=value, size="sm")


def filters() -> dbc.Row:
    return dbc.Row([
        dbc.Col(_field("Status", _select(FILTER_STATUS, STATUS_FILTER)), md=3, lg=2),
        dbc.Col(_field("Prioritas", _select(FILTER_PRIORITY, ALL + PRIORITY_OPTIONS)), md=3, lg=2),
        dbc.Col(_field("Ditugaskan ke", _select(FILTER_ASSIGNEE, ALL)), md=3, lg=2),
        dbc.Col(_field("Jenis anomali", _select(FILTER_TYPE, ALL + TYPE_OPTIONS)), md=3, lg=3),
        dbc.Col(dbc.Switch(id=ALL_PERIODES, label="Semua periode", value=False, className="mb-2"),
                md=6, lg=3, className="d-flex align-items-end"),
    ], className="g-2")


def detail_card() -> dbc.Card:
    edit = html.Fieldset([
        dbc.Row([
            dbc.Col(_field("Status", _select(STATUS, [], None)), sm=4),
            dbc.Col(_field("Prioritas", _select(PRIORITY, PRIORITY_OPTIONS, "sedang")), sm=4),
            dbc.Col(_field("Ditugaskan ke", _select(ASSIGNEE, [], None)), sm=4),
        ], className="g-2"),
        _field("Komentar", dbc.Textarea(id=COMMENT, value="", rows=2, maxlength=analyses.MAX_COMMENT,
                                        placeholder="Apa yang dilakukan atau ditemukan; wajib untuk Selesai "
                                                    "dan Diabaikan")),
        html.Div([
            dbc.Button([html.I(className="bi bi-check2 me-1"), "Simpan perubahan"], id=SAVE, color="primary",
                       size="sm"),
            dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"), "Muat ulang"], id=RELOAD,
                       color="secondary", outline=True, size="sm"),
        ], className="d-flex gap-2"),
    ], id=FIELDS, disabled=True)
    return dbc.Card(dbc.CardBody([
        html.H5("Rincian kasus", id=DETAIL_TITLE, className="card-title"),
        dbc.Row([
            dbc.Col([html.Div(NOTHING_SELECTED, id=FACTS, className="mb-3"), edit,
                     html.Div(id=DETAIL_ALERT, className="mt-2")], lg=6),
            dbc.Col([html.H6("Riwayat", className="analisa-history-title"), html.Div(id=TIMELINE)], lg=6),
        ], className="g-4"),
    ]))


def create_modal() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Buat analisa")),
        dbc.ModalBody([
            html.Div(id=NEW_ALERT),
            dbc.Row([
                dbc.Col(_field("Nomen", dbc.Input(id=NEW_NOMEN, value="", maxlength=20, autocomplete="off",
                                                  inputmode="numeric", size="sm"), "Nomor pelanggan, angka saja."),
                        sm=6),
                dbc.Col(_field("Periode", dbc.Input(id=NEW_PERIODE, value="", maxlength=7, placeholder="2025-12",
                                                    size="sm"), "TTTT-BB; boleh kosong."), sm=6),
            ], className="g-2"),
            _field("Jenis anomali", _select(NEW_TYPE, [{"label": "—", "value": NONE}] + TYPE_OPTIONS, NONE)),
            _field("Deskripsi", dbc.Textarea(id=NEW_DESCRIPTION, value="", rows=3,
                                             maxlength=analyses.MAX_DESCRIPTION)),
            dbc.Row([
                dbc.Col(_field("Prioritas", _select(NEW_PRIORITY, PRIORITY_OPTIONS, "sedang")), sm=5),
                dbc.Col(_field("Ditugaskan ke", _select(NEW_ASSIGNEE, assignee_options([]), NONE)), sm=7),
            ], className="g-2"),
        ]),
        dbc.ModalFooter([
            dbc.Button("Batal", id=NEW_CANCEL, color="secondary", outline=True),
            dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Simpan"], id=NEW_SAVE, color="primary"),
        ]),
    ], id=MODAL, is_open=False, centered=True)


def layout() -> html.Div:
    cases = grid(GRID, COLUMNS, pagination=True, paginationPageSize=20,
                 paginationPageSizeSelector=[20, 50, 100], tooltipShowDelay=400,
                 rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                 localeText={"noRowsToShow": "Tidak ada kasus"})
    cases.getRowId = "params.data.row_id"  # keeps the selection when the rows are refreshed
    return html.Div([
        html.Div(id=ALERT),
        html.Div(id=RESULT),
        dbc.Card(dbc.CardBody([
            html.Div([
                html.Div([html.H5("Analisa manual", className="card-title mb-0"),
                          html.Div("Kasus per pelanggan untuk ditindaklanjuti. Periode dan rayon mengikuti "
                                   "pilihan di atas. Klik baris untuk membuka kasus.", className="text-muted small")]),
                dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Buat analisa"], id=NEW, color="primary",
                           size="sm"),
            ], className="d-flex justify-content-between align-items-start gap-3 mb-2"),
            filters(),
            cases,
            html.Div(id=COUNT, className="text-muted small mt-1"),
        ]), className="mb-3"),
        detail_card(),
        create_modal(),
        dcc.Store(id=SELECTED), dcc.Store(id=VERSION), dcc.Store(id=CREATED), dcc.Store(id=SAVED, data=0),
        dcc.Store(id=LINK_SEEN), dcc.Store(id=CASE_SEEN),
    ])


# --- pure builders -------------------------------------------------------------------------------

def when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "-"


def case_rows(cases: list[dict]) -> list[dict]:
    return [{"row_id": str(case["id"]), "id": case["id"], "nomen": case["nomen"], "nama": case["nama"],
             "periode": case["periode"], "rayon": case["rayon"], "status": case["status"],
             "priority": case["priority"], "type_label": value_label("anomaly_type", case["anomaly_type"]),
             "priority_label": value_label("priority", case["priority"]),
             "status_label": value_label("status", case["status"]), "assigned_to": case["assigned_to"],
             "updated_at": f"{case['updated_at']:%Y-%m-%d %H:%M}"} for case in cases]


def assignee_options(usernames: list[str], current: str | None = None) -> list[dict]:
    """Unassigned, the RUTE officer, the users; a RUTE officer assigned already stays offered."""
    options = [{"label": "— belum ditugaskan —", "value": NONE}, {"label": RUTE_LABEL, "value": RUTE_OFFICER}]
    options += [{"label": name, "value": name} for name in usernames]
    if current and current not in usernames:
        options.append({"label": f"{current} (petugas RUTE)", "value": current})
    return options


def status_options(status: str) -> list[dict]:
    """The case's status and those it may move to."""
    return [{"label": STATUS_LABELS[s] + (" (sekarang)" if s == status else ""), "value": s}
            for s in (status, *TRANSITIONS[status])]


def facts(case: dict) -> html.Dl:
    items = [("Nomen", case["nomen"]), ("Nama", case["nama"] or "—"), ("Periode", case["periode"] or "—"),
             ("Rayon", case["rayon"] or "—"), ("Jenis anomali", value_label("anomaly_type", case["anomaly_type"])),
             ("Status", value_label("status", case["status"])),
             ("Prioritas", value_label("priority", case["priority"])),
             ("Ditugaskan ke", case["assigned_to"] or "—"), ("Deskripsi", case["description"] or "—"),
             ("Dibuat", f"{when(case['created_at'])} oleh {case['created_by'] or '-'}"),
             ("Diperbarui", f"{when(case['updated_at'])} · versi {case['version']}")]
    return html.Dl([part for label, value in items for part in (html.Dt(label), html.Dd(value))],
                   className="analisa-facts")


def timeline(history: list[dict]) -> html.Ol:
    """Each event: who and when, what changed (old → new), the comment; the creation first."""
    items = []
    for number, event in enumerate(history):
        created = number == 0
        if created:
            changes = [f"{FIELD_LABELS.get(field, field)}: {value_label(field, new)}"
                       for field, (_old, new) in event["change"].items() if field != "nomen"]
        else:
            changes = [f"{FIELD_LABELS.get(field, field)}: {value_label(field, old)} → {value_label(field, new)}"
                       for field, (old, new) in event["change"].items()]
        action = "membuat kasus" if created else ("mengubah" if changes else "berkomentar")
        items.append(html.Li([
            html.Div([html.Strong(event["username"] or "-"), f" {action} · ", html.Span(when(event["created_at"]))],
                     className="analisa-event-head"),
            html.Ul([html.Li(change) for change in changes], className="analisa-event-changes") if changes else None,
            html.Blockquote(event["comment"], className="analisa-event-comment") if event["comment"] else None,
        ], className="analisa-event"))
    return html.Ol(items, className="analisa-timeline")


def notice(message, color: str = "success") -> dbc.Alert:
    icon = {"success": "bi-check-circle", "danger": "bi-exclamation-triangle",
            "warning": "bi-exclamation-triangle"}.get(color, "bi-info-circle")
    return dbc.Alert([html.I(className=f"bi {icon} me-2"), html.Span(message)], color=color, dismissable=True,
                     className="d-flex align-items-center")


def tab_params(search: str | None) -> dict[str, str]:
    # Imported when called: the shell imports the tab registry, which imports this module.
    from ..layout import tab_params as params_of
    return params_of(search)


def link_request(search: str | None, shell_periode: str | None) -> dict | None:
    """The create form asked for by the URL (``new=1``), its fields, and a key to handle it once."""
    params = tab_params(search)
    if params.get("new") != "1":
        return None
    # periode is a shell parameter: read it from the URL as it came, else the navbar's.
    asked = parse_qs((search or "").lstrip("?")).get("periode", [shell_periode or ""])[0]
    nomen = params.get("nomen", "")
    anomaly = params.get("anomaly", "")
    return {"nomen": nomen if nomen.isdigit() else "", "anomaly_type": anomaly if anomaly in TYPE_LABELS else "",
            "periode": asked if analyses.PERIODE.fullmatch(asked or "") else "",
            "key": urlencode(sorted({**params, "periode": asked}.items()))}


def chosen(value):
    """A control's value for the service: None for "all", "none" or empty."""
    return None if value in (None, "", ANY, NONE) else value


# --- the actions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewCase:
    nomen: str | None
    periode: str | None
    anomaly_type: str | None
    description: str | None
    priority: str | None
    assigned_to: str | None


def create(form: NewCase) -> dict:
    """Store the case for the signed-in user and audit it; AnalysisError says what to fix."""
    case = analyses.create(queries.engine(), current_user.username, nomen=form.nomen, periode=chosen(form.periode),
                           anomaly_type=chosen(form.anomaly_type), description=form.description,
                           priority=chosen(form.priority) or "sedang", assigned_to=chosen(form.assigned_to))
    audit("analysis_created", detail=analyses.audit_detail(case))
    return case


def save(case_id, version, status, priority, assigned_to, comment) -> tuple[dbc.Alert, bool]:
    """Apply the panel's edit, based on the version it shows: (what to say, whether saved)."""
    if not isinstance(case_id, int):
        return notice(NOTHING_SELECTED, "warning"), False
    changes = {"status": status, "priority": priority, "assigned_to": chosen(assigned_to)}
    try:
        case = analyses.update(queries.engine(), case_id, version, current_user.username,
                               {k: v for k, v in changes.items() if k != "status" or v}, comment or None)
    except StaleEdit as exc:
        return notice(exc.pesan, "warning"), False
    except AnalysisError as exc:
        return notice(exc.pesan, "danger"), False
    audit("analysis_updated", detail=analyses.audit_detail(case))
    return notice(f"Perubahan kasus #{case_id} disimpan (versi {case['version']})."), True


def show(case_id) -> tuple:
    """The detail panel of a case: (title, facts, status options, status, priority, assignee options,
    assignee, timeline, editing disabled, version)."""
    case = None
    if isinstance(case_id, int):
        try:
            case = analyses.get(queries.engine(), case_id)
        except analyses.NotFound:
            case = None
    users = analyses.assignable_users(queries.engine())
    if case is None:
        message = NOTHING_SELECTED if case_id is None else f"Kasus #{case_id} tidak ada."
        return ("Rincian kasus", message, [], None, "sedang", assignee_options(users), NONE, None, True,
                None)
    title = " · ".join(filter(None, [f"Kasus #{case['id']}", case["nomen"], case["nama"]]))
    return (title, facts(case), status_options(case["status"]), case["status"], case["priority"],
            assignee_options(users, case["assigned_to"]), case["assigned_to"] or NONE,
            timeline(case["history"]), False, case["version"])


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(GRID, "rowData"), Output(COUNT, "children"), Output(ALERT, "children"),
                  Output(FILTER_ASSIGNEE, "options"),
                  Input(FILTER_STATUS, "value"), Input(FILTER_PRIORITY, "value"), Input(FILTER_ASSIGNEE, "value"),
                  Input(FILTER_TYPE, "value"), Input(ALL_PERIODES, "value"), Input(ids.PERIODE, "value"),
                  Input(ids.RAYON, "value"), Input(CREATED, "data"), Input(SAVED, "data"))
    def refresh(status, priority, assignee, anomaly_type, all_periodes, periode, rayon, _created, _saved):
        # The server decides, not the tab list: anyone can POST to /_dash-update-component.
        if not may(PERMISSION):
            return [], "", notice(FORBIDDEN, "danger"), ALL
        engine = queries.engine()
        names = sorted(set(analyses.assignees(engine)) | set(analyses.assignable_users(engine)))
        try:
            found = analyses.find(engine, status=chosen(status), priority=chosen(priority),
                                  assigned_to=chosen(assignee), anomaly_type=chosen(anomaly_type),
                                  rayon=queries.rayon_filter(rayon),
                                  periode=None if all_periodes else periode or None, limit=analyses.MAX_LIMIT)
        except AnalysisError as exc:
            return [], "", notice(exc.pesan, "danger"), no_update
        count = f"{len(found)} kasus" + (" (1.000 terbaru ditampilkan)" if len(found) == analyses.MAX_LIMIT else "")
        return case_rows(found), count, None, ALL + [{"label": name, "value": name} for name in names]

    @app.callback(Output(SELECTED, "data"), Output(CASE_SEEN, "data"),
                  Input(GRID, "selectedRows"), Input(ids.URL, "search"), Input(CREATED, "data"),
                  State(SELECTED, "data"), State(CASE_SEEN, "data"))
    def select(rows, search, created, selected, seen):
        trigger = ctx.triggered_id
        if trigger == CREATED and isinstance(created, int):
            return created, no_update
        if trigger == GRID:
            try:
                chosen = int(rows[0]["id"]) if rows else None
            except (KeyError, TypeError, ValueError):
                chosen = None
            if chosen is None or chosen == selected:
                raise PreventUpdate
            return chosen, no_update
        # The URL (also on the tab's first load): open ?case=<id> once, not again on every filter change.
        asked = tab_params(search).get("case", "")
        if not asked.isdigit() or asked == seen:
            raise PreventUpdate
        return int(asked), asked

    @app.callback(Output(DETAIL_TITLE, "children"), Output(FACTS, "children"), Output(STATUS, "options"),
                  Output(STATUS, "value"), Output(PRIORITY, "value"), Output(ASSIGNEE, "options"),
                  Output(ASSIGNEE, "value"), Output(TIMELINE, "children"), Output(FIELDS, "disabled"),
                  Output(VERSION, "data"), Output(COMMENT, "value"),
                  Input(SELECTED, "data"), Input(SAVED, "data"))
    def detail(case_id, _saved):
        if not may(PERMISSION):
            return "Rincian kasus", FORBIDDEN, [], None, None, [], None, None, True, None, ""
        return (*show(case_id), "")

    @app.callback(Output(DETAIL_ALERT, "children"), Output(SAVED, "data"),
                  Input(SAVE, "n_clicks"), Input(RELOAD, "n_clicks"),
                  State(SELECTED, "data"), State(VERSION, "data"), State(STATUS, "value"), State(PRIORITY, "value"),
                  State(ASSIGNEE, "value"), State(COMMENT, "value"), State(SAVED, "data"),
                  running=[(Output(SAVE, "disabled"), True, False)], prevent_initial_call=True)
    def edit(_save, _reload, case_id, version, status, priority, assignee, comment, saved):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        if not may(PERMISSION):
            return notice(FORBIDDEN, "danger"), no_update
        if ctx.triggered_id == RELOAD:
            return None, (saved or 0) + 1
        alert, done = save(case_id, version, status, priority, assignee, comment)
        # A refused edit keeps what was typed, to be corrected or applied again after reloading.
        return alert, (saved or 0) + 1 if done else no_update

    @app.callback(Output(MODAL, "is_open"), Output(NEW_NOMEN, "value"), Output(NEW_PERIODE, "value"),
                  Output(NEW_TYPE, "value"), Output(NEW_DESCRIPTION, "value"), Output(NEW_PRIORITY, "value"),
                  Output(NEW_ASSIGNEE, "value"), Output(NEW_ASSIGNEE, "options"), Output(NEW_ALERT, "children"),
                  Output(CREATED, "data"), Output(LINK_SEEN, "data"), Output(RESULT, "children"),
                  Input(NEW, "n_clicks"), Input(NEW_CANCEL, "n_clicks"), Input(NEW_SAVE, "n_clicks"),
                  Input(ids.URL, "search"),
                  State(NEW_NOMEN, "value"), State(NEW_PERIODE, "value"), State(NEW_TYPE, "value"),
                  State(NEW_DESCRIPTION, "value"), State(NEW_PRIORITY, "value"), State(NEW_ASSIGNEE, "value"),
                  State(ids.PERIODE, "value"), State(LINK_SEEN, "data"),
                  running=[(Output(NEW_SAVE, "disabled"), True, False)])
    def create_flow(_new, _cancel, _save, search, nomen, periode, anomaly_type, description, priority, assignee,
                    shell_periode, seen):
        trigger = ctx.triggered_id
        clicked = bool(ctx.triggered and ctx.triggered[0]["value"])
        keep = [no_update] * 12
        if trigger == NEW_CANCEL:
            return False, *keep[1:]
        if not may(PERMISSION):
            if trigger in (NEW, NEW_SAVE) and clicked:
                return False, *keep[1:11], notice(FORBIDDEN, "danger")
            raise PreventUpdate
        users = assignee_options(analyses.assignable_users(queries.engine()))
        if trigger == NEW and clicked:
            return True, "", shell_periode or "", NONE, "", "sedang", NONE, users, None, no_update, no_update, None
        if trigger == NEW_SAVE and clicked:
            try:
                case = create(NewCase(nomen, periode, anomaly_type, description, priority, assignee))
            except AnalysisError as exc:
                return True, *keep[1:8], notice(exc.pesan, "danger"), no_update, no_update, no_update
            message = f"Analisa #{case['id']} untuk nomen {case['nomen']} dibuat."
            return False, *keep[1:8], None, case["id"], no_update, notice(message)
        # The URL (also on the tab's first load): a link from another tab opens the form, once.
        asked = link_request(search, shell_periode)
        if asked is None or asked["key"] == seen:
            raise PreventUpdate
        return (True, asked["nomen"], asked["periode"], asked["anomaly_type"] or NONE, "", "sedang", NONE, users,
                None, no_update, asked["key"], None)
