"""Tab "Pengguna" (admins). Being built in this session; see issue 4."""
from __future__ import annotations

from dash import Dash, html

TAB_ID = "users"
LABEL = "Pengguna"
PERMISSION = "manage_users"


def layout() -> html.Div:
    return html.Div()


def register_callbacks(app: Dash) -> None:
    return None
