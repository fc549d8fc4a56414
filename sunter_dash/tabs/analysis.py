"""Tab "Analisa": the manual-analysis workbench (issue 5). Cases on a customer, filtered by
status, priority, assignee and type (periode and rayon: the navbar's), opened in a detail panel
to change status, priority or assignee with a comment, and their history as a timeline.

The rules live in domain/cases.py and services/analyses.py; the builders in
components/cases.py. Other tabs link here: ``?tab=analisa&new=1&nomen=...&anomaly=...&periode=...``
opens the create form prefilled, ``?tab=analisa&case=<id>`` opens a case.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from .. import ids, queries, urls
from ..auth import current_actor
from ..components.cases import (  # noqa: F401
    ALL,
    ANY,
    COLUMNS,
    NONE,
    PRIORITY_OPTIONS,
    STATUS_FILTER,
    assignee_options,
    case_rows,
    facts,
    status_options,
    timeline,
    type_options,
)
from ..components.forms import field, heading, notice, select
from ..components.grids import grid
from ..domain.cases import MAX_COMMENT, MAX_DESCRIPTION, MAX_LIMIT, type_labels
from ..domain.errors import NotFound, SunterError
from ..domain.listing import rayon_filter
from ..domain.periodes import valid_periode
from ..extensions import app_engine, branch_zone
from ..formatting import number
from ..services import analyses
from .base import Tab

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

NOTHING_SELECTED = "Pilih kasus di tabel untuk melihat rinciannya dan mengubahnya."
def filters() -> dbc.Row:
    return dbc.Row([
        dbc.Col(field("Status", select(FILTER_STATUS, STATUS_FILTER, ANY)), md=3, lg=2),
        dbc.Col(field("Prioritas", select(FILTER_PRIORITY, ALL + PRIORITY_OPTIONS, ANY)), md=3, lg=2),
        dbc.Col(field("Ditugaskan ke", select(FILTER_ASSIGNEE, ALL, ANY)), md=3, lg=2),
        dbc.Col(field("Jenis anomali", select(FILTER_TYPE, ALL + type_options(), ANY)), md=3, lg=3),
        dbc.Col(dbc.Switch(id=ALL_PERIODES, label="Semua periode", value=False, className="mb-2"),
                md=6, lg=3, className="d-flex align-items-end"),
    ], className="g-2")


def detail_card() -> dbc.Card:
    edit = html.Fieldset([
        dbc.Row([
            dbc.Col(field("Status", select(STATUS, [], None)), sm=4),
            dbc.Col(field("Prioritas", select(PRIORITY, PRIORITY_OPTIONS, "sedang")), sm=4),
            dbc.Col(field("Ditugaskan ke", select(ASSIGNEE, [], None)), sm=4),
        ], className="g-2"),
        field("Komentar", dbc.Textarea(id=COMMENT, value="", rows=2, maxlength=MAX_COMMENT,
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
                dbc.Col(field("Nomen", dbc.Input(id=NEW_NOMEN, value="", maxlength=20, autocomplete="off",
                                                  inputmode="numeric", size="sm"), "Nomor pelanggan, angka saja."),
                        sm=6),
                dbc.Col(field("Periode", dbc.Input(id=NEW_PERIODE, value="", maxlength=7, placeholder="2025-12",
                                                    size="sm"), "TTTT-BB; boleh kosong."), sm=6),
            ], className="g-2"),
            field("Jenis anomali", select(NEW_TYPE, [{"label": "—", "value": NONE}] + type_options(), NONE)),
            field("Deskripsi", dbc.Textarea(id=NEW_DESCRIPTION, value="", rows=3,
                                             maxlength=MAX_DESCRIPTION)),
            dbc.Row([
                dbc.Col(field("Prioritas", select(NEW_PRIORITY, PRIORITY_OPTIONS, "sedang")), sm=5),
                dbc.Col(field("Ditugaskan ke", select(NEW_ASSIGNEE, assignee_options([]), NONE)), sm=7),
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
            heading("Analisa manual", "Kasus per pelanggan untuk ditindaklanjuti. Periode dan rayon mengikuti "
                    "pilihan di atas. Klik baris untuk membuka kasus.",
                    dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Buat analisa"], id=NEW, color="primary",
                               size="sm")),
            filters(),
            cases,
            html.Div(id=COUNT, className="text-muted small mt-1"),
        ]), className="mb-3"),
        detail_card(),
        create_modal(),
        dcc.Store(id=SELECTED), dcc.Store(id=VERSION), dcc.Store(id=CREATED), dcc.Store(id=SAVED, data=0),
        dcc.Store(id=LINK_SEEN), dcc.Store(id=CASE_SEEN),
    ])


# --- what the callbacks do ------------------------------------------------------------------------

def link_request(search: str | None, shell_periode: str | None) -> dict | None:
    """The create form asked for by the URL (``new=1``), its fields, and a key to handle it once."""
    params = urls.tab_params(search)
    if params.get("new") != "1":
        return None
    # periode is a shell parameter: read it from the URL as it came, else the navbar's.
    asked = urls.params(search).get("periode", shell_periode or "")
    nomen = params.get("nomen", "")
    anomaly = params.get("anomaly", "")
    return {"nomen": nomen if nomen.isdigit() else "", "anomaly_type": anomaly if anomaly in type_labels() else "",
            "periode": asked if valid_periode(asked or "") else "",
            "key": urlencode(sorted({**params, "periode": asked}.items()))}


def chosen(value):
    """A control's value for the service: None for "all", "none" or empty."""
    return None if value in (None, "", ANY, NONE) else value


