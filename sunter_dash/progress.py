"""The month's progress chart as data, drawn by Ringkasan (plotly, components/charts.py) and by
the monthly report (matplotlib, report/charts.py): which lines, their names, points and look, so
the page and the paper always show the same thing."""
from __future__ import annotations

from dataclasses import dataclass

from .domain.periodes import periode_label
from .formatting import percent

NO_TARGET = "Belum ada target (MC) untuk periode ini"


@dataclass(frozen=True)
class Line:
    name: str
    x: list[int]
    y: list[float]
    role: str  # last_year | last_month | cone_low | cone_high | forecast | month | goal


@dataclass(frozen=True)
class Progress:
    lines: list[Line]
    days: int  # of the month
    top: float  # the highest rate drawn (at least 100), for the axis


def progress(daily: dict, last_year: dict | None, goal: float | None, forecast: dict) -> Progress | None:
    """The cumulative collection rate by day of month: this month up to its data-as-of day, last
    month, the same month last year when it has a target, the forecast cone from today's rate to
    month end, and the goal; None when the month has no target (``NO_TARGET`` says so)."""
    days = daily["days"]
    if not daily["target_nominal"]:
        return None
    end, day = len(days), forecast["day"] or 0
    lines = []
    if last_year and last_year["target_nominal"]:
        rates = [d["cumulative_rate"] for d in last_year["days"]]
        lines.append(Line(periode_label(last_year["periode"]), list(range(1, len(rates) + 1)), rates, "last_year"))
    if daily["previous_target_nominal"]:
        lines.append(Line(periode_label(daily["previous_periode"]), list(range(1, end + 1)),
                          [d["previous_cumulative_rate"] for d in days], "last_month"))
    now = days[day - 1]["cumulative_rate"] if day else 0.0
    found = forecast["forecast"]
    if found:
        lines += [Line("Rentang perkiraan", [day, end], [now, found["low"]], "cone_low"),
                  Line("Rentang perkiraan", [day, end], [now, found["high"]], "cone_high"),
                  Line("Perkiraan", [day, end], [now, found["rate"]], "forecast")]
    if day:
        lines.append(Line(periode_label(daily["periode"]), list(range(1, day + 1)),
                          [d["cumulative_rate"] for d in days[:day]], "month"))
    if goal is not None:
        lines.append(Line(f"Target {percent(goal, 1)}", [1, end], [goal, goal], "goal"))
    return Progress(lines, end, max([100.0] + [max(line.y) for line in lines]))
