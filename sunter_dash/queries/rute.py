"""Which RUTE applies to a periode (DATA.md): the latest dated RUTE at or before it, else the
undated one; the officer of a PCEZ in P comes from that RUTE."""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from ..domain.periodes import UNDATED
from ..models import Rute


def rute_in_effect(conn: Connection, periode: str | None) -> str | None:
    """The stored periode of the RUTE that applies to ``periode`` (None: the newest); None when
    no RUTE applies."""
    dated = select(func.max(Rute.periode)).where(Rute.periode != UNDATED)
    if periode:
        dated = dated.where(Rute.periode <= periode)
    found = conn.scalar(dated)
    if found:
        return found
    return UNDATED if conn.scalar(select(Rute.id).where(Rute.periode == UNDATED).limit(1)) else None


def officer_of(conn: Connection, pcez: str, periode: str | None) -> str | None:
    """The PETUGAS of a PCEZ in the RUTE that applies to ``periode``."""
    effective = rute_in_effect(conn, periode)
    if effective is None:
        return None
    return conn.scalar(select(Rute.petugas).where(Rute.periode == effective, Rute.pcez == pcez.strip()).limit(1))