@dataclass(frozen=True)
class NewCase:
    nomen: str | None
    periode: str | None
    anomaly_type: str | None
    description: str | None
    priority: str | None
    assigned_to: str | None


def create(form: NewCase) -> dict:
    """Store the case for the signed-in user (audited by the service); SunterError says what to fix."""
    return analyses.create(app_engine(), current_actor(), nomen=form.nomen, periode=chosen(form.periode),
                           anomaly_type=chosen(form.anomaly_type), description=form.description,
                           priority=chosen(form.priority) or "sedang", assigned_to=chosen(form.assigned_to))


def save(case_id, version, status, priority, assigned_to, comment) -> tuple[dbc.Alert, bool]:
    """Apply the panel's edit, based on the version it shows: (what to say, whether saved)."""
    if not isinstance(case_id, int):
        return notice(NOTHING_SELECTED, "warning"), False
    changes = {"status": status, "priority": priority, "assigned_to": chosen(assigned_to)}
    try:
        case = analyses.update(app_engine(), current_actor(), case_id, version,
                               {k: v for k, v in changes.items() if k != "status" or v}, comment or None)
    except SunterError as exc:
        return notice(exc.message, "warning" if exc.status == 409 else "danger"), False
    return notice(f"Perubahan kasus #{case_id} disimpan (versi {case['version']})."), True


def show(case_id) -> dict:
    """The detail panel of a case."""
    engine = app_engine()
    case = None
    if isinstance(case_id, int):
        try:
            case = queries.get_analysis(engine, case_id)
        except NotFound:
            case = None
    users = queries.assignable_users(engine)
    if case is None:
        message = NOTHING_SELECTED if case_id is None else f"Kasus #{case_id} tidak ada."
        return {"title": "Rincian kasus", "facts": message, "status_options": [], "status": None,
                "priority": "sedang", "assignee_options": assignee_options(users), "assignee": NONE,
                "timeline": None, "disabled": True, "version": None}
    return {"title": " · ".join(filter(None, [f"Kasus #{case['id']}", case["nomen"], case["nama"]])),
            "facts": facts(case, branch_zone()), "status_options": status_options(case["status"]), "status": case["status"],
            "priority": case["priority"], "assignee_options": assignee_options(users, case["assigned_to"]),
            "assignee": case["assigned_to"] or NONE, "timeline": timeline(case["history"], branch_zone(), visits(engine, case)),
            "disabled": False,
            "version": case["version"]}


def visits(engine, case: dict) -> list[dict]:
    """The field follow-ups of the case's customer, of the case's periode when it has one."""
    found = queries.customer_followups(engine, case["nomen"])
    return [v for v in found if not case["periode"] or v["periode"] == case["periode"]]


