"""The monthly report asked for by a person or a schedule: the periode, rayon and format checked
once, the goal in force, the branch's name and the time in its zone (the report itself is
report/)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine

from .. import queries, report
from ..config import Config
from ..domain.clock import local, now_utc
from ..domain.errors import BadParameter, NotFound
from ..domain.listing import rayon_filter
from ..domain.params import RAYON_PATTERN
from ..domain.periodes import periode_label, valid_periode
from . import settings


@dataclass(frozen=True)
class File:
    name: str
    mime: str
    content: bytes


def monthly(engine: Engine, config: Config, periode: str, rayon: str | None, fmt: str) -> File:
    """The report of a stored periode as a PDF or a workbook; BadParameter or NotFound say what to fix."""
    if fmt not in report.FORMATS:
        raise BadParameter(f"Format laporan harus {' atau '.join(report.FORMATS)}, bukan {fmt!r}.",
                           f"The report's format must be one of {', '.join(report.FORMATS)}, got {fmt!r}.",
                           field="format")
    if not valid_periode(periode):
        raise BadParameter(f"Periode harus berbentuk YYYY-MM (mis. 2025-12), bukan {periode!r}.",
                           f"Periode must be YYYY-MM, got {periode!r}.", field="periode")
    rayon = rayon_filter(rayon)
    if rayon is not None and not re.match(RAYON_PATTERN, rayon):
        raise BadParameter(f"Rayon harus kode rayon seperti 34, bukan {rayon!r}.",
                           f"Rayon must be a rayon code such as 34, got {rayon!r}.", field="rayon")
    if not queries.types_of(engine, periode):
        raise NotFound(f"Belum ada data tersimpan untuk {periode_label(periode)}: unggah file periode ini dulu.",
                       f"Nothing is stored for {periode}.")
    goal = settings.goal(engine, config.thresholds, periode)
    printed = local(now_utc(), config.timezone)
    content = report.render(engine, periode, rayon, fmt, goal, config.branch_name, printed)
    return File(report.filename(periode, rayon, fmt), report.FORMATS[fmt][0], content)
