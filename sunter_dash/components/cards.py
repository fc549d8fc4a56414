"""KPI cards: a figure, what it counts, and its change against the previous periode."""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html

from ..domain.periodes import periode_label
from ..formatting import number, percent


@dataclass(frozen=True)
class Delta:
    """The change of a figure against the previous periode."""

    current: float | None
    previous: float | None
    higher_is_better: bool = True
    as_points: bool = False  # a rate changes by percentage points, not by percent

    def text(self) -> str | None:
        if self.current is None or self.previous is None:
            return None
        change = self.current - self.previous
        if change == 0:
            return "tetap"
        if self.as_points:
            return f"{'+' if change >= 0 else '−'}{number(abs(change), 2)} poin"
        if not self.previous:
            return None
        return f"{'+' if change >= 0 else '−'}{percent(abs(change) * 100 / abs(self.previous), 1)}"

    def tone(self) -> str:
        if self.current is None or self.previous is None or self.current == self.previous:
            return "neutral"
        return "good" if (self.current > self.previous) == self.higher_is_better else "bad"


def _change(delta: Delta | None, against: str | None, css: str = "kpi-delta") -> html.Div | None:
    change = delta.text() if delta else None
    if not change:
        return None
    arrow = ("bi-arrow-right" if delta.current == delta.previous
             else "bi-arrow-up-right" if delta.current > delta.previous else "bi-arrow-down-right")
    return html.Div([html.I(className=f"bi {arrow} me-1"), change,
                     html.Span(f" vs {periode_label(against)}", className="text-muted")],
                    className=f"{css} kpi-delta-{delta.tone()}")


def kpi_card(card_id: str, title: str, value: str, detail: str, icon: str, delta: Delta | None,
             previous_periode: str | None, accent: str = "primary", compared: bool = True,
             year: tuple[Delta | None, str] | None = None) -> dbc.Card:
    """``compared=False``: a figure that is not set against last month (no footer at all);
    ``year``: the change against the same month last year and that periode, as a second line."""
    if not compared:
        footer = None
    else:
        footer = _change(delta, previous_periode) or html.Div("Tidak ada pembanding bulan lalu",
                                                              className="kpi-delta text-muted")
    yearly = _change(year[0], year[1], "kpi-delta kpi-delta-year") if year else None
    return dbc.Card(dbc.CardBody([
        html.Div([html.Span(title, className="kpi-title"), html.I(className=f"bi {icon} kpi-icon")],
                 className="d-flex justify-content-between align-items-start"),
        html.Div(value, className="kpi-value"),
        html.Div(detail, className="kpi-detail"),
        footer,
        yearly,
    ]), id=card_id, className=f"kpi-card kpi-accent-{accent} h-100")


def missing_alert(message: str | list) -> dbc.Alert:
    """A notice that data is missing; ``message`` is text or a list of text and links."""
    parts = message if isinstance(message, list) else [message]
    return dbc.Alert([html.I(className="bi bi-info-circle me-2"), html.Span(parts)], color="warning",
                     className="d-flex align-items-center")