def cases(status, priority, assignee, anomaly_type, all_periodes, periode, rayon) -> dict:
    """The case grid under the filters, and the assignees to filter by."""
    engine = app_engine()
    names = sorted(set(queries.assignees(engine)) | set(queries.assignable_users(engine)))
    try:
        found = queries.find_analyses(engine, status=chosen(status), priority=chosen(priority),
                                      assigned_to=chosen(assignee), anomaly_type=chosen(anomaly_type),
                                      rayon=rayon_filter(rayon), periode=None if all_periodes else periode or None,
                                      limit=MAX_LIMIT)
    except SunterError as exc:
        return {"rows": [], "count": "", "alert": notice(exc.message, "danger"), "assignees": no_update}
    count = f"{len(found)} kasus" + (f" ({number(MAX_LIMIT)} terbaru ditampilkan)" if len(found) == MAX_LIMIT else "")
    return {"rows": case_rows(found, branch_zone()), "count": count, "alert": None,
            "assignees": ALL + [{"label": name, "value": name} for name in names]}


def selected_case(trigger, rows, search, created, selected, seen) -> dict:
    """The case the panel shows: one just created, one clicked, or ``?case=<id>`` (once)."""
    if trigger == CREATED and isinstance(created, int):
        return {"selected": created, "seen": no_update}
    if trigger == GRID:
        try:
            picked = int(rows[0]["id"]) if rows else None
        except (KeyError, TypeError, ValueError):
            picked = None
        if picked is None or picked == selected:
            raise PreventUpdate
        return {"selected": picked, "seen": no_update}
    # The URL (also on the tab's first load): open ?case=<id> once, not again on every filter change.
    asked = urls.tab_params(search).get("case", "")
    if not asked.isdigit() or asked == seen:
        raise PreventUpdate
    return {"selected": int(asked), "seen": asked}


EMPTY_FORM = {"nomen": "", "description": "", "priority": "sedang", "assignee": NONE}


def create_flow(trigger, clicked: bool, form: NewCase, search, shell_periode, seen) -> dict:
    """The create form: opened by the button or a link, saved, or cancelled."""
    if trigger == NEW_CANCEL:
        return {"open": False}
    users = assignee_options(queries.assignable_users(app_engine()))
    if trigger == NEW and clicked:
        return {"open": True, **EMPTY_FORM, "periode": shell_periode or "", "type": NONE, "assignees": users,
                "alert": None, "result": None}
    if trigger == NEW_SAVE and clicked:
        try:
            case = create(form)
        except SunterError as exc:
            return {"open": True, "alert": notice(exc.message, "danger")}
        said = (notice(f"Analisa #{case['id']} untuk nomen {case['nomen']}, periode dan jenis yang sama masih "
                       "aktif: kasus itu dibuka, tidak dibuat lagi.", "info") if case["existing"]
                else notice(f"Analisa #{case['id']} untuk nomen {case['nomen']} dibuat."))
        return {"open": False, "alert": None, "created": case["id"], "result": said}
    # The URL (also on the tab's first load): a link from another tab opens the form, once.
    asked = link_request(search, shell_periode)
    if asked is None or asked["key"] == seen:
        raise PreventUpdate
    return {"open": True, **EMPTY_FORM, "nomen": asked["nomen"], "periode": asked["periode"],
            "type": asked["anomaly_type"] or NONE, "assignees": users, "alert": None, "seen": asked["key"],
            "result": None}


def _form_outputs() -> dict:
    return {"open": Output(MODAL, "is_open"), "nomen": Output(NEW_NOMEN, "value"),
            "periode": Output(NEW_PERIODE, "value"), "type": Output(NEW_TYPE, "value"),
            "description": Output(NEW_DESCRIPTION, "value"), "priority": Output(NEW_PRIORITY, "value"),
            "assignee": Output(NEW_ASSIGNEE, "value"), "assignees": Output(NEW_ASSIGNEE, "options"),
            "alert": Output(NEW_ALERT, "children"), "created": Output(CREATED, "data"),
            "seen": Output(LINK_SEEN, "data"), "result": Output(RESULT, "children")}


