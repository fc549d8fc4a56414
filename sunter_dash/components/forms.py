"""Form pieces the tabs share: a labelled field, a select, a password box, and the notice that
says what happened."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..domain.labels import rayon_label
from ..domain.listing import ALL_RAYONS
from ..domain.periodes import periode_label

ICONS = {"success": "bi-check-circle", "danger": "bi-exclamation-triangle", "warning": "bi-exclamation-triangle"}


# Dash 4's dropdowns write their own words in English ("Search", "No options found").
DROPDOWN_LABELS = {"select_all": "Pilih semua", "deselect_all": "Hapus semua pilihan",
                   "selected_count": "{num_selected} dipilih", "search": "Cari", "clear_search": "Hapus pencarian",
                   "clear_selection": "Hapus pilihan", "no_options_found": "Tidak ada pilihan yang cocok"}


def dropdown(**props) -> dcc.Dropdown:
    """A dcc.Dropdown that speaks Indonesian; every dropdown of the app is made here."""
    return dcc.Dropdown(labels=DROPDOWN_LABELS, **props)


def field(label: str, control, help_text: str | None = None, label_class: str = "form-field-label") -> html.Div:
    return html.Div([dbc.Label(label, html_for=control.id, className=label_class), control,
                     dbc.FormText(help_text) if help_text else None], className="mb-2")


def select(component_id: str, options: list[dict], value: str | None) -> dbc.Select:
    return dbc.Select(id=component_id, options=options, value=value, size="sm")


def password(component_id: str, placeholder: str) -> dbc.Input:
    return dbc.Input(id=component_id, type="password", value="", placeholder=placeholder,
                     autocomplete="new-password", size="sm")


def notice(message, color: str = "success") -> dbc.Alert:
    """What happened, dismissable: success, danger, warning or info."""
    return dbc.Alert([html.I(className=f"bi {ICONS.get(color, 'bi-info-circle')} me-2"), html.Span(message)],
                     color=color, dismissable=True, className="d-flex align-items-center")


def heading(title: str, subtitle: str, action=None) -> html.Div:
    """A card's title with a line that says what it holds, and an action on the right."""
    return html.Div([html.Div([html.H5(title, className="card-title mb-0"),
                               html.Div(subtitle, className="text-muted small")]), action],
                    className="d-flex justify-content-between align-items-start flex-wrap gap-2 mb-2")


def periode_options(periodes: list[str]) -> list[dict]:
    return [{"label": periode_label(p), "value": p} for p in periodes]


def rayon_options(rayons: list[str]) -> list[dict]:
    """"Semua" first, then each rayon."""
    return [{"label": "Semua", "value": ALL_RAYONS}] + [{"label": rayon_label(r), "value": r} for r in rayons]
