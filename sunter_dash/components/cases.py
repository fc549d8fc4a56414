"""The Analisa tab's pure builders: rows of the case grid, the choices of a case's fields, its
facts and its history as a timeline."""
from __future__ import annotations

from dash import html

from ..domain.cases import (
    FIELD_LABELS,
    PRIORITY_LABELS,
    RUTE_OFFICER,
    STATUS_LABELS,
    TRANSITIONS,
    type_labels,
    value_label,
)
from ..domain.clock import wall
from ..domain.followups import RESULT_LABELS
from .grids import column, nomen_column

# dbc.Select keeps "" for its placeholder: "all" and "none" are values no key or username can be.
ANY = "@semua"
ACTIVE = "open,in_progress"
NONE = "@none"
RUTE_LABEL = "Petugas RUTE (sesuai PCEZ pelanggan)"

ALL = [{"label": "Semua", "value": ANY}]
STATUS_FILTER = ALL + [{"label": "Aktif (Terbuka + Diproses)", "value": ACTIVE}] + [
    {"label": label, "value": key} for key, label in STATUS_LABELS.items()]
PRIORITY_OPTIONS = [{"label": label, "value": key} for key, label in PRIORITY_LABELS.items()]


def type_options() -> list[dict]:
    return [{"label": label, "value": key} for key, label in type_labels().items()]


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
    column("updated_at", "Diubah", minWidth=155, flex=0, width=165, sort="desc"),
]


def when(value, zone: str) -> str:
    return wall(value, zone) or "-"


def case_rows(cases: list[dict], zone: str) -> list[dict]:
    return [{"row_id": str(case["id"]), "id": case["id"], "nomen": case["nomen"], "nama": case["nama"],
             "periode": case["periode"], "rayon": case["rayon"], "status": case["status"],
             "priority": case["priority"], "type_label": value_label("anomaly_type", case["anomaly_type"]),
             "priority_label": value_label("priority", case["priority"]),
             "status_label": value_label("status", case["status"]), "assigned_to": case["assigned_to"],
             "updated_at": wall(case["updated_at"], zone)} for case in cases]


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


def facts(case: dict, zone: str) -> html.Dl:
    items = [("Nomen", case["nomen"]), ("Nama", case["nama"] or "—"), ("Periode", case["periode"] or "—"),
             ("Rayon", case["rayon"] or "—"), ("Jenis anomali", value_label("anomaly_type", case["anomaly_type"])),
             ("Status", value_label("status", case["status"])),
             ("Prioritas", value_label("priority", case["priority"])),
             ("Ditugaskan ke", case["assigned_to"] or "—"), ("Deskripsi", case["description"] or "—"),
             ("Dibuat", f"{when(case['created_at'], zone)} oleh {case['created_by'] or '-'}"),
             ("Diperbarui", f"{when(case['updated_at'], zone)} · versi {case['version']}")]
    return html.Dl([part for label, value in items for part in (html.Dt(label), html.Dd(value))],
                   className="analisa-facts")


def timeline(history: list[dict], zone: str, visits: list[dict] = ()) -> html.Ol:
    """Each event: who and when, what changed (old → new), the comment; the creation first. Then
    the field follow-ups of the case's customer (and periode), newest visit first."""
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
            html.Div([html.Strong(event["username"] or "-"), f" {action} · ", html.Span(when(event["created_at"], zone))],
                     className="analisa-event-head"),
            html.Ul([html.Li(change) for change in changes], className="analisa-event-changes") if changes else None,
            html.Blockquote(event["comment"], className="analisa-event-comment") if event["comment"] else None,
        ], className="analisa-event"))
    if visits:
        items.append(html.Li([
            html.Div([html.Strong("Kunjungan penagihan"), " · dicatat di tab Penagihan"], className="analisa-event-head"),
            html.Ul([html.Li(f"{v['visit_date']} · {RESULT_LABELS.get(v['result'], v['result'])}"
                             + (f" · janji {v['promise_date']}" if v["promise_date"] else "")
                             + (f" · {v['note']}" if v["note"] else "") + f" ({v['created_by'] or '-'})")
                     for v in visits], className="analisa-event-changes"),
        ], className="analisa-event", id="analisa-visits"))
    return html.Ol(items, className="analisa-timeline")