def _register_cases(app: Dash) -> None:
    @app.callback(
        output={"rows": Output(GRID, "rowData"), "count": Output(COUNT, "children"),
                "alert": Output(ALERT, "children"), "assignees": Output(FILTER_ASSIGNEE, "options")},
        inputs=dict(status=Input(FILTER_STATUS, "value"), priority=Input(FILTER_PRIORITY, "value"),
                    assignee=Input(FILTER_ASSIGNEE, "value"), anomaly_type=Input(FILTER_TYPE, "value"),
                    all_periodes=Input(ALL_PERIODES, "value"), periode=Input(ids.PERIODE, "value"),
                    rayon=Input(ids.RAYON, "value"), _created=Input(CREATED, "data"), _saved=Input(SAVED, "data")))
    def refresh(status, priority, assignee, anomaly_type, all_periodes, periode, rayon, _created, _saved):
        return cases(status, priority, assignee, anomaly_type, all_periodes, periode, rayon)

    @app.callback(
        output={"selected": Output(SELECTED, "data"), "seen": Output(CASE_SEEN, "data")},
        inputs=dict(rows=Input(GRID, "selectedRows"), search=Input(ids.URL, "search"),
                    created=Input(CREATED, "data")),
        state=dict(selected=State(SELECTED, "data"), seen=State(CASE_SEEN, "data")))
    def select_case(rows, search, created, selected, seen):
        return selected_case(ctx.triggered_id, rows, search, created, selected, seen)

    @app.callback(
        output={"title": Output(DETAIL_TITLE, "children"), "facts": Output(FACTS, "children"),
                "status_options": Output(STATUS, "options"), "status": Output(STATUS, "value"),
                "priority": Output(PRIORITY, "value"), "assignee_options": Output(ASSIGNEE, "options"),
                "assignee": Output(ASSIGNEE, "value"), "timeline": Output(TIMELINE, "children"),
                "disabled": Output(FIELDS, "disabled"), "version": Output(VERSION, "data"),
                "comment": Output(COMMENT, "value")},
        inputs=dict(case_id=Input(SELECTED, "data"), _saved=Input(SAVED, "data")))
    def detail(case_id, _saved):
        return {**show(case_id), "comment": ""}

    @app.callback(
        output={"alert": Output(DETAIL_ALERT, "children"), "saved": Output(SAVED, "data")},
        inputs=dict(_save=Input(SAVE, "n_clicks"), _reload=Input(RELOAD, "n_clicks")),
        state=dict(case_id=State(SELECTED, "data"), version=State(VERSION, "data"), status=State(STATUS, "value"),
                   priority=State(PRIORITY, "value"), assignee=State(ASSIGNEE, "value"),
                   comment=State(COMMENT, "value"), saved=State(SAVED, "data")),
        running=[(Output(SAVE, "disabled"), True, False)], prevent_initial_call=True)
    def edit(_save, _reload, case_id, version, status, priority, assignee, comment, saved):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        if ctx.triggered_id == RELOAD:
            return {"alert": None, "saved": (saved or 0) + 1}
        alert, done = save(case_id, version, status, priority, assignee, comment)
        # A refused edit keeps what was typed, to be corrected or applied again after reloading.
        return {"alert": alert, "saved": (saved or 0) + 1 if done else no_update}


def _register_new_case(app: Dash) -> None:
    @app.callback(
        output=_form_outputs(),
        inputs=dict(_new=Input(NEW, "n_clicks"), _cancel=Input(NEW_CANCEL, "n_clicks"),
                    _save=Input(NEW_SAVE, "n_clicks"), search=Input(ids.URL, "search")),
        state=dict(nomen=State(NEW_NOMEN, "value"), periode=State(NEW_PERIODE, "value"),
                   anomaly_type=State(NEW_TYPE, "value"), description=State(NEW_DESCRIPTION, "value"),
                   priority=State(NEW_PRIORITY, "value"), assignee=State(NEW_ASSIGNEE, "value"),
                   shell_periode=State(ids.PERIODE, "value"), seen=State(LINK_SEEN, "data")),
        running=[(Output(NEW_SAVE, "disabled"), True, False)])
    def new_case(_new, _cancel, _save, search, nomen, periode, anomaly_type, description, priority, assignee,
                 shell_periode, seen):
        clicked = bool(ctx.triggered and ctx.triggered[0]["value"])
        form = NewCase(nomen, periode, anomaly_type, description, priority, assignee)
        shown = create_flow(ctx.triggered_id, clicked, form, search, shell_periode, seen)
        return {name: shown.get(name, no_update) for name in _form_outputs()}


def register_callbacks(app: Dash) -> None:
    _register_cases(app)
    _register_new_case(app)


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, PERMISSION)
